using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Outdial.Core.Common;
using Outdial.Core.Net;
using Outdial.Core.Webhooks;
using Outdial.Server.Calls;
using Outdial.Server.Infrastructure;
using Outdial.Server.OpenApi;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Outdial.Server.Webhooks;

/// <summary>Body of <c>POST /v1/webhook-endpoints</c> (and the merged document of PATCH). <c>events</c> null = every event type.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record WebhookEndpointRequest(string? Url, string? Description, IReadOnlyList<string>? Events, bool? Enabled);

/// <summary>
/// A webhook endpoint. <c>secret</c> is present only in the answers to creation and rotation. <c>disabledReason</c>:
/// <c>disabled_by_account</c>, <c>gone</c> (it answered 410) or <c>failing</c> (all attempts failed for 5 days).
/// Times UTC.
/// </summary>
public sealed record WebhookEndpointResource(
    string Id, string Url, string? Description, IReadOnlyList<string>? Events, bool Enabled, string? DisabledReason, DateTime? DisabledAt,
    DateTime? FailingSince, int ActiveSecrets, DateTime CreatedAt, DateTime UpdatedAt, string? Secret = null)
{
    public static WebhookEndpointResource Of(WebhookEndpoint e, DateTimeOffset now, string? secret = null) => new(
        e.Id, e.Url, e.Description, e.Events, e.Enabled, e.DisabledReason, e.DisabledAt?.UtcDateTime, e.FailingSince?.UtcDateTime,
        WebhookSecret.Active(e.Secrets, now).Count, e.CreatedAt.UtcDateTime, e.UpdatedAt.UtcDateTime, secret);
}

/// <summary>One HTTP attempt: <c>latencyMs</c> until the answer's headers; <c>responseExcerpt</c> the first bytes of the answer's body.</summary>
public sealed record WebhookAttemptResource(int Number, DateTime At, int? StatusCode, long LatencyMs, string? ResponseExcerpt, string? Error);

/// <summary>
/// One event to one destination, with every attempt. <c>eventId</c> is the <c>webhook-id</c> header. <c>payload</c> (the body
/// sent, as JSON) appears when one delivery is fetched. Times UTC.
/// </summary>
public sealed record WebhookDeliveryResource(
    string Id, string? EndpointId, string Url, string? CallId, string EventId, string EventType, long Sequence, string Status,
    int AttemptCount, DateTime? NextAttemptAt, DateTime CreatedAt, DateTime UpdatedAt, IReadOnlyList<WebhookAttemptResource> Attempts,
    JsonNode? Payload = null)
{
    public static WebhookDeliveryResource Of(WebhookDelivery d, bool withPayload = false) => new(
        d.Id, d.EndpointId, d.Url, d.CallId, d.EventId, d.EventType, d.Sequence, WireNames.Of(d.Status), d.Attempts.Count,
        d.Status == WebhookDeliveryStatus.Pending ? d.NextAttemptAt?.UtcDateTime : null, d.CreatedAt.UtcDateTime, d.UpdatedAt.UtcDateTime,
        [.. d.Attempts.Select(a => new WebhookAttemptResource(a.Number, a.At.UtcDateTime, a.StatusCode, a.LatencyMs, a.ResponseExcerpt, a.Error))],
        withPayload ? JsonNode.Parse(d.Body) : null);
}

/// <summary>Body of <c>POST /v1/webhook-endpoints/{id}/replay</c>: failed deliveries created in [<c>since</c>, <c>until</c>) (ISO-8601 with offset; <c>until</c> defaults to now).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ReplayRequest(string? Since, string? Until);

/// <summary>A signing secret as shown: <c>expiresAt</c> is set on a secret rotated out and still valid until then (UTC).</summary>
public sealed record SigningSecretResource(string Secret, DateTime CreatedAt, DateTime? ExpiresAt);

/// <summary>Every webhook endpoint of the account (<c>GET /v1/webhook-endpoints</c>).</summary>
public sealed record WebhookEndpointList(IReadOnlyList<WebhookEndpointResource> Data);

/// <summary>One page of the delivery log, newest first; pass <c>nextCursor</c> as <c>cursor</c> for the next (absent on the last page).</summary>
public sealed record WebhookDeliveryPage(IReadOnlyList<WebhookDeliveryResource> Data, string? NextCursor);

/// <summary>The account's signing secrets still valid, newest first (<c>/v1/account/webhook-secret</c>).</summary>
public sealed record SigningSecretList(IReadOnlyList<SigningSecretResource> Data);

/// <summary>Answer of a replay: how many failed deliveries were sent again.</summary>
public sealed record ReplayResult(int Replayed);

