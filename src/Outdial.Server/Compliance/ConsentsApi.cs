using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Compliance;
using Outdial.Core.Storage;
using Outdial.Server.Calls;
using Outdial.Server.Infrastructure;
using Outdial.Server.OpenApi;

namespace Outdial.Server.Compliance;

/// <summary>
/// Consent records, <c>/v1/consents</c>: evidence that a person agreed to be called (who, when, how, for what). Records are
/// never edited; one is ended by revoking it. <c>valid</c> on the resource is <see cref="ConsentRecord.IsValidAt"/> now.
/// </summary>
public static class ConsentsApi
{
    /// <summary>Longest <c>source</c> and <c>purpose</c>.</summary>
    public const int MaxNameLength = 100;

    /// <summary>Longest <c>evidenceText</c>.</summary>
    public const int MaxEvidenceTextLength = 10_000;

    /// <summary>Longest <c>evidenceUrl</c>.</summary>
    public const int MaxEvidenceUrlLength = 2048;

    public static RouteGroupBuilder MapConsents(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/consents").WithTags("Consents").RequireAuthorization();
        group.MapPost("/", CreateAsync).WithName("CreateConsent")
            .WithSummary("Record a consent")
            .WithDescription("""
                Evidence that the person at `number` agreed to be called: `source` (how: web_form, ivr, paper, crm…), `obtainedAt`
                (not in the future), `purpose` (absent = any), `evidenceUrl`, `evidenceText`, `expiresAt`. Records are never edited;
                revoke one to end it. 201 with the record and its `Location`.
                """)
            .Produces<ConsentResource>(StatusCodes.Status201Created)
            .ProducesValidationFailed();
        group.MapGet("/", ListAsync).WithName("ListConsents")
            .WithSummary("List consent records")
            .WithDescription("The account's records, newest first, optionally for one `number`; pages of `limit`, `cursor`.")
            .WithQuery(QueryParameter.Text("number", "Only records of this E.164 number (a leading `+` sent unencoded is accepted)."),
                QueryParameter.Limit, QueryParameter.Cursor)
            .Produces<ConsentPage>()
            .ProducesInvalidQuery();
        group.MapGet("/{id}", GetAsync).WithName("GetConsent")
            .WithSummary("Get a consent record")
            .WithDescription("One record, with `valid`: whether it is in force now (obtained, not expired, not revoked).")
            .Produces<ConsentResource>()
            .ProducesNotFound();
        group.MapPost("/{id}/revoke", RevokeAsync).WithName("RevokeConsent")
            .WithSummary("Revoke a consent record")
            .WithDescription("Sets `revokedAt` (`valid` becomes false); revoking again keeps the first `revokedAt`.")
            .Produces<ConsentResource>()
            .ProducesNotFound();
        return group;
    }

