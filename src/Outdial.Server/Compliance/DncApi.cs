using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Outdial.Core.Calls;
using Outdial.Core.Compliance;
using Outdial.Core.Storage;
using Outdial.Server.Infrastructure;
using Outdial.Server.OpenApi;

namespace Outdial.Server.Compliance;

/// <summary>
/// The account's do-not-call list, <c>/v1/dnc</c>. Entries are keyed by E.164 number; every entry written here has source
/// <c>api</c>. The write rule is the store's (<see cref="IComplianceStore.AddDncAsync"/>): an opt-out is never overwritten,
/// an opt-out replaces a plain entry, a plain entry does not replace another. A number in a path may be sent as
/// <c>%2B1555…</c>, <c>+1555…</c> or with the <c>+</c> decoded to a space.
/// </summary>
public static class DncApi
{
    /// <summary>Most entries in one <c>POST /v1/dnc/bulk</c>.</summary>
    public const int MaxBulkEntries = 10_000;

    /// <summary>Most numbers in one <c>POST /v1/dnc/check</c>.</summary>
    public const int MaxCheckNumbers = 1_000;

    /// <summary>Longest <c>reason</c>.</summary>
    public const int MaxReasonLength = 500;

    /// <summary>The <see cref="DncEntry.Source"/> of entries written through this API.</summary>
    public const string Source = "api";