/// <summary>
/// <c>/v1/webhook-endpoints</c>, <c>/v1/webhook-deliveries</c> and <c>/v1/account/webhook-secret</c>: account webhook endpoints,
/// the delivery log with redelivery and replay, and the default signing secret used for per-call webhooks.
/// </summary>
public static class WebhooksApi
{
    /// <summary>Most endpoints per account.</summary>
    public const int MaxEndpoints = 20;

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder app)
    {
        var endpoints = app.MapGroup("/v1/webhook-endpoints").WithTags("Webhooks").RequireAuthorization();
        endpoints.MapPost("/", CreateAsync).WithName("CreateWebhookEndpoint")
            .WithSummary("Create a webhook endpoint")
            .WithDescription($"""
                An account endpoint that receives every call event (`events` null) or the listed types: `url` (at most 2048
                characters, must pass the SSRF guard), `description` (at most 500), `events`, `enabled`. 201 with the endpoint and
                its generated signing `secret` (`whsec_…`), shown only here and on rotation. At most {MaxEndpoints} endpoints per
                account: 409 `too_many_endpoints`.
                """)
            .Produces<WebhookEndpointResource>(StatusCodes.Status201Created)
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "too_many_endpoints")
            .ProducesValidationFailed();
        endpoints.MapGet("/", async (ClaimsPrincipal user, IWebhookStore store, TimeProvider clock, CancellationToken ct) =>
            TypedResults.Ok(new WebhookEndpointList([.. (await store.ListEndpointsAsync(user.AccountId(), ct)).Select(e => WebhookEndpointResource.Of(e, clock.GetUtcNow()))])))
            .WithName("ListWebhookEndpoints")
            .WithSummary("List webhook endpoints")
            .WithDescription("The account's endpoints with `enabled`, `disabledReason`, `failingSince` and `activeSecrets` (a count; secrets are never shown again).");
        endpoints.MapGet("/{id}", async (string id, ClaimsPrincipal user, IWebhookStore store, TimeProvider clock, CancellationToken ct) =>
            await store.GetEndpointAsync(user.AccountId(), id, ct) is { } e
                ? (IResult)TypedResults.Ok(WebhookEndpointResource.Of(e, clock.GetUtcNow()))
                : Problems.NotFound("webhook endpoint")).WithName("GetWebhookEndpoint")
            .WithSummary("Get a webhook endpoint")
            .WithDescription("One endpoint of the account (without its secret).")
            .Produces<WebhookEndpointResource>()
            .ProducesNotFound();
        endpoints.MapPatch("/{id}", UpdateAsync).WithName("UpdateWebhookEndpoint").Accepts<WebhookEndpointRequest>("application/merge-patch+json", "application/json")
            .WithSummary("Update a webhook endpoint")
            .WithDescription("""
                JSON Merge Patch (RFC 7396) of `url`, `description`, `events`, `enabled`. `enabled: false` ends the endpoint's
                pending deliveries as failed (replay them later); `enabled: true` clears `disabledReason` and `failingSince`.
                """)
            .Produces<WebhookEndpointResource>()
            .ProducesNotFound()
            .ProducesValidationFailed();
        endpoints.MapDelete("/{id}", async (string id, ClaimsPrincipal user, IWebhookStore store, TimeProvider clock, CancellationToken ct) =>
            await store.DeleteEndpointAsync(user.AccountId(), id, clock.GetUtcNow(), ct) ? (IResult)TypedResults.NoContent() : Problems.NotFound("webhook endpoint"))
            .WithName("DeleteWebhookEndpoint")
            .WithSummary("Delete a webhook endpoint")
            .WithDescription("Deletes the endpoint (204); its pending deliveries become failed (`endpoint_deleted`); the delivery log is kept.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesNotFound();
        endpoints.MapPost("/{id}/rotate-secret", RotateAsync).WithName("RotateWebhookEndpointSecret")
            .WithSummary("Rotate an endpoint's signing secret")
            .WithDescription("""
                A new signing secret, answered once in `secret`. The previous ones stay valid, and sign too, for
                `Outdial:Webhooks:SecretRotationOverlap` (24 h): receivers see two signatures meanwhile.
                """)
            .Produces<WebhookEndpointResource>()
            .ProducesNotFound();
        endpoints.MapPost("/{id}/replay", ReplayAsync).WithName("ReplayWebhookEndpoint")
            .WithSummary("Replay an endpoint's failed deliveries")
            .WithDescription("""
                Sends the endpoint's failed deliveries created in [`since`, `until`) again with a fresh retry schedule, in order per
                call (`until` defaults to now). 202 with how many; 409 `endpoint_disabled` while the endpoint is disabled.
                """)
            .Produces<ReplayResult>(StatusCodes.Status202Accepted)
            .ProducesNotFound()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "endpoint_disabled")
            .ProducesValidationFailed();

        var deliveries = app.MapGroup("/v1/webhook-deliveries").WithTags("Webhooks").RequireAuthorization();
        deliveries.MapGet("/", ListDeliveriesAsync).WithName("ListWebhookDeliveries")
            .WithSummary("List webhook deliveries")
            .WithDescription("""
                The delivery log, newest first: one delivery per event and destination (an account endpoint or a per-call webhook),
                each with every attempt. Filters `endpointId`, `callId`, `status`, `eventType`; pages of `limit`, `cursor`.
                """)
            .WithQuery(QueryParameter.Text("endpointId", "Only deliveries to this endpoint."),
                QueryParameter.Text("callId", "Only deliveries of this call's events."),
                QueryParameter.OneOf("status", "Only deliveries in this state.", [.. Enum.GetValues<WebhookDeliveryStatus>().Select(WireNames.Of)]),
                QueryParameter.OneOf("eventType", "Only deliveries of this event type.", [.. WebhookEventTypes.All]),
                QueryParameter.Limit, QueryParameter.Cursor)
            .Produces<WebhookDeliveryPage>()
            .ProducesInvalidQuery();
        deliveries.MapGet("/{id}", async (string id, ClaimsPrincipal user, IWebhookStore store, CancellationToken ct) =>
            await store.GetDeliveryAsync(user.AccountId(), id, ct) is { } d
                ? (IResult)TypedResults.Ok(WebhookDeliveryResource.Of(d, withPayload: true))
                : Problems.NotFound("webhook delivery")).WithName("GetWebhookDelivery")
            .WithSummary("Get a webhook delivery")
            .WithDescription("One delivery with every attempt and its `payload` (the body sent, as JSON; verify signatures against the raw bytes you received).")
            .Produces<WebhookDeliveryResource>()
            .ProducesNotFound();
        deliveries.MapPost("/{id}/redeliver", RedeliverAsync).WithName("RedeliverWebhook")
            .WithSummary("Redeliver a webhook")
            .WithDescription("""
                Sends this delivery again now with a fresh retry schedule, whatever its status (same `webhook-id`, same body). 202
                with the delivery and its `Location`; 409 `endpoint_disabled` when its endpoint is disabled or deleted.
                """)
            .Produces<WebhookDeliveryResource>(StatusCodes.Status202Accepted)
            .ProducesNotFound()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "endpoint_disabled");

        var secret = app.MapGroup("/v1/account/webhook-secret").WithTags("Webhooks").RequireAuthorization();
        secret.MapGet("/", async (ClaimsPrincipal user, IWebhookStore store, TimeProvider clock, CancellationToken ct) =>
        {
            var now = clock.GetUtcNow();
            return TypedResults.Ok(new SigningSecretList(Shown(await store.GetSigningSecretsAsync(user.AccountId(), now, WebhookSecrets.Generate, ct), now)));
        }).WithName("GetAccountWebhookSecret")
            .WithSummary("Get the account's signing secret")
            .WithDescription("""
                The account's default signing secret(s), newest first (created on first use): they sign per-call webhooks that bring
                no secret of their own, and seed 002's result push. A secret rotated out shows `expiresAt`.
                """);
        secret.MapPost("/rotate", async (ClaimsPrincipal user, IWebhookStore store, IOptions<WebhookOptions> options, TimeProvider clock, CancellationToken ct) =>
        {
            var now = clock.GetUtcNow();
            var rotated = await store.UpdateSigningSecretsAsync(user.AccountId(),
                current => WebhookSecret.Rotate(current, WebhookSecrets.Generate(), now, options.Value.SecretRotationOverlap), ct);
            return TypedResults.Ok(new SigningSecretList(Shown(rotated, now)));
        }).WithName("RotateAccountWebhookSecret")
            .WithSummary("Rotate the account's signing secret")
            .WithDescription("A new default secret; the previous one gets `expiresAt` = now + 24 h and signs too until then.");
        return app;
    }

    /// <summary>201 with the endpoint and its secret (shown only here and on rotation); 422 <c>validation_failed</c> (URL refused by the SSRF guard, unknown event types); 409 <c>too_many_endpoints</c>.</summary>
    public static async Task<IResult> CreateAsync([FromBody] WebhookEndpointRequest body, ClaimsPrincipal user, IWebhookStore store,
        OutboundUrlGuard guard, TimeProvider clock, CancellationToken ct)
    {
        var errors = await ValidateAsync(body, guard, ct);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        if ((await store.ListEndpointsAsync(user.AccountId(), ct)).Count >= MaxEndpoints)
        {
            return Problems.Create(StatusCodes.Status409Conflict, "too_many_endpoints", "The account has the most webhook endpoints allowed.",
                $"An account may have at most {MaxEndpoints} webhook endpoints; delete one first.");
        }
        var now = clock.GetUtcNow();
        var secret = WebhookSecrets.Generate();
        var enabled = body.Enabled ?? true;
        var endpoint = new WebhookEndpoint
        {
            Id = Ids.New("whe", now),
            AccountId = user.AccountId(),
            Url = body.Url!,
            Description = body.Description,
            Events = body.Events,
            Enabled = enabled,
            DisabledReason = enabled ? null : "disabled_by_account",
            DisabledAt = enabled ? null : now,
            Secrets = [new WebhookSecret(secret, now, null)],
            CreatedAt = now,
            UpdatedAt = now,
        };
        await store.CreateEndpointAsync(endpoint, ct);
        return TypedResults.Created($"/v1/webhook-endpoints/{endpoint.Id}", WebhookEndpointResource.Of(endpoint, now, secret));
    }

    /// <summary>
    /// Merge-patch of url, description, events, enabled. Setting <c>enabled: true</c> on a disabled endpoint clears its disabled
    /// reason and failure tracking; <c>enabled: false</c> ends its pending deliveries as failed (replay them later).
    /// </summary>
    public static async Task<IResult> UpdateAsync(string id, [FromBody] JsonObject patch, ClaimsPrincipal user, IWebhookStore store,
        OutboundUrlGuard guard, IOptions<JsonOptions> json, TimeProvider clock, CancellationToken ct)
    {
        var current = await store.GetEndpointAsync(user.AccountId(), id, ct);
        if (current is null)
        {
            return Problems.NotFound("webhook endpoint");
        }
        var merged = MergePatch.Apply(new WebhookEndpointRequest(current.Url, current.Description, current.Events, current.Enabled), patch, json.Value.SerializerOptions);
        // The URL is checked again only when it changes, so an endpoint whose host no longer passes can still be disabled.
        var errors = await ValidateAsync(merged, merged.Url == current.Url ? null : guard, ct);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var now = clock.GetUtcNow();
        var enabled = merged.Enabled ?? true;
        var updated = await store.UpdateEndpointAsync(user.AccountId(), id, e =>
        {
            var next = e with { Url = merged.Url!, Description = merged.Description, Events = merged.Events, Enabled = enabled, UpdatedAt = now };
            if (enabled && !e.Enabled)
            {
                next = next with { DisabledReason = null, DisabledAt = null, FailingSince = null };
            }
            else if (!enabled && e.Enabled)
            {
                next = next with { DisabledReason = "disabled_by_account", DisabledAt = now };
            }
            return next;
        }, ct);
        return updated is null ? Problems.NotFound("webhook endpoint") : TypedResults.Ok(WebhookEndpointResource.Of(updated, now));
    }

    /// <summary>A new secret; the previous ones stay valid (and are signed with too) for <c>Outdial:Webhooks:SecretRotationOverlap</c> (24 h).</summary>
    public static async Task<IResult> RotateAsync(string id, ClaimsPrincipal user, IWebhookStore store, IOptions<WebhookOptions> options,
        TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var secret = WebhookSecrets.Generate();
        var updated = await store.UpdateEndpointAsync(user.AccountId(), id,
            e => e with { Secrets = WebhookSecret.Rotate(e.Secrets, secret, now, options.Value.SecretRotationOverlap), UpdatedAt = now }, ct);
        return updated is null ? Problems.NotFound("webhook endpoint") : TypedResults.Ok(WebhookEndpointResource.Of(updated, now, secret));
    }

    /// <summary>202 <c>{"replayed": n}</c>: the endpoint's failed deliveries in the range are sent again, in order per call; 409 <c>endpoint_disabled</c>.</summary>
    public static async Task<IResult> ReplayAsync(string id, [FromBody] ReplayRequest body, ClaimsPrincipal user, IWebhookStore store,
        TimeProvider clock, CancellationToken ct)
    {
        var endpoint = await store.GetEndpointAsync(user.AccountId(), id, ct);
        if (endpoint is null)
        {
            return Problems.NotFound("webhook endpoint");
        }
        var now = clock.GetUtcNow();
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        DateTimeOffset since = default, until = now;
        if (body.Since is null)
        {
            errors["since"] = ["is required"];
        }
        else if (!Instants.TryParseUtc(body.Since, out since))
        {
            errors["since"] = [Instants.Rule];
        }
        if (body.Until is not null && !Instants.TryParseUtc(body.Until, out until))
        {
            errors["until"] = [Instants.Rule];
        }
        else if (errors.Count == 0 && until <= since)
        {
            errors["until"] = ["must be after since"];
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        if (!endpoint.Enabled)
        {
            return Problems.Create(StatusCodes.Status409Conflict, "endpoint_disabled", "The endpoint is disabled.",
                "Enable it (PATCH enabled: true) before replaying its failed deliveries.");
        }
        var replayed = await store.ReplayAsync(user.AccountId(), id, since, until, now, ct);
        return TypedResults.Accepted((string?)null, new ReplayResult(replayed));
    }

    /// <summary>
    /// 202 with the delivery, due now with a fresh retry schedule (same <c>webhook-id</c>, same body); 409 <c>endpoint_disabled</c>
    /// when its endpoint is disabled or deleted.
    /// </summary>
    public static async Task<IResult> RedeliverAsync(string id, ClaimsPrincipal user, IWebhookStore store, TimeProvider clock, CancellationToken ct)
    {
        var delivery = await store.GetDeliveryAsync(user.AccountId(), id, ct);
        if (delivery is null)
        {
            return Problems.NotFound("webhook delivery");
        }
        if (delivery.EndpointId is { } endpointId && await store.GetEndpointAsync(user.AccountId(), endpointId, ct) is not { Enabled: true })
        {
            return Problems.Create(StatusCodes.Status409Conflict, "endpoint_disabled", "The delivery's endpoint is disabled or deleted.",
                "Enable the endpoint (PATCH enabled: true) before redelivering to it.");
        }
        var redelivered = await store.RedeliverAsync(user.AccountId(), id, clock.GetUtcNow(), ct);
        return redelivered is null
            ? Problems.NotFound("webhook delivery")
            : TypedResults.Accepted($"/v1/webhook-deliveries/{redelivered.Id}", WebhookDeliveryResource.Of(redelivered));
    }

    /// <summary>Newest first. Filters: endpointId, callId, status (pending, succeeded, failed), eventType; cursor; limit 1–100 (default 20).</summary>
    public static async Task<IResult> ListDeliveriesAsync(HttpRequest request, ClaimsPrincipal user, IWebhookStore store, CancellationToken ct)
    {
        var q = request.Query;
        if (!Paging.TryLimit(q, out var limit, out var badLimit))
        {
            return badLimit!;
        }
        WebhookDeliveryStatus? status = null;
        if (q.TryGetValue("status", out var s))
        {
            if (!WireNames.TryParse<WebhookDeliveryStatus>(s, out var st))
            {
                return Problems.BadQuery("status", "must be one of pending, succeeded, failed");
            }
            status = st;
        }
        var eventType = Paging.Str(q, "eventType");
        if (eventType is not null && !WebhookEventTypes.IsKnown(eventType))
        {
            return Problems.BadQuery("eventType", "must be one of " + string.Join(", ", WebhookEventTypes.All));
        }
        var page = await store.ListDeliveriesAsync(new WebhookDeliveryQuery(user.AccountId(), limit + 1, Paging.Str(q, "cursor"), Paging.Str(q, "endpointId"),
            Paging.Str(q, "callId"), status, eventType), ct);
        var data = page.Take(limit).Select(d => WebhookDeliveryResource.Of(d)).ToList();
        return TypedResults.Ok(new WebhookDeliveryPage(data, page.Count > limit ? data[^1].Id : null));
    }

    /// <summary>Field checks; the URL goes through the SSRF guard unless <paramref name="guard"/> is null.</summary>
    private static async Task<Dictionary<string, string[]>> ValidateAsync(WebhookEndpointRequest body, OutboundUrlGuard? guard, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (await WebhookDestinations.UrlErrorAsync(body.Url, guard, ct) is { } urlError)
        {
            errors["url"] = [urlError];
        }
        if (body.Description is { Length: > 500 })
        {
            errors["description"] = ["must be at most 500 characters"];
        }
        if (WebhookDestinations.EventsError(body.Events) is { } eventsError)
        {
            errors["events"] = [eventsError];
        }
        return errors;
    }

    private static IReadOnlyList<SigningSecretResource> Shown(IEnumerable<WebhookSecret> secrets, DateTimeOffset now) =>
        [.. WebhookSecret.Valid(secrets, now).Select(s => new SigningSecretResource(s.Value, s.CreatedAt.UtcDateTime, s.ExpiresAt?.UtcDateTime))];
}
