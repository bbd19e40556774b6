using Microsoft.OpenApi;
using Outdial.Server.OpenApi;

namespace Outdial.Server.Campaigns;

/// <summary>The OpenAPI descriptions of the campaigns API that its handlers' signatures cannot carry.</summary>
public static partial class CampaignsApi
{
    /// <summary>The OpenAPI description of a lifecycle action: 200 with the campaign, 404, 409 <c>invalid_campaign_transition</c>.</summary>
    private static RouteHandlerBuilder Transition(this RouteHandlerBuilder builder, string summary, string description) =>
        builder.WithSummary(summary)
            .WithDescription(description + " 409 `invalid_campaign_transition` from any other status (lifecycle: draft → active ⇄ paused → completed | canceled).")
            .Produces<CampaignResource>()
            .ProducesNotFound()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "invalid_campaign_transition", "campaign_busy");

    /// <summary>The contact upload's body, which the handler reads itself in one of three forms (CSV, a JSON array, a multipart file).</summary>
    private static OpenApiRequestBody ContactUploadBody() => new()
    {
        Required = true,
        Description = "A CSV with a header row that has `phone` (and optionally `timezone`), a JSON array of objects with `phone`, or a form with one such file.",
        Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
        {
            ["text/csv"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String }, Example = "phone,firstName,timezone\n+12125550123,Ada,America/New_York\n" },
            ["application/json"] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Items = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string>(StringComparer.Ordinal) { "phone" },
                        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
                        {
                            ["phone"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The contact's E.164 number." },
                            ["timezone"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The contact's IANA time zone." },
                        },
                    },
                },
            },
            ["multipart/form-data"] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
                    {
                        ["file"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = "A CSV, or a JSON file (`.json` or a JSON content type)." },
                    },
                },
            },
        },
    };
}