    public static RouteGroupBuilder MapDnc(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/dnc").WithTags("Do not call").RequireAuthorization();
        group.MapPost("/", AddAsync).WithName("AddDncEntry")
            .WithSummary("Add a number to the do-not-call list")
            .WithDescription("""
                Lists `number` (E.164) with an optional `reason` (at most 500 characters) and `optOut` (the callee asked not to be
                called). 201 with the new entry (`result: added`) and its `Location`; 200 with the stored entry when the number was
                listed already: `upgraded` when this opt-out replaced a plain entry, else `kept` (an opt-out is never overwritten).
                """)
            .Produces<DncEntryResource>(StatusCodes.Status201Created).Produces<DncEntryResource>()
            .ProducesValidationFailed();
        group.MapPost("/bulk", AddBulkAsync).WithName("AddDncEntries")
            .WithSummary("Add many numbers to the do-not-call list")
            .WithDescription($"""
                Up to {MaxBulkEntries} entries in one transaction, each checked on its own: invalid ones are listed with their 0-based
                `index` and skipped; the counts say how many were added, upgraded and kept.
                """)
            .Produces<DncBulkResult>()
            .ProducesValidationFailed();
        group.MapPost("/check", CheckAsync).WithName("CheckDnc")
            .WithSummary("Check numbers against the do-not-call list")
            .WithDescription($"Up to {MaxCheckNumbers} E.164 numbers; one result per number, in request order, with the entry when listed.")
            .Produces<DncCheckResponse>()
            .ProducesValidationFailed();
        group.MapGet("/", ListAsync).WithName("ListDncEntries")
            .WithSummary("List the do-not-call list")
            .WithDescription("Entries ordered by number; pages of `limit`, `cursor` (the previous page's `nextCursor`).")
            .WithQuery(QueryParameter.Limit, QueryParameter.Cursor)
            .Produces<DncPage>()
            .ProducesInvalidQuery();
        group.MapGet("/{number}", GetAsync).WithName("GetDncEntry")
            .WithSummary("Get a do-not-call entry")
            .WithDescription("The entry of an E.164 number (`%2B1555…`, `+1555…` or the `+` decoded to a space); 404 when it is not listed.")
            .Produces<DncEntryResource>()
            .ProducesNotFound()
            .ProducesValidationFailed();
        group.MapDelete("/{number}", RemoveAsync).WithName("RemoveDncEntry")
            .WithSummary("Remove a number from the do-not-call list")
            .WithDescription("""
                Removes the entry (204). An opt-out is protected: 409 `dnc_opt_out_protected` unless `removeOptOut=true` (remove it
                only on the callee's word).
                """)
            .WithQuery(new QueryParameter("removeOptOut", "Also remove an opt-out entry.", Microsoft.OpenApi.JsonSchemaType.Boolean))
            .Produces(StatusCodes.Status204NoContent)
            .ProducesInvalidQuery()
            .ProducesNotFound()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "dnc_opt_out_protected")
            .ProducesValidationFailed();
        return group;
    }

    /// <summary>
    /// 201 with the new entry (<c>result: added</c>) and its <c>Location</c>; 200 with the stored entry when the number was
    /// listed already (<c>result: upgraded</c> when this opt-out replaced a plain entry, else <c>kept</c>); 422 <c>validation_failed</c>.
    /// </summary>
    public static async Task<IResult> AddAsync([FromBody] DncRequest body, ClaimsPrincipal user, IComplianceStore store, TimeProvider clock, CancellationToken ct)
    {
        var errors = Validate(body);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var accountId = user.AccountId();
        var entry = ToEntry(accountId, body, clock.GetUtcNow());
        var outcome = (await store.AddDncAsync([entry], ct))[0];
        if (outcome == DncAddOutcome.Added)
        {
            return TypedResults.Created(Location(entry.Number), DncEntryResource.Of(entry, "added"));
        }
        // The entry as stored now; the submitted one stands in should it have been removed in between.
        var stored = await store.GetDncAsync(accountId, entry.Number, ct) ?? entry;
        return TypedResults.Ok(DncEntryResource.Of(stored, outcome == DncAddOutcome.Upgraded ? "upgraded" : "kept"));
    }

    /// <summary>
    /// 200 with counts: each entry is checked on its own; invalid ones are listed (0-based <c>index</c>) and skipped, the rest are
    /// stored in one transaction. 422 <c>validation_failed</c> when <c>entries</c> is missing, empty or longer than 10,000.
    /// </summary>
    public static async Task<IResult> AddBulkAsync([FromBody] DncBulkRequest body, ClaimsPrincipal user, IComplianceStore store, TimeProvider clock, CancellationToken ct)
    {
        if (body.Entries is not { Count: > 0 and <= MaxBulkEntries } entries)
        {
            return Problems.Validation("entries", $"must have 1 to {MaxBulkEntries} entries");
        }
        var accountId = user.AccountId();
        var now = clock.GetUtcNow();
        var invalid = new List<DncBulkInvalid>();
        var valid = new List<DncEntry>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry is null)
            {
                invalid.Add(new DncBulkInvalid(i, null, "must be an object with a number"));
            }
            else if (Validate(entry) is { Count: > 0 } errors)
            {
                invalid.Add(new DncBulkInvalid(i, entry.Number, string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"))));
            }
            else
            {
                valid.Add(ToEntry(accountId, entry, now));
            }
        }
        var outcomes = valid.Count > 0 ? await store.AddDncAsync(valid, ct) : [];
        return TypedResults.Ok(new DncBulkResult(
            outcomes.Count(o => o == DncAddOutcome.Added), outcomes.Count(o => o == DncAddOutcome.Upgraded), outcomes.Count(o => o == DncAddOutcome.Kept), invalid));
    }

    /// <summary>200 with one result per number, in request order; 422 <c>validation_failed</c> for a missing, empty or too long list or any number that is not E.164 (<c>numbers[i]</c>).</summary>
    public static async Task<IResult> CheckAsync([FromBody] DncCheckRequest body, ClaimsPrincipal user, IComplianceStore store, CancellationToken ct)
    {
        if (body.Numbers is not { Count: > 0 and <= MaxCheckNumbers } numbers)
        {
            return Problems.Validation("numbers", $"must have 1 to {MaxCheckNumbers} numbers");
        }
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var i = 0; i < numbers.Count; i++)
        {
            if (!E164.IsValid(numbers[i]))
            {
                errors[$"numbers[{i}]"] = [E164.Rule];
            }
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var distinct = numbers.Select(n => n!).ToHashSet(StringComparer.Ordinal);
        var listed = (await store.GetDncManyAsync(user.AccountId(), distinct, ct)).ToDictionary(e => e.Number, StringComparer.Ordinal);
        return TypedResults.Ok(new DncCheckResponse([.. numbers.Select(n => listed.TryGetValue(n!, out var e)
            ? new DncCheckResult(n!, true, DncEntryResource.Of(e))
            : new DncCheckResult(n!, false, null))]));
    }

    /// <summary>Entries ordered by number; <c>cursor</c> (the previous page's <c>nextCursor</c>); <c>limit</c> 1–100 (default 20).</summary>
    public static async Task<IResult> ListAsync(HttpRequest request, ClaimsPrincipal user, IComplianceStore store, CancellationToken ct)
    {
        if (!Paging.TryLimit(request.Query, out var limit, out var badLimit))
        {
            return badLimit!;
        }
        var cursor = Paging.Str(request.Query, "cursor") is { } c ? UrlNumbers.Restore(c) : null;
        var page = await store.ListDncAsync(user.AccountId(), limit + 1, cursor, ct);
        var data = page.Take(limit).Select(e => DncEntryResource.Of(e)).ToList();
        return TypedResults.Ok(new DncPage(data, page.Count > limit ? data[^1].Number : null));
    }

    /// <summary>200 with the entry; 404 <c>not_found</c> when the number is not on this account's list; 422 when it is not E.164.</summary>
    public static async Task<IResult> GetAsync(string number, ClaimsPrincipal user, IComplianceStore store, CancellationToken ct)
    {
        number = UrlNumbers.Restore(number);
        if (!E164.IsValid(number))
        {
            return Problems.Validation("number", E164.Rule);
        }
        return await store.GetDncAsync(user.AccountId(), number, ct) is { } entry
            ? TypedResults.Ok(DncEntryResource.Of(entry))
            : NotListed();
    }

    /// <summary>
    /// 204 when removed; 409 <c>dnc_opt_out_protected</c> for an opt-out unless <c>removeOptOut=true</c> (the callee asked not to be
    /// called: remove it only on their word); 404 <c>not_found</c>; 422 when the number is not E.164; 400 for a bad <c>removeOptOut</c>.
    /// </summary>
    public static async Task<IResult> RemoveAsync(string number, HttpRequest request, ClaimsPrincipal user, IComplianceStore store, CancellationToken ct)
    {
        number = UrlNumbers.Restore(number);
        var removeOptOut = false;
        if (Paging.Str(request.Query, "removeOptOut") is { } flag && !bool.TryParse(flag, out removeOptOut))
        {
            return Problems.BadQuery("removeOptOut", "must be true or false");
        }
        if (!E164.IsValid(number))
        {
            return Problems.Validation("number", E164.Rule);
        }
        return await store.RemoveDncAsync(user.AccountId(), number, removeOptOut, ct) switch
        {
            DncRemoveOutcome.Removed => TypedResults.NoContent(),
            DncRemoveOutcome.OptOutProtected => Problems.Create(StatusCodes.Status409Conflict, "dnc_opt_out_protected",
                "The entry is an opt-out.", $"{number} asked not to be called; send removeOptOut=true to remove the entry anyway."),
            _ => NotListed(),
        };
    }

    private static Dictionary<string, string[]> Validate(DncRequest body)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!E164.IsValid(body.Number))
        {
            errors["number"] = [E164.Rule];
        }
        if (body.Reason is { Length: > MaxReasonLength })
        {
            errors["reason"] = [$"must be at most {MaxReasonLength} characters"];
        }
        return errors;
    }

    private static DncEntry ToEntry(string accountId, DncRequest body, DateTimeOffset now) =>
        new(accountId, body.Number!, string.IsNullOrWhiteSpace(body.Reason) ? null : body.Reason.Trim(), Source, body.OptOut ?? false, now);

    private static string Location(string number) => "/v1/dnc/" + Uri.EscapeDataString(number);

    private static IResult NotListed() =>
        Problems.Create(StatusCodes.Status404NotFound, "not_found", "Not found.", "This number is not on the account's do-not-call list.");
}
