namespace Outdial.Core.Compliance;

/// <summary>
/// Where a callee is, as far as the number (and an explicit zone, when given) tells.
/// </summary>
/// <param name="Country">ISO 3166-1 alpha-2 country of the number (e.g. <c>US</c>), or null when the calling code is unknown.</param>
/// <param name="Region">ISO 3166-2 subdivision (e.g. <c>US-FL</c>, <c>CA-ON</c>) for +1 numbers whose area code is known, else null.</param>
/// <param name="Zones">IANA zones the callee may be in; a dial must suit every one (intersection). Empty = unknown.</param>
/// <param name="Basis">How <paramref name="Zones"/> was found: <c>explicit</c>, <c>area_code</c>, <c>country</c> or <c>unknown</c>.</param>
public sealed record CalleeLocation(string? Country, string? Region, IReadOnlyList<string> Zones, string Basis);

/// <summary>
/// The callee's possible time zones from an E.164 number: country calling code → country (ITU-T E.164 assignments)
/// → the country's IANA zones (NodaTime's TZDB zone locations); for +1 (NANP) numbers the area code → region and
/// zone(s) (NANPA area code assignments). An explicit zone overrides the zones but not the country or region
/// (legal rules follow the number).
/// </summary>
public static class CalleeZones
{
    /// <summary>Resolves <paramref name="e164"/> (validated E.164); <paramref name="explicitZone"/> is an IANA id or null.</summary>
    public static CalleeLocation Resolve(string e164, string? explicitZone = null) => throw new NotImplementedException();

    /// <summary>The three-digit area code (NPA) of a +1 number, or null for other numbers.</summary>
    public static string? AreaCode(string e164) =>
        e164.Length == 12 && e164.StartsWith("+1", StringComparison.Ordinal) ? e164.Substring(2, 3) : null;
}
