using System.Text.Json;
using System.Text.Json.Serialization;
using Outdial.Core.Calls;

namespace Outdial.Server.Dialects.Ivr;

/// <summary>Seed 002's <c>/v2/call</c> answer (200): <c>{"UniqueId": "&lt;native call id&gt;"}</c>.</summary>
public sealed record IvrCallCreated(string UniqueId);

/// <summary>One row of <c>/v2/callresult</c>: <c>{UniqueId, CallRequestId, CallState}</c>.</summary>
public sealed record IvrCallResult(string UniqueId, string CallRequestId, string CallState);

/// <summary>Seed 002's <c>/v2/callresult</c> answer (200): <c>{"CallResults": [...]}</c>, one row per requested id, in order.</summary>
public sealed record IvrCallResults(IReadOnlyList<IvrCallResult> CallResults);

/// <summary>
/// The error body (the seed documents none, so Outdial's): <c>{"Error": "&lt;text&gt;", "Field": "&lt;request field&gt;"}</c>.
/// <see cref="Field"/> names the body field at fault (a <c>ScenarioInputParameters</c> entry by its <c>Name</c>, e.g.
/// <c>_Destination</c>) and is left out when no single field is; <see cref="UniqueId"/> is set only on 409 (the pending call
/// to the same number).
/// </summary>
public sealed record IvrError(string Error, string? Field = null, string? UniqueId = null);

/// <summary>JSON, names as the seed writes them (PascalCase), nulls left out.</summary>
public static class IvrJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>
/// Turns the seed's loosely written phone numbers into E.164 candidates (intake still checks the result). Spaces, dashes,
/// dots and parentheses are dropped; <c>+…</c> is kept; <c>00…</c> becomes <c>+…</c>; <c>0…</c> (a national trunk prefix)
/// loses the 0 and gets <c>+&lt;default calling code&gt;</c>; other digits get <c>+&lt;default calling code&gt;</c>.
/// Anything else is returned unchanged (cleaned) so that intake reports it.
/// </summary>
public static class IvrPhone
{
    public static string Normalize(string raw, string defaultCallingCode)
    {
        var s = E164.RemoveFormatting(raw);
        if (s.Length == 0 || s.StartsWith('+') || !s.All(char.IsAsciiDigit))
        {
            return s;
        }
        if (s.StartsWith("00", StringComparison.Ordinal))
        {
            return "+" + s[2..];
        }
        if (s.StartsWith('0'))
        {
            return "+" + defaultCallingCode + s[1..];
        }
        return "+" + defaultCallingCode + s;
    }
}
