using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Outdial.Core.Calls;
using Outdial.Core.Webhooks;

namespace Outdial.Server.OpenApi;

/// <summary>
/// The document's <c>webhooks</c> section (OpenAPI 3.1): one entry per call event type, each a <c>POST</c> that Outdial sends to
/// account endpoints and per-call webhooks, with the Standard Webhooks 1.0 headers and the payload <c>WebhookEvent</c>
/// (<see cref="WebhookOutbox.Payload"/>), plus seed 002's result push (<c>ivr.call_results</c>). The rules are the deliverer's
/// (<see cref="WebhookDeliverer"/>): 2xx acknowledges, 410 disables the endpoint, anything else is retried.
/// </summary>
public sealed class WebhookDocumentation : IOpenApiDocumentTransformer
{
    /// <summary>The component name of the payload schema.</summary>
    public const string EventSchema = "WebhookEvent";

    /// <summary>The key of seed 002's result push in the <c>webhooks</c> section.</summary>
    public const string IvrResultPush = "ivr.call_results";

    /// <summary>When each event type is sent. The document lists the types described here; a test compares them with <see cref="WebhookEventTypes.All"/>.</summary>
    public static readonly IReadOnlyDictionary<string, string> SentWhen = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [CallEventTypes.Queued] = "The call is accepted to be dialed now, or a scheduled call comes due (then written together with `call.dialing`).",
        [CallEventTypes.Scheduled] = "The call is accepted for later (`notBefore`, outside the calling window or legal hours), its window closed before it "
            + "was dialed, a retryable outcome leaves attempts (the next one after the cooldown), or a dial that never reached the provider is to be placed again.",
        [CallEventTypes.Dialing] = "An attempt is written, just before the provider is asked to dial.",
        [CallEventTypes.Ringing] = "The provider reports ringing.",
        [CallEventTypes.Answered] = "A human answered (or the provider could not tell: `answeredBy: unknown`).",
        [CallEventTypes.Voicemail] = "A machine answered; the call is `in_progress`, and `call.ended` follows.",
        [CallEventTypes.Ended] = "The call is over, with its final `outcome` and `outcomeDetail`.",
        [CallEventTypes.Canceled] = "The call was canceled (`POST /v1/calls/{id}/cancel`).",
        [CallEventTypes.Expired] = "The call was not dialed before its `expiresAt`.",
        [CallEventTypes.Blocked] = "The call was refused at dial time (do-not-call list, provider not configured).",
        [CallEventTypes.InsightsReady] = "After the end, the analysis of the call's insight questions completed; `data.insights` holds it (answers, summary, success).",
        [CallEventTypes.InsightsFailed] = "The analysis gave up after its retries; `data.insights.error` says why.",
    };

    /// <inheritdoc />
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        foreach (var needed in (ReadOnlySpan<string>)["CallResource", "AttemptResource", "InsightResource", "IvrCallResults"])
        {
            if (!document.Components.Schemas.ContainsKey(needed))
            {
                throw new InvalidOperationException($"The webhook payload refers to schema {needed}, which no operation produces.");
            }
        }
        document.Components.Schemas[EventSchema] = PayloadSchema(document);
        document.Webhooks = new Dictionary<string, IOpenApiPathItem>(StringComparer.Ordinal);
        foreach (var (type, sentWhen) in SentWhen)
        {
            document.Webhooks[type] = Hook(document, OperationId(type), type, $"{sentWhen}\n\n{Delivery}", new OpenApiSchemaReference(EventSchema, document),
                type == CallEventTypes.Ended ? OpenApiExamples.Get("WebhookCallEnded") : null);
        }
        document.Webhooks[IvrResultPush] = Hook(document, "ivrCallResultsPush", "Seed 002 result push",
            "Seed 002's `ResultDestination`: when a call placed through `POST /v2/call` reaches its final state (ended, canceled, expired, blocked), "
            + "its row `{UniqueId, CallRequestId, CallState}` is posted as `{CallResults: [rows]}`, the body of `/v2/callresult`; with "
            + "`SendResultImmediately: false` the rows due for one URL are batched (`Outdial:Dialects:Ivr:ResultBatchIntervalSec`, default 60 s). "
            + $"Signed with the account's default signing secret.\n\n{Delivery}",
            new OpenApiSchemaReference("IvrCallResults", document), OpenApiExamples.Get("IvrCallResults"));
        return Task.CompletedTask;
    }

    private const string Delivery = "Sent at least once (de-duplicate on `webhook-id`), in order per call and destination, retried for about 28 hours "
        + "(5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; `Retry-After` on 429/502/503/504 honoured). Verify the signature over the raw body: "
        + "HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` keyed with the base64-decoded secret after `whsec_` "
        + "(a per-call secret without `whsec_` is used as its UTF-8 bytes).";

    /// <summary><c>call.insights_ready</c> → <c>callInsightsReadyWebhook</c>.</summary>
    private static string OperationId(string type)
    {
        var words = type.Split('.', '_');
        return words[0] + string.Concat(words.Skip(1).Select(w => char.ToUpperInvariant(w[0]) + w[1..])) + "Webhook";
    }

    private static OpenApiPathItem Hook(OpenApiDocument document, string operationId, string summary, string description, IOpenApiSchema body, JsonNode? example) => new()
    {
        Operations = new Dictionary<HttpMethod, OpenApiOperation>
        {
            [HttpMethod.Post] = new()
            {
                OperationId = operationId,
                Summary = summary,
                Description = description,
                Tags = new HashSet<OpenApiTagReference> { new("Webhooks", document) },
                Security = [],
                Parameters =
                [
                    Header("webhook-id", "The event id (`evt_…`): the same across retries, redeliveries, replays and destinations.", "evt_01m7ypkwrbxv465f1x1qhqys7w"),
                    Header("webhook-timestamp", "Unix seconds of this attempt (renewed on every attempt); refuse one more than 5 minutes off your clock.", "1795252941"),
                    Header("webhook-signature", "`v1,<base64 HMAC-SHA256>`, one per valid secret, space-separated (two during the 24 h after a rotation, newest first).",
                        "v1,ASqX1VMDvRExRhK9knMpuPUYE4JL9UqKsL1r6Kj0Ud0="),
                ],
                RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
                    {
                        ["application/json"] = new() { Schema = body, Example = example },
                    },
                },
                Responses = new OpenApiResponses
                {
                    ["2XX"] = new OpenApiResponse { Description = "Any 2xx acknowledges the delivery." },
                    ["410"] = new OpenApiResponse { Description = "Gone: the delivery fails at once and the account endpoint is disabled (`disabledReason: gone`)." },
                    ["default"] = new OpenApiResponse { Description = "Anything else (a redirect, an error, no answer within 15 s) fails the attempt; it is retried." },
                },
            },
        },
    };

    private static OpenApiParameter Header(string name, string description, string example) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Required = true,
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        Example = example,
    };

    /// <summary><c>{id, type, timestamp, data}</c>: <c>data</c> is the call resource as of the event, plus <c>attempt</c>, <c>sequence</c> and <c>insights</c>.</summary>
    private static OpenApiSchema PayloadSchema(OpenApiDocument document) => new()
    {
        Type = JsonSchemaType.Object,
        Description = "A call event as sent to webhooks: the body is built once per event, so every destination, retry, redelivery and replay gets the same bytes.",
        Required = new HashSet<string>(StringComparer.Ordinal) { "id", "type", "timestamp", "data" },
        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
        {
            ["id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The event id: the `webhook-id` header and the `id` in `GET /v1/calls/{id}/events`." },
            ["type"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The event type.",
                Enum = [.. SentWhen.Keys.Select(k => (JsonNode)JsonValue.Create(k))],
            },
            ["timestamp"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Format = "date-time",
                Description = "When the event happened (UTC); when this attempt was sent is `webhook-timestamp`.",
            },
            ["data"] = new OpenApiSchema
            {
                Description = "The call resource as stored with the event (as `GET /v1/calls/{id}` shows it), plus the event's `sequence`, the latest "
                    + "`attempt` (absent before the first dial) and, on `call.insights_ready` and `call.insights_failed`, `insights`.",
                AllOf =
                [
                    new OpenApiSchemaReference("CallResource", document),
                    new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string>(StringComparer.Ordinal) { "sequence" },
                        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
                        {
                            ["sequence"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "1", Description = "The event's number within the call: 1, 2, …" },
                            ["attempt"] = new OpenApiSchemaReference("AttemptResource", document),
                            ["insights"] = new OpenApiSchemaReference("InsightResource", document),
                        },
                    },
                ],
            },
        },
    };
}
