using System.Security.Claims;
using System.Text.Json.Nodes;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Outdial.Core.Calls;
using Outdial.Core.Campaigns;
using Outdial.Core.Common;
using Outdial.Core.Compliance;
using Outdial.Core.Intake;
using Outdial.Core.Storage;
using Outdial.Server.Calls;
using Outdial.Server.Infrastructure;
using Outdial.Server.OpenApi;

namespace Outdial.Server.Campaigns;

/// <summary>
/// The native campaigns API: <c>/v1/campaigns</c> — CRUD, lifecycle (<c>draft → active ⇄ paused → completed |
/// canceled</c>), one call in a campaign, bulk contact import, imports and stats.
/// </summary>
public static partial class CampaignsApi
{
    /// <summary>Largest contact upload accepted, in bytes (1,000,000 rows of a few hundred bytes).</summary>
    public const long MaxUploadBytes = 1L << 30;

    public static RouteGroupBuilder MapCampaigns(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/campaigns").WithTags("Campaigns").RequireAuthorization();
        group.MapPost("/", CreateAsync).WithName("CreateCampaign")
            .WithSummary("Create a campaign")
            .WithDescription("""
                A campaign (status `draft`): `name` (unique in the account), agent, caller-ID pool, calling window, pacing, retry
                policy, DNC rule, start and end. Contacts are added by import or one call at a time; nothing is dialed until it is
                activated. 201 with the campaign and its `Location`.
                """)
            .Produces<CampaignResource>(StatusCodes.Status201Created)
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "campaign_name_taken")
            .ProducesValidationFailed();
        group.MapGet("/", ListAsync).WithName("ListCampaigns")
            .WithSummary("List campaigns")
            .WithDescription("The account's campaigns, newest first, optionally by `status`; pages of `limit`, `cursor`.")
            .WithQuery(QueryParameter.OneOf("status", "Only campaigns in this status.", [.. Enum.GetValues<CampaignStatus>().Select(WireNames.Of)]),
                QueryParameter.Limit, QueryParameter.Cursor)
            .Produces<CampaignPage>()
            .ProducesInvalidQuery();
        group.MapGet("/{id}", async (string id, ClaimsPrincipal user, ICampaignStore store, CancellationToken ct) =>
            await store.GetCampaignAsync(user.AccountId(), id, ct) is { } c ? (IResult)TypedResults.Ok(CampaignResource.Of(c)) : Problems.NotFound("campaign"))
            .WithName("GetCampaign")
            .WithSummary("Get a campaign")
            .WithDescription("The campaign with its settings, status and lifecycle times.")
            .Produces<CampaignResource>()
            .ProducesNotFound();
        group.MapPatch("/{id}", UpdateAsync).WithName("UpdateCampaign").Accepts<CampaignRequest>("application/merge-patch+json", "application/json")
            .WithSummary("Update a campaign")
            .WithDescription("""
                JSON Merge Patch (RFC 7396), validated like a create; allowed in draft, active and paused (the window, pacing and
                retry policy of an active campaign apply to calls not yet dialed). 409 `campaign_finished` once completed or
                canceled; `campaign_busy` when it kept changing meanwhile (retry).
                """)
            .Produces<CampaignResource>()
            .ProducesNotFound()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "campaign_finished", "campaign_name_taken", "campaign_busy")
            .ProducesValidationFailed();
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteCampaign")
            .WithSummary("Delete a campaign")
            .WithDescription("Deletes a draft, completed or canceled campaign (204); its calls keep their campaign id. 409 `campaign_running` while active or paused: cancel it first.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesNotFound()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "campaign_running");
        group.MapPost("/{id}/activate", (string id, ClaimsPrincipal u, ICampaignStore s, CampaignRunner r, TimeProvider c, CancellationToken ct) =>
            TransitionAsync(id, "activate", u, s, r, c, ct)).WithName("ActivateCampaign")
            .Transition("Activate a campaign", "Draft or paused → active: its pending contacts are dialed within its window and pacing.");
        group.MapPost("/{id}/pause", (string id, ClaimsPrincipal u, ICampaignStore s, CampaignRunner r, TimeProvider c, CancellationToken ct) =>
            TransitionAsync(id, "pause", u, s, r, c, ct)).WithName("PauseCampaign")
            .Transition("Pause a campaign", "Active → paused: no new dials until it is resumed; calls in progress go on.");
        group.MapPost("/{id}/resume", (string id, ClaimsPrincipal u, ICampaignStore s, CampaignRunner r, TimeProvider c, CancellationToken ct) =>
            TransitionAsync(id, "resume", u, s, r, c, ct)).WithName("ResumeCampaign")
            .Transition("Resume a campaign", "Paused → active.");
        group.MapPost("/{id}/cancel", (string id, ClaimsPrincipal u, ICampaignStore s, CampaignRunner r, TimeProvider c, CancellationToken ct) =>
            TransitionAsync(id, "cancel", u, s, r, c, ct)).WithName("CancelCampaign")
            .Transition("Cancel a campaign", "Draft, active or paused → canceled: pending contacts are skipped and calls not yet dialed are canceled.");
        group.MapPost("/{id}/calls", CreateCallAsync).WithName("CreateCampaignCall")
            .WithSummary("Place a call in a campaign")
            .WithDescription("""
                The body and answers of `POST /v1/calls`, with the path's campaign: the call inherits its agent, caller-ID pool,
                window, retry policy and DNC rule, and waits while the campaign is not active. 409 `duplicate_call` with the
                existing call unless `allowDuplicates`.
                """)
            .Produces<CallResource>(StatusCodes.Status202Accepted)
            .ProducesNotFound()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "duplicate_call", "idempotency_in_flight")
            .ProducesProblemCodes(StatusCodes.Status422UnprocessableEntity, "validation_failed", "number_on_dnc", "no_consent", "outside_calling_window",
                "idempotency_key_reused", "provider_not_configured", "provider_mismatch", "campaign_finished");
        group.MapPost("/{id}/contacts", ImportAsync).WithName("ImportCampaignContacts").DisableAntiforgery()
            .WithSummary("Import contacts into a campaign")
            .WithDescription($"""
                Bulk import of up to 1,000,000 contacts: CSV (`text/csv`, or a file in `multipart/form-data`) with a header row that
                has `phone` (and optionally `timezone`) plus any columns, or a JSON array of objects (`application/json`). Uploads up
                to {MaxUploadBytes} bytes are stored, then imported in the background: 202 with the import and its `Location` to
                poll. 409 `campaign_finished`; 415 for other content types.
                """)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = ContactUploadBody();
                return Task.CompletedTask;
            })
            .Produces<ImportResource>(StatusCodes.Status202Accepted)
            .ProducesNotFound()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "campaign_finished")
            .ProducesProblemCodes(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type")
            .ProducesValidationFailed();
        group.MapGet("/{id}/imports", async (string id, ClaimsPrincipal user, ICampaignStore store, CancellationToken ct) =>
            await store.GetCampaignAsync(user.AccountId(), id, ct) is null
                ? Problems.NotFound("campaign")
                : (IResult)TypedResults.Ok(new ImportList([.. (await store.ListImportsAsync(user.AccountId(), id, ct)).Select(ImportResource.Of)])))
            .WithName("ListCampaignImports")
            .WithSummary("List a campaign's imports")
            .WithDescription("Every contact import of the campaign with its counts, progress and first row errors.")
            .Produces<ImportList>()
            .ProducesNotFound();
        group.MapGet("/{id}/imports/{importId}", async (string id, string importId, ClaimsPrincipal user, ICampaignStore store, CancellationToken ct) =>
            await store.GetImportAsync(user.AccountId(), importId, ct) is { } i && i.CampaignId == id
                ? (IResult)TypedResults.Ok(ImportResource.Of(i))
                : Problems.NotFound("import")).WithName("GetCampaignImport")
            .WithSummary("Get an import")
            .WithDescription("One import: rows read, imported, skipped and invalid so far, progress (0–1), the first 1,000 row errors.")
            .Produces<ImportResource>()
            .ProducesNotFound();
        group.MapGet("/{id}/stats", StatsAsync).WithName("GetCampaignStats")
            .WithSummary("Get a campaign's statistics")
            .WithDescription("Contacts by state, calls done by outcome and skipped by reason, attempts, pickup rate and the next scheduled dial (UTC).")
            .Produces<CampaignStatsResource>()
            .ProducesNotFound();
        return group;
    }

    /// <summary>201 with the campaign (status <c>draft</c>); 409 <c>campaign_name_taken</c>; 422 <c>validation_failed</c> (including an empty window).</summary>
    public static async Task<IResult> CreateAsync([FromBody] CampaignRequest body, ClaimsPrincipal user, ICampaignStore store, IAgentStore agents,
        ComplianceChecker compliance, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var campaign = await CampaignMapping.BuildAsync(body, null, user.AccountId(), now, agents, compliance.Floor, errors, ct);
        if (campaign is null || errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        return await store.CreateCampaignAsync(campaign, ct) == UpsertResult.Conflict
            ? NameTaken(campaign.Name)
            : TypedResults.Created($"/v1/campaigns/{campaign.Id}", CampaignResource.Of(campaign));
    }

    /// <summary>Newest first; filter <c>status</c>; cursor; limit 1–100.</summary>
    public static async Task<IResult> ListAsync(HttpRequest request, ClaimsPrincipal user, ICampaignStore store, CancellationToken ct)
    {
        if (!Paging.TryLimit(request.Query, out var limit, out var bad))
        {
            return bad!;
        }
        CampaignStatus? status = null;
        if (Paging.Str(request.Query, "status") is { } s)
        {
            if (!WireNames.TryParse<CampaignStatus>(s, out var st))
            {
                return Problems.BadQuery("status", "must be one of draft, active, paused, completed, canceled");
            }
            status = st;
        }
        var page = await store.ListCampaignsAsync(user.AccountId(), limit, Paging.Str(request.Query, "cursor"), status, ct);
        return TypedResults.Ok(new CampaignPage([.. page.Select(CampaignResource.Of)], page.Count == limit ? page[^1].Id : null));
    }

    /// <summary>
    /// Merge-patch (RFC 7396); validated like a create. Allowed in draft, active and paused; the window, pacing and retry
    /// policy of an active campaign apply to calls not yet dialed. 409 <c>campaign_finished</c> once completed or canceled.
    /// </summary>
    public static async Task<IResult> UpdateAsync(string id, [FromBody] JsonObject patch, ClaimsPrincipal user, ICampaignStore store, IAgentStore agents,
        ComplianceChecker compliance, IOptions<JsonOptions> json, TimeProvider clock, CancellationToken ct)
    {
        for (var race = 0; race < 8; race++)
        {
            var current = await store.GetCampaignAsync(user.AccountId(), id, ct);
            if (current is null)
            {
                return Problems.NotFound("campaign");
            }
            if (current.IsFinished)
            {
                return Finished(current);
            }
            var request = MergePatch.Apply(CampaignMapping.ToRequest(current), patch, json.Value.SerializerOptions);
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var updated = await CampaignMapping.BuildAsync(request, current, user.AccountId(), clock.GetUtcNow(), agents, compliance.Floor, errors, ct);
            if (updated is null || errors.Count > 0)
            {
                return Problems.Validation(errors);
            }
            switch (await store.UpdateCampaignAsync(updated, ct))
            {
                case UpsertResult.Ok:
                    return TypedResults.Ok(CampaignResource.Of(updated));
                case UpsertResult.Conflict:
                    return NameTaken(updated.Name);
            }
        }
        return Problems.Create(StatusCodes.Status409Conflict, "campaign_busy", "The campaign kept changing; retry.");
    }

    /// <summary>204; 404; 409 <c>campaign_running</c> while active or paused (cancel it first). Calls keep their campaign id.</summary>
    public static async Task<IResult> DeleteAsync(string id, ClaimsPrincipal user, ICampaignStore store, TimeProvider clock, CancellationToken ct)
    {
        var current = await store.GetCampaignAsync(user.AccountId(), id, ct);
        if (current is null)
        {
            return Problems.NotFound("campaign");
        }
        if (current.Status is CampaignStatus.Active or CampaignStatus.Paused)
        {
            return Problems.Create(StatusCodes.Status409Conflict, "campaign_running", "An active or paused campaign cannot be deleted.",
                "Cancel it first (POST /v1/campaigns/{id}/cancel).");
        }
        return await store.DeleteCampaignAsync(user.AccountId(), id, clock.GetUtcNow(), ct) ? TypedResults.NoContent() : Problems.NotFound("campaign");
    }

    /// <summary>
    /// Lifecycle: <c>activate</c> (draft or paused → active), <c>pause</c> (active → paused), <c>resume</c> (paused → active),
    /// <c>cancel</c> (draft, active or paused → canceled: pending contacts skipped, calls not yet dialed canceled). 200 with
    /// the campaign; 409 <c>invalid_campaign_transition</c>.
    /// </summary>
    public static async Task<IResult> TransitionAsync(string id, string action, ClaimsPrincipal user, ICampaignStore store, CampaignRunner runner,
        TimeProvider clock, CancellationToken ct)
    {
        for (var race = 0; race < 8; race++)
        {
            var current = await store.GetCampaignAsync(user.AccountId(), id, ct);
            if (current is null)
            {
                return Problems.NotFound("campaign");
            }
            CampaignStatus? next = (action, current.Status) switch
            {
                ("activate", CampaignStatus.Draft or CampaignStatus.Paused) => CampaignStatus.Active,
                ("pause", CampaignStatus.Active) => CampaignStatus.Paused,
                ("resume", CampaignStatus.Paused) => CampaignStatus.Active,
                ("cancel", CampaignStatus.Draft or CampaignStatus.Active or CampaignStatus.Paused) => CampaignStatus.Canceled,
                _ => null,
            };
            if (next is null)
            {
                return Problems.Create(StatusCodes.Status409Conflict, "invalid_campaign_transition",
                    $"A {WireNames.Of(current.Status)} campaign cannot {action}.",
                    "Lifecycle: draft → active ⇄ paused → completed | canceled.");
            }
            if (next == CampaignStatus.Canceled)
            {
                return await runner.FinishAsync(current, CampaignStatus.Canceled, "campaign_canceled", ct) is { } canceled
                    ? TypedResults.Ok(CampaignResource.Of(canceled))
                    : Problems.NotFound("campaign");
            }
            var now = clock.GetUtcNow();
            var updated = current with
            {
                Status = next.Value,
                UpdatedAt = now,
                ActivatedAt = next == CampaignStatus.Active ? current.ActivatedAt ?? now : current.ActivatedAt,
                Version = current.Version + 1,
            };
            if (await store.UpdateCampaignAsync(updated, ct) == UpsertResult.Ok)
            {
                return TypedResults.Ok(CampaignResource.Of(updated));
            }
        }
        return Problems.Create(StatusCodes.Status409Conflict, "campaign_busy", "The campaign kept changing; retry.");
    }

    /// <summary>
    /// One call in the campaign: the body of <c>POST /v1/calls</c> (its <c>campaignId</c> is the path's); the call inherits the
    /// campaign's agent, caller-ID pool, window, retry policy and DNC rule. Same answers as <c>POST /v1/calls</c>, including 409
    /// <c>duplicate_call</c> with the existing call unless <c>allowDuplicates</c>.
    /// </summary>
    public static async Task<IResult> CreateCallAsync(string id, HttpContext http, [FromBody] CreateCallRequest body,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, ClaimsPrincipal user, ICampaignStore store, CallIntake intake,
        IOptions<JsonOptions> json, CancellationToken ct)
    {
        if (await store.GetCampaignAsync(user.AccountId(), id, ct) is null)
        {
            return Problems.NotFound("campaign");
        }
        return await CallsApi.CreateAsync(http, body with { CampaignId = id }, idempotencyKey, user, intake, json, ct);
    }

    /// <summary>
    /// Bulk import: a CSV upload (<c>text/csv</c> body, or <c>multipart/form-data</c> with a file) with a header row that has
    /// <c>phone</c> (and optionally <c>timezone</c>) plus any columns, or a JSON array of objects (<c>application/json</c>).
    /// Up to 1,000,000 rows. The upload is stored, then imported in the background: 202 with the import resource and
    /// <c>Location</c> to poll. 409 <c>campaign_finished</c>; 415 for other content types.
    /// </summary>
    public static async Task<IResult> ImportAsync(string id, HttpContext http, ClaimsPrincipal user, ICampaignStore store, ContactImporter importer, CancellationToken ct)
    {
        var campaign = await store.GetCampaignAsync(user.AccountId(), id, ct);
        if (campaign is null)
        {
            return Problems.NotFound("campaign");
        }
        if (campaign.IsFinished)
        {
            return Finished(campaign);
        }
        var sizeLimit = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>();
        if (sizeLimit is { IsReadOnly: false })
        {
            sizeLimit.MaxRequestBodySize = MaxUploadBytes;
        }
        var contentType = http.Request.ContentType ?? "";
        Stream body;
        string format;
        if (contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            var form = await http.Request.ReadFormAsync(ct);
            var file = form.Files.Count > 0 ? form.Files[0] : null;
            if (file is null)
            {
                return Problems.Validation("file", "a multipart upload must contain one file (CSV or JSON)");
            }
            format = file.FileName.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || (file.ContentType ?? "").Contains("json", StringComparison.OrdinalIgnoreCase)
                ? "json" : "csv";
            body = file.OpenReadStream();
        }
        else if (contentType.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            (body, format) = (http.Request.Body, "csv");
        }
        else if (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            (body, format) = (http.Request.Body, "json");
        }
        else
        {
            return Problems.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                "Upload contacts as text/csv, application/json (an array of objects) or multipart/form-data.");
        }
        var import = await importer.StartAsync(campaign, body, format, ct);
        http.Response.Headers.Location = $"/v1/campaigns/{id}/imports/{import.Id}";
        return TypedResults.Accepted($"/v1/campaigns/{id}/imports/{import.Id}", ImportResource.Of(import));
    }

    /// <summary>Stats of the campaign (see <see cref="CampaignStatsResource"/>).</summary>
    public static async Task<IResult> StatsAsync(string id, ClaimsPrincipal user, ICampaignStore store, CancellationToken ct)
    {
        var campaign = await store.GetCampaignAsync(user.AccountId(), id, ct);
        if (campaign is null)
        {
            return Problems.NotFound("campaign");
        }
        var c = await store.GetCampaignCountsAsync(id, ct);
        long Calls(string s) => c.CallsByStatus.GetValueOrDefault(s);
        var skipped = new Dictionary<string, long>(c.SkippedByReason, StringComparer.Ordinal);
        if (Calls("canceled") > 0)
        {
            skipped["canceled"] = skipped.GetValueOrDefault("canceled") + Calls("canceled");
        }
        var pending = c.ContactsByStatus.GetValueOrDefault("pending");
        var skippedContacts = c.ContactsByStatus.GetValueOrDefault("skipped");
        var totalCalls = c.CallsByStatus.Values.Sum();
        return TypedResults.Ok(new CampaignStatsResource(
            id, WireNames.Of(campaign.Status),
            Contacts: pending + skippedContacts + totalCalls,
            Pending: pending,
            Scheduled: Calls("scheduled"),
            InProgress: Calls("queued") + Calls("dialing") + Calls("ringing") + Calls("in_progress"),
            DoneByOutcome: c.EndedByOutcome,
            SkippedByReason: skipped,
            Attempts: c.Attempts,
            AttemptsAnswered: c.AttemptsAnswered,
            AttemptsAnsweredByHuman: c.AttemptsAnsweredByHuman,
            PickupRate: c.Attempts == 0 ? 0 : Math.Round((double)c.AttemptsAnswered / c.Attempts, 4),
            NextScheduledDial: c.NextDueAt?.UtcDateTime));
    }

    private static IResult NameTaken(string name) =>
        Problems.Create(StatusCodes.Status409Conflict, "campaign_name_taken", "Another campaign already has this name.", $"The name '{name}' is in use in this account.");

    private static IResult Finished(Campaign c) =>
        Problems.Create(StatusCodes.Status409Conflict, "campaign_finished", $"The campaign is {WireNames.Of(c.Status)}.", "A completed or canceled campaign cannot change.");
}
