using System.Collections.Concurrent;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Scalar.AspNetCore;

namespace Outdial.Server.OpenApi;

/// <summary>
/// The OpenAPI 3.1 document (<c>GET /openapi/v1.json</c>) and its browsable reference (<c>GET /docs</c>, Scalar, served with its
/// bundled script: no CDN fonts, telemetry, AI agent, MCP or hosted developer toolbar). Both need no key.
/// </summary>
public static class OpenApiSetup
{
    /// <summary>Where the document is served.</summary>
    public const string DocumentPath = "/openapi/v1.json";

    /// <summary>Where the API reference is served.</summary>
    public const string ReferencePath = "/docs";

    /// <summary>Which type each schema id names (ids must be unique: two types with one name would share a schema).</summary>
    private static readonly ConcurrentDictionary<string, Type> SchemaOwners = new(StringComparer.Ordinal);

    /// <summary>Registers the document "v1" with Outdial's transformers (order matters: operations, then schemas, then the document).</summary>
    public static IServiceCollection AddOutdialOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.CreateSchemaReferenceId = SchemaId;
            options.AddOperationTransformer<OperationConventions>();
            options.AddSchemaTransformer<SchemaConventions>();
            options.AddDocumentTransformer<DocumentDescription>();
            options.AddDocumentTransformer<WebhookDocumentation>();
        });

    /// <summary>
    /// The schema id of a type: its name (the framework's default), except where two types share a name: the call's consent evidence
    /// (<see cref="Core.Calls.ConsentResource"/>) is <c>CallConsentResource</c> beside the consent record. Any other clash fails the
    /// document's generation rather than describing two types with one schema.
    /// </summary>
    /// <exception cref="InvalidOperationException">Two types would get the same id.</exception>
    private static string? SchemaId(JsonTypeInfo type)
    {
        var id = type.Type == typeof(Core.Calls.ConsentResource) ? "CallConsentResource" : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
        if (id is not null && SchemaOwners.GetOrAdd(id, type.Type) != type.Type)
        {
            throw new InvalidOperationException($"The OpenAPI schema id '{id}' would name both {SchemaOwners[id]} and {type.Type}; give one of them its own id here.");
        }
        return id;
    }

    /// <summary>Maps <see cref="DocumentPath"/> and <see cref="ReferencePath"/>, both anonymous.</summary>
    public static void MapOutdialOpenApi(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference(ReferencePath, options => options
            .WithTitle("Outdial API reference")
            .WithOpenApiRoutePattern(DocumentPath)
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp()
            .HideDeveloperTools()
            .AddPreferredSecuritySchemes([ApiSecurity.Bearer]))
            .AllowAnonymous();
    }
}