    /// <summary>201 with the record and its <c>Location</c>; 422 <c>validation_failed</c> (see <see cref="ConsentCreateRequest"/>; <c>obtainedAt</c> not in the future, <c>expiresAt</c> after it).</summary>
    public static async Task<IResult> CreateAsync([FromBody] ConsentCreateRequest body, ClaimsPrincipal user, IComplianceStore store, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!E164.IsValid(body.Number))
        {
            errors["number"] = [E164.Rule];
        }
        var source = body.Source?.Trim();
        if (string.IsNullOrEmpty(source) || source.Length > MaxNameLength)
        {
            errors["source"] = [$"is required: how consent was obtained, e.g. web_form, ivr, paper, crm (at most {MaxNameLength} characters)"];
        }
        var purpose = body.Purpose?.Trim();
        if (purpose is not null && (purpose.Length == 0 || purpose.Length > MaxNameLength))
        {
            errors["purpose"] = [$"must be 1 to {MaxNameLength} characters, or absent for any purpose"];
        }
        DateTimeOffset obtainedAt = default, expires = default;
        if (body.ObtainedAt is null)
        {
            errors["obtainedAt"] = ["is required"];
        }
        else if (!Instants.TryParseUtc(body.ObtainedAt, out obtainedAt))
        {
            errors["obtainedAt"] = [Instants.Rule];
        }
        else if (obtainedAt > now)
        {
            errors["obtainedAt"] = ["must not be in the future"];
        }
        DateTimeOffset? expiresAt = null;
        if (body.ExpiresAt is not null)
        {
            if (!Instants.TryParseUtc(body.ExpiresAt, out expires))
            {
                errors["expiresAt"] = [Instants.Rule];
            }
            else if (!errors.ContainsKey("obtainedAt") && expires <= obtainedAt)
            {
                errors["expiresAt"] = ["must be after obtainedAt"];
            }
            expiresAt = expires;
        }
        if (body.EvidenceUrl is not null && (body.EvidenceUrl.Length > MaxEvidenceUrlLength
            || !Uri.TryCreate(body.EvidenceUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
        {
            errors["evidenceUrl"] = [$"must be an absolute http or https URL of at most {MaxEvidenceUrlLength} characters"];
        }
        if (body.EvidenceText is { Length: > MaxEvidenceTextLength })
        {
            errors["evidenceText"] = [$"must be at most {MaxEvidenceTextLength} characters"];
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var record = new ConsentRecord
        {
            Id = Ids.New("cons", now),
            AccountId = user.AccountId(),
            Number = body.Number!,
            Source = source!,
            ObtainedAt = obtainedAt,
            Purpose = purpose,
            EvidenceUrl = body.EvidenceUrl,
            EvidenceText = string.IsNullOrEmpty(body.EvidenceText) ? null : body.EvidenceText,
            ExpiresAt = expiresAt,
            CreatedAt = now,
        };
        await store.CreateConsentAsync(record, ct);
        return TypedResults.Created($"/v1/consents/{record.Id}", ConsentResource.Of(record, now));
    }

    /// <summary>Newest first. Filter <c>number</c> (E.164; a leading <c>+</c> sent unencoded is accepted); <c>cursor</c>; <c>limit</c> 1–100 (default 20).</summary>
    public static async Task<IResult> ListAsync(HttpRequest request, ClaimsPrincipal user, IComplianceStore store, TimeProvider clock, CancellationToken ct)
    {
        var q = request.Query;
        if (!Paging.TryLimit(q, out var limit, out var badLimit))
        {
            return badLimit!;
        }
        var number = Paging.Str(q, "number") is { } n ? UrlNumbers.Restore(n) : null;
        if (number is not null && !E164.IsValid(number))
        {
            return Problems.BadQuery("number", E164.Rule);
        }
        var now = clock.GetUtcNow();
        var page = await store.ListConsentsAsync(user.AccountId(), number, limit + 1, Paging.Str(q, "cursor"), ct);
        var data = page.Take(limit).Select(r => ConsentResource.Of(r, now)).ToList();
        return TypedResults.Ok(new ConsentPage(data, page.Count > limit ? data[^1].Id : null));
    }

    /// <summary>200 with the record; 404 <c>not_found</c> (also for another account's record).</summary>
    public static async Task<IResult> GetAsync(string id, ClaimsPrincipal user, IComplianceStore store, TimeProvider clock, CancellationToken ct) =>
        await store.GetConsentAsync(user.AccountId(), id, ct) is { } record
            ? TypedResults.Ok(ConsentResource.Of(record, clock.GetUtcNow()))
            : Problems.NotFound("consent record");

    /// <summary>200 with the record, <c>revokedAt</c> set and <c>valid: false</c>; revoking again keeps the first <c>revokedAt</c>; 404 <c>not_found</c>.</summary>
    public static async Task<IResult> RevokeAsync(string id, ClaimsPrincipal user, IComplianceStore store, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return await store.RevokeConsentAsync(user.AccountId(), id, now, ct) is { } record
            ? TypedResults.Ok(ConsentResource.Of(record, now))
            : Problems.NotFound("consent record");
    }
}
