using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Outdial.Core.Insights;
using Outdial.Server.Calls;

namespace Outdial.Server.OpenApi;

/// <summary>
/// Schema corrections so that the document says what the server writes and reads:
/// <list type="bullet">
/// <item>Problem details carry Outdial's <c>code</c> (always) and <c>errors</c> (field → messages) members (<see cref="Infrastructure.Problems"/>).</item>
/// <item>Numbers are numbers: the server's JSON options (web defaults) also read numbers written as strings, so the generated
/// schema says "integer or string" with a pattern; the server never writes them so and clients should not send them so, and the
/// union makes client generators wrap every number. The string alternative is dropped.</item>
/// <item>A property that can be null is never required: nulls are left out of every answer (<c>WhenWritingNull</c>,
/// <see cref="Core.Common.Json"/>) and a null field of a request means "not given".</item>
/// <item>A sandbox reply (a custom converter) is a string or <c>{text?, dtmf?, interrupt?}</c>.</item>
/// <item>An instant (<see cref="DateTimeOffset"/>, written by a custom converter as UTC with <c>Z</c>) is a <c>date-time</c> string,
/// and so is a request's instant given as a string (<see cref="Instants.RequestFields"/>: ISO 8601 with an offset).</item>
/// </list>
/// </summary>
public sealed class SchemaConventions : IOpenApiSchemaTransformer
{
    /// <inheritdoc />
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (type == typeof(DateTimeOffset) || type == typeof(DateTimeOffset?))
        {
            // Core.Common.Json writes instants through its own converter (UTC with Z), which hides the type from the exporter.
            schema.Type = type == typeof(DateTimeOffset) ? JsonSchemaType.String : JsonSchemaType.String | JsonSchemaType.Null;
            schema.Format = "date-time";
        }
        else if (type == typeof(ProblemDetails) || type == typeof(HttpValidationProblemDetails))
        {
            DescribeProblem(schema);
        }
        else if (schema.Items is null && context.JsonTypeInfo.ElementType == typeof(SandboxReplyRequest))
        {
            schema.Items = SandboxReply();
        }
        else if (schema.Items is null && context.JsonTypeInfo.ElementType == typeof(InsightQuestion))
        {
            // Read as a string or an object, always written as an object.
            var input = context.JsonPropertyInfo?.DeclaringType.Name.EndsWith("Request", StringComparison.Ordinal) ?? false;
            schema.Items = input ? new OpenApiSchema { OneOf = [new OpenApiSchema { Type = JsonSchemaType.String }, InsightQuestionObject()] } : InsightQuestionObject();
        }
        if (type.Namespace?.StartsWith("Outdial.Server", StringComparison.Ordinal) == true && schema.Properties is { } members)
        {
            // Instants a request gives as strings (parsed strictly by Instants.TryParseUtc) are date-times to a client.
            foreach (var (name, member) in members)
            {
                if (Instants.RequestFields.Contains(name) && member is OpenApiSchema { Type: { } kind } field && (kind & JsonSchemaType.String) != 0
                    && context.JsonTypeInfo.Properties.FirstOrDefault(p => p.Name == name)?.PropertyType == typeof(string))
                {
                    field.Format = "date-time";
                }
            }
        }
        if (schema.Type is { } t && (t & (JsonSchemaType.Integer | JsonSchemaType.Number)) != 0 && (t & JsonSchemaType.String) != 0)
        {
            schema.Type = t & ~JsonSchemaType.String;
            schema.Pattern = null;
        }
        if (schema.Required is { Count: > 0 } required)
        {
            // A nullable reference to a component is not yet its final oneOf [null, $ref] here: read the C# annotation too.
            foreach (var property in context.JsonTypeInfo.Properties.Where(p => p.IsGetNullable))
            {
                required.Remove(property.Name);
            }
            foreach (var (name, property) in schema.Properties ?? new Dictionary<string, IOpenApiSchema>())
            {
                if (AllowsNull(property))
                {
                    required.Remove(name);
                }
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>True when the schema admits JSON null (a <c>null</c> type, or a <c>oneOf</c>/<c>anyOf</c> with a null branch).</summary>
    public static bool AllowsNull(IOpenApiSchema schema) =>
        (schema.Type is { } t && (t & JsonSchemaType.Null) != 0)
        || (schema.OneOf?.Any(s => s.Type == JsonSchemaType.Null) ?? false)
        || (schema.AnyOf?.Any(s => s.Type == JsonSchemaType.Null) ?? false);

    private static void DescribeProblem(OpenApiSchema schema)
    {
        schema.Description = "RFC 9457 problem details. `type` is `urn:outdial:problem:{code}`; `code` is the same stable code, to switch on; "
            + "`errors` maps each invalid field (or query parameter) to its messages.";
        schema.Properties ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        schema.Properties["code"] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Description = "The stable problem code, e.g. `validation_failed`, `not_found`, `duplicate_call`.",
        };
        schema.Properties["errors"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "Field → messages, on `validation_failed` and `invalid_query` (and on other refusals that name a field).",
            AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
        };
        schema.Properties["traceId"] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Description = "The request's trace id (W3C traceparent form), to find it in the server's logs.",
        };
        schema.Required ??= new HashSet<string>(StringComparer.Ordinal);
        schema.Required.Add("code");
        schema.Examples = [new JsonObject
        {
            ["type"] = "urn:outdial:problem:validation_failed",
            ["title"] = "The request has invalid fields.",
            ["status"] = 422,
            ["detail"] = "to: " + Core.Calls.E164.Rule,
            ["code"] = "validation_failed",
            ["errors"] = new JsonObject { ["to"] = new JsonArray(Core.Calls.E164.Rule) },
        }];
    }

    /// <summary>An insight question as an object (<see cref="InsightQuestion"/>'s converter).</summary>
    private static OpenApiSchema InsightQuestionObject() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An insight question; a plain string is read as a `text` question whose key is derived from its words.",
        Required = new HashSet<string>(StringComparer.Ordinal) { "question" },
        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
        {
            ["key"] = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[a-z0-9_]{1,64}$", Description = "Stable name of the answer, unique within a call (derived from the question when absent)." },
            ["question"] = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 500, Description = "The question." },
            ["type"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The answer's type (default `text`).",
                Enum = [.. Enum.GetValues<InsightType>().Select(t => (JsonNode)JsonValue.Create(Core.Common.WireNames.Of(t)))],
            },
            ["choices"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Items = new OpenApiSchema { Type = JsonSchemaType.String },
                Description = "For `choice`: 2–50 distinct options.",
            },
        },
    };

    /// <summary>One reply of the sandbox's simulated callee (<see cref="SandboxReplyConverter"/>).</summary>
    private static OpenApiSchema SandboxReply() => new()
    {
        Description = "One reply of the simulated callee: a string (said), or `{text?, dtmf?, interrupt?}` (`interrupt: true` speaks over the agent's next utterance).",
        OneOf =
        [
            new OpenApiSchema { Type = JsonSchemaType.String },
            new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
                {
                    ["text"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What the callee says." },
                    ["dtmf"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Keys the callee presses (0-9, *, #)." },
                    ["interrupt"] = new OpenApiSchema { Type = JsonSchemaType.Boolean, Description = "Speak over the agent's next utterance." },
                },
            },
        ],
    };
}
