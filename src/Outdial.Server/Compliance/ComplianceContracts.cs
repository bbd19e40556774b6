using System.Text.Json.Serialization;
using Outdial.Core.Compliance;

namespace Outdial.Server.Compliance;

/// <summary>Body of <c>POST /v1/dnc</c> and one entry of <c>POST /v1/dnc/bulk</c>. <c>number</c> is strict E.164; <c>reason</c> at most 500 characters; <c>optOut</c> (default false) marks the callee's own request.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record DncRequest(string? Number, string? Reason, bool? OptOut);

/// <summary>Body of <c>POST /v1/dnc/bulk</c>: 1 to 10,000 entries.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record DncBulkRequest(IReadOnlyList<DncRequest?>? Entries);

/// <summary>Body of <c>POST /v1/dnc/check</c>: 1 to 1,000 E.164 numbers.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record DncCheckRequest(IReadOnlyList<string?>? Numbers);

/// <summary>
/// A DNC entry. <c>source</c>: <c>api</c>, <c>import</c>, <c>campaign:{id}</c> or <c>call:{id}</c>. <c>result</c> appears only in the
/// answer to <c>POST /v1/dnc</c>: <c>added</c>, <c>upgraded</c> (an opt-out replaced a plain entry) or <c>kept</c> (the stored
/// entry was left as it was). Times UTC.
/// </summary>
public sealed record DncEntryResource(string Number, string? Reason, string Source, bool OptOut, DateTime CreatedAt, string? Result = null)
{
    public static DncEntryResource Of(DncEntry e, string? result = null) => new(e.Number, e.Reason, e.Source, e.OptOut, e.CreatedAt.UtcDateTime, result);
}

/// <summary>One page of DNC entries ordered by number; pass <c>nextCursor</c> as <c>cursor</c> for the next page (null on the last).</summary>
public sealed record DncPage(IReadOnlyList<DncEntryResource> Data, string? NextCursor);

/// <summary>An entry of <c>POST /v1/dnc/bulk</c> that was not stored: its 0-based index in <c>entries</c>, its number as sent, and why.</summary>
public sealed record DncBulkInvalid(int Index, string? Number, string Error);

/// <summary>Answer to <c>POST /v1/dnc/bulk</c>: how many valid entries were added, upgraded to opt-outs or kept as they were, and the invalid ones.</summary>
public sealed record DncBulkResult(int Added, int Upgraded, int Kept, IReadOnlyList<DncBulkInvalid> Invalid);

/// <summary>One number of <c>POST /v1/dnc/check</c>, in request order: <c>entry</c> is present when <c>listed</c>.</summary>
public sealed record DncCheckResult(string Number, bool Listed, DncEntryResource? Entry);

/// <summary>Answer to <c>POST /v1/dnc/check</c>.</summary>
public sealed record DncCheckResponse(IReadOnlyList<DncCheckResult> Results);

/// <summary>
/// Body of <c>POST /v1/consents</c>. <c>number</c> strict E.164; <c>source</c> how it was obtained (e.g. <c>web_form</c>, <c>ivr</c>,
/// <c>paper</c>, <c>crm</c>; at most 100 characters); <c>obtainedAt</c> and <c>expiresAt</c> ISO-8601 with an offset;
/// <c>purpose</c> (null = any purpose) at most 100 characters; <c>evidenceUrl</c> an absolute http(s) URL; <c>evidenceText</c> at most
/// 10,000 characters.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ConsentCreateRequest(
    string? Number, string? Source, string? ObtainedAt, string? Purpose, string? EvidenceUrl, string? EvidenceText, string? ExpiresAt);

/// <summary>A consent record. <c>valid</c>: it may justify a dial now (obtained, not expired, not revoked). Times UTC.</summary>
public sealed record ConsentResource(
    string Id, string Number, string Source, DateTime ObtainedAt, string? Purpose, string? EvidenceUrl, string? EvidenceText,
    DateTime? ExpiresAt, DateTime? RevokedAt, bool Valid, DateTime CreatedAt)
{
    public static ConsentResource Of(ConsentRecord r, DateTimeOffset now) => new(
        r.Id, r.Number, r.Source, r.ObtainedAt.UtcDateTime, r.Purpose, r.EvidenceUrl, r.EvidenceText, r.ExpiresAt?.UtcDateTime,
        r.RevokedAt?.UtcDateTime, r.IsValidAt(now), r.CreatedAt.UtcDateTime);
}

/// <summary>One page of consent records, newest first; pass <c>nextCursor</c> as <c>cursor</c> for the next page (null on the last).</summary>
public sealed record ConsentPage(IReadOnlyList<ConsentResource> Data, string? NextCursor);

/// <summary>Phone numbers that arrive in URLs.</summary>
public static class UrlNumbers
{
    /// <summary>
    /// Undoes the usual mangling of a leading <c>+</c>: <c>%2B</c> decodes to <c>+</c>, but a bare <c>+</c> in a query string
    /// (and, from some clients, in a path) decodes to a space. A leading space is read as the <c>+</c>.
    /// </summary>
    public static string Restore(string value) => value.StartsWith(' ') ? string.Concat("+", value.AsSpan(1)) : value;
}
