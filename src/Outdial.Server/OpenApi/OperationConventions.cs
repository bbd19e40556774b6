using System.Globalization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Outdial.Server.OpenApi;

/// <summary>
/// What every operation of the document gets from its endpoint's metadata: the summary and description given with
/// <c>WithSummary</c>/<c>WithDescription</c> (they win over the handler's XML comments, which are written for this code's readers),
/// its security requirement (<see cref="ApiSecurity.Of"/>), and on native routes the problems every one of them can answer:
/// 401 <c>unauthorized</c>, 429 <c>rate_limited</c> with <c>Retry-After</c>, and with a request body 400 <c>malformed_json</c> and
/// 413 <c>payload_too_large</c>. Responses declared with <see cref="ProblemResponses.ProducesProblemCodes"/> list their codes.
/// </summary>
public sealed class OperationConventions : IOpenApiOperationTransformer
{
    private const string ProblemJson = "application/problem+json";

    /// <inheritdoc />
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IEndpointSummaryMetadata>().LastOrDefault() is { } summary)
        {
            operation.Summary = summary.Summary;
        }
        if (metadata.OfType<IEndpointDescriptionMetadata>().LastOrDefault() is { } description)
        {
            operation.Description = description.Description;
        }

        foreach (var parameter in metadata.OfType<QueryParameter>().Select(q => q.ToOpenApi()).Concat(metadata.OfType<HeaderParameter>().Select(h => h.ToOpenApi())))
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(parameter);
        }

        var security = ApiSecurity.Of([.. metadata]);
        operation.Security = [];
        if (security.AllowsAnonymous && security.Schemes.Count > 0)
        {
            operation.Security.Add(new OpenApiSecurityRequirement());
        }
        foreach (var scheme in security.Schemes)
        {
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, context.Document)] = [] });
        }

        operation.Responses ??= [];
        // A route that declares no scheme of its own and requires authorization is the native API's (the dialects declare theirs).
        var native = !metadata.OfType<ApiSecurity.SecurityMetadata>().Any() && security.Schemes.Count > 0;
        if (native)
        {
            // Every native route declares at least one problem response (ProducesProblemCodes), so the component exists.
            var problem = new OpenApiSchemaReference(nameof(ProblemDetails), context.Document);
            AddProblem(operation, problem, StatusCodes.Status401Unauthorized, "Authentication required.", ["unauthorized"]);
            var limited = AddProblem(operation, problem, StatusCodes.Status429TooManyRequests, "Too many requests for this API key.", ["rate_limited"]);
            limited.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
            limited.Headers["Retry-After"] = new OpenApiHeader
            {
                Description = "Seconds to wait before the next request.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" },
            };
            if (operation.RequestBody is not null)
            {
                AddProblem(operation, problem, StatusCodes.Status400BadRequest, "The body could not be read.", ["malformed_json", "bad_request"]);
                AddProblem(operation, problem, StatusCodes.Status413PayloadTooLarge,
                    "The body is too large: `Outdial:Api:MaxRequestBodyBytes` (1 MB by default); contact uploads up to 1 GiB.",
                    ["payload_too_large"]);
            }
        }
        foreach (var example in metadata.OfType<ExampleMetadata>())
        {
            var content = example.Status is { } status
                ? (operation.Responses.TryGetValue(status.ToString(CultureInfo.InvariantCulture), out var r) ? r.Content : null)
                : operation.RequestBody?.Content;
            var json = content?.Where(c => c.Key.Contains("json", StringComparison.Ordinal)).Select(c => c.Value).ToList();
            if (json is not { Count: > 0 })
            {
                throw new InvalidOperationException($"{operation.OperationId}: example {example.Name} is for a {(example.Status is null ? "request body" : $"{example.Status} answer")} with no JSON content.");
            }
            foreach (var media in json)
            {
                media.Example = OpenApiExamples.Get(example.Name);
            }
        }
        foreach (var declared in metadata.OfType<ProblemCodes>().GroupBy(p => p.Status))
        {
            if (operation.Responses.TryGetValue(declared.Key.ToString(CultureInfo.InvariantCulture), out var response) && response is OpenApiResponse r)
            {
                r.Description = Describe(Reason(declared.Key), [.. declared.SelectMany(p => p.Codes).Distinct(StringComparer.Ordinal)]);
            }
        }
        DescribeMergePatch(operation, context, metadata);
        return Task.CompletedTask;
    }

    /// <summary>Marks, in the document's metadata, a request shape that a merge-patch body refers to (see <see cref="DocumentDescription"/>).</summary>
    public const string PatchShapePrefix = "outdial:patch-shape:";

    /// <summary>
    /// A merge-patch handler binds the raw <c>JsonObject</c> (RFC 7396: absent = keep, null = clear) and declares the resource's
    /// request shape with <c>Accepts&lt;T&gt;</c>; the body refers to that shape's schema instead of "any object". The shape is
    /// usually a create body too; <see cref="DocumentDescription"/> adds its schema when no other operation did.
    /// </summary>
    private static void DescribeMergePatch(OpenApiOperation operation, OpenApiOperationTransformerContext context, IList<object> metadata)
    {
        var boundToJsonObject = context.Description.ParameterDescriptions.Any(p => p.Type == typeof(System.Text.Json.Nodes.JsonObject));
        if (!boundToJsonObject || operation.RequestBody is not OpenApiRequestBody body || body.Content is not { } content
            || metadata.OfType<IAcceptsMetadata>().LastOrDefault(a => a.RequestType is not null)?.RequestType is not { } shape)
        {
            return;
        }
        context.Document!.Metadata ??= new Dictionary<string, object>(StringComparer.Ordinal);
        context.Document.Metadata[PatchShapePrefix + shape.Name] = shape;
        body.Description = $"JSON Merge Patch (RFC 7396) of `{shape.Name}`: a member present replaces the current value (null clears it), an absent "
            + "member keeps it; the merged result is validated like a create.";
        foreach (var media in content.Values)
        {
            media.Schema = new OpenApiSchemaReference(shape.Name, context.Document);
        }
    }

    /// <summary>Adds (or extends) a problem response for <paramref name="status"/>.</summary>
    private static OpenApiResponse AddProblem(OpenApiOperation operation, IOpenApiSchema problem, int status, string meaning, IReadOnlyList<string> codes)
    {
        var key = status.ToString(CultureInfo.InvariantCulture);
        if (operation.Responses!.TryGetValue(key, out var existing) && existing is OpenApiResponse known)
        {
            known.Description = string.IsNullOrEmpty(known.Description) ? Describe(meaning, codes) : known.Description;
            return known;
        }
        var response = new OpenApiResponse
        {
            Description = Describe(meaning, codes),
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) { [ProblemJson] = new() { Schema = problem } },
        };
        operation.Responses[key] = response;
        return response;
    }

    private static string Describe(string meaning, IReadOnlyList<string> codes) =>
        codes.Count == 0 ? meaning : $"{meaning} Problem `code`: {string.Join(", ", codes.Select(c => $"`{c}`"))}.";

    private static string Reason(int status) => status switch
    {
        400 => "Bad request.",
        404 => "Not found.",
        409 => "Conflict.",
        413 => "Payload too large.",
        415 => "Unsupported media type.",
        422 => "The request was understood but refused.",
        _ => $"HTTP {status}.",
    };
}
