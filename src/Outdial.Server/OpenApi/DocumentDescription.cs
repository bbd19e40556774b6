using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Outdial.Server.OpenApi;

/// <summary>
/// The document's top level: <c>info</c> (title, description, contact), <c>servers</c> (the address the document was fetched from,
/// without a trailing slash), <c>components.securitySchemes</c> (<see cref="ApiSecurity.Schemes"/>), and every tag with its
/// description, grouped for the reference at <c>/docs</c> (<c>x-tagGroups</c>).
/// </summary>
public sealed class DocumentDescription : IOpenApiDocumentTransformer
{
    /// <summary>Tag names and what each covers; the document's tags come from here, in this order.</summary>
    public static readonly IReadOnlyList<(string Group, string Name, string Description)> Tags =
    [
        ("Native API v1", "Calls", "Place, list and cancel outbound calls; their lifecycle events, dial attempts, transcript and insights."),
        ("Native API v1", "Campaigns", "Campaigns: a list of contacts dialed with one agent, caller-ID pool, calling window, pacing and retry policy."),
        ("Native API v1", "Agents", "Agents: the prompt, voice, variables, calling window and retry policy a call runs with."),
        ("Native API v1", "Phone numbers", "Caller IDs the account owns, each with its provider and dial rate."),
        ("Native API v1", "Do not call", "The account's do-not-call list, keyed by E.164 number; opt-outs are protected."),
        ("Native API v1", "Consents", "Consent records: evidence that a person agreed to be called (who, when, how, for what)."),
        ("Native API v1", "Compliance", "The legal floor in force on this server: rule packs, calling hours and frequency limits."),
        ("Native API v1", "Webhooks", "Webhook endpoints, the delivery log (redeliver, replay) and the account's default signing secret. "
            + "What is sent is in the document's `webhooks` section."),
        ("Native API v1", "Account", "The caller's own account: consent rules, concurrency, frequency cap, dialect aliases."),
        ("Native API v1", "API keys", "API keys of the account; the secret is shown once, at creation."),
        ("Native API v1", "Health", "Liveness and provider health; needs no key."),
        ("Operator", "Admin", "Accounts, managed by the server's operator with the operator key (`Outdial:Admin:ApiKey`, or the one printed on first start): "
            + "create (with a default agent, sandbox caller ID and first API key), list, get, disable, enable."),
        ("Seed dialects", Dialects.DialectTags.Vodex, "Seed 000, Vodex \"Trigger Call\": `POST /api/v1/trigger-call` with the key in `Authorization` and the account's `dburl` alias. "
            + "Answers in `{success, message, data?}`."),
        ("Seed dialects", Dialects.DialectTags.Talkover, "Seed 001, Talkover \"Make Campaign Call\": a call in a native campaign, `Authorization: Bearer`. "
            + "Errors in `{success: false, message, code?, errors?}`."),
        ("Seed dialects", Dialects.DialectTags.Ivr, "Seed 002, IVR \"Outbound Call Trigger\": the key is the body's `AccessToken`, the account is named by `Tenant`. "
            + "Errors in `{Error, Field?}`. Also served on the seed's own port when `Outdial:Dialects:Ivr:Urls` is set."),
        ("Seed dialects", Dialects.DialectTags.BuildVoice, "Seed 003, BuildVoiceAI \"Trigger Call\": `Authorization: Bearer`, its own budget of 100 requests per minute per key. "
            + "Errors in `{success: false, error}`."),
        ("Seed dialects", Dialects.DialectTags.Aicaller, "Seed 004, aicaller \"phone calls\": the `aicaller-api-key` header and the account's `teamId` alias. "
            + "Errors in `{error: {message, statusCode, code, errors?}}`."),
    ];

    private const string Overview = """
        Outdial places outbound AI voice calls: a call is accepted, checked for eligibility (do-not-call list, consent, calling
        windows, legal calling hours, frequency caps), dialed through a telephony provider (`sandbox` simulates one), and its
        conversation is run by an agent; events are sent as signed webhooks.

        **Native API v1** (`/v1/...`): JSON in and out, `Authorization: Bearer <api key>` (`od_live_…`; the first start prints one).
        Another account's object answers 404. Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`
        (`type` is `urn:outdial:problem:{code}`) and, for invalid fields, `errors` (field → messages). Times are ISO-8601: inputs
        must carry an offset (`Z` or `±hh:mm`), outputs are UTC with `Z`; durations are seconds unless a name says otherwise.
        PATCH bodies are JSON Merge Patch (RFC 7396) at the top level, validated like a create.

        **Seed dialects**: five APIs that mimic other vendors' call-trigger APIs, each with its own authentication and error
        envelope, all placing native calls.

        **Webhooks**: every call event, signed per Standard Webhooks 1.0 (`webhook-id`, `webhook-timestamp`, `webhook-signature`),
        is described in this document's `webhooks` section.
        """;

    /// <inheritdoc />
    public async Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Outdial API",
            Version = "v1",
            Description = Overview,
            Contact = new OpenApiContact { Name = "Outdial" },
        };
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
        }

        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        foreach (var (key, value) in document.Metadata ?? new Dictionary<string, object>())
        {
            // A merge-patch body's shape that no other operation produced (OperationConventions).
            if (key.StartsWith(OperationConventions.PatchShapePrefix, StringComparison.Ordinal) && value is Type shape
                && !document.Components.Schemas.ContainsKey(shape.Name))
            {
                document.Components.Schemas[shape.Name] = await context.GetOrCreateSchemaAsync(shape, null, cancellationToken);
            }
        }
        document.Components.SecuritySchemes = ApiSecurity.Schemes.ToDictionary(s => s.Key, s => (IOpenApiSecurityScheme)s.Value, StringComparer.Ordinal);

        document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));
        document.Extensions ??= new Dictionary<string, IOpenApiExtension>(StringComparer.Ordinal);
        document.Extensions["x-tagGroups"] = new JsonNodeExtension(new JsonArray([.. Tags.GroupBy(t => t.Group).Select(g => (JsonNode)new JsonObject
        {
            ["name"] = g.Key,
            ["tags"] = new JsonArray([.. g.Select(t => (JsonNode)JsonValue.Create(t.Name))]),
        })]));
    }
}
