using System.Collections.ObjectModel;
using System.Globalization;
using NodaTime;
using NodaTime.TimeZones;

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
/// <remarks>
/// Data: <c>Data/country-calling-codes.csv</c> (<c>code,country[,zones]</c>, longest prefix wins, up to 7 digits) and
/// <c>Data/nanp-area-codes.csv</c> (<c>npa,region,zones</c>), both embedded. A country's zones are its rows in TZDB's
/// <c>zone.tab</c> (<see cref="TzdbDateTimeZoneSource.ZoneLocations"/>), which names the zones a country's people
/// actually use (<c>Indian/Reunion</c>); <c>zone1970.tab</c> would give clock-equivalent zones of other countries
/// instead (<c>Asia/Dubai</c> for Réunion, <c>Asia/Tokyo</c> for part of Australia). Tables are parsed once; every
/// <see cref="CalleeLocation"/> apart from explicit-zone ones is precomputed, so <see cref="Resolve"/> allocates
/// nothing on those paths.
/// </remarks>
public static class CalleeZones
{
    /// <summary><see cref="CalleeLocation.Basis"/> when the caller gave the zone.</summary>
    public const string BasisExplicit = "explicit";
    /// <summary><see cref="CalleeLocation.Basis"/> when the +1 area code gave the zones.</summary>
    public const string BasisAreaCode = "area_code";
    /// <summary><see cref="CalleeLocation.Basis"/> when the zones are every zone of the number's country.</summary>
    public const string BasisCountry = "country";
    /// <summary><see cref="CalleeLocation.Basis"/> when the calling code is unknown.</summary>
    public const string BasisUnknown = "unknown";

    /// <summary>The location of a number whose calling code is not in the table: no country, no zones.</summary>
    public static CalleeLocation Unknown { get; } = new(null, null, ReadOnlyCollection<string>.Empty, BasisUnknown);

    private static readonly Lazy<Tables> Data = new(Tables.Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Resolves <paramref name="e164"/> (validated E.164); <paramref name="explicitZone"/> is an IANA id or null.</summary>
    public static CalleeLocation Resolve(string e164, string? explicitZone = null)
    {
        var located = Locate(e164);
        if (string.IsNullOrEmpty(explicitZone) || DateTimeZoneProviders.Tzdb.GetZoneOrNull(explicitZone) is null)
            return located;
        return new CalleeLocation(located.Country, located.Region, new ReadOnlyCollection<string>([explicitZone]), BasisExplicit);
    }

    /// <summary>The three-digit area code (NPA) of a +1 number, or null for other numbers.</summary>
    public static string? AreaCode(string e164) =>
        e164.Length == 12 && e164.StartsWith("+1", StringComparison.Ordinal) ? e164.Substring(2, 3) : null;

    /// <summary>Every zone TZDB lists for <paramref name="country"/> (ISO 3166-1 alpha-2, upper case); empty when unknown.</summary>
    public static IReadOnlyList<string> CountryZones(string country) =>
        Data.Value.ByCountry.TryGetValue(country, out var location) ? location.Zones : ReadOnlyCollection<string>.Empty;

    private static CalleeLocation Locate(string e164)
    {
        var tables = Data.Value;
        if (e164.Length < 2 || e164[0] != '+')
            return Unknown;
        var digits = e164.AsSpan(1);
        if (digits.ContainsAnyExceptInRange('0', '9'))
            return Unknown;

        if (digits[0] == '1')
        {
            // NANP: the area code decides; an unknown or non-geographic one could be anywhere in the US.
            if (digits.Length == 11 && tables.ByAreaCode.TryGetValue(digits.Slice(1, 3), out var npa))
                return npa;
            return tables.UnitedStates;
        }

        for (var length = Math.Min(tables.LongestPrefix, digits.Length); length > 0; length--)
        {
            if (tables.ByPrefix.TryGetValue(digits[..length], out var location))
                return location;
        }
        return Unknown;
    }

    /// <summary>The parsed tables and every precomputed location.</summary>
    private sealed class Tables
    {
        public required Dictionary<string, CalleeLocation>.AlternateLookup<ReadOnlySpan<char>> ByPrefix { get; init; }
        public required Dictionary<string, CalleeLocation>.AlternateLookup<ReadOnlySpan<char>> ByAreaCode { get; init; }
        public required Dictionary<string, CalleeLocation> ByCountry { get; init; }
        public required CalleeLocation UnitedStates { get; init; }
        public required int LongestPrefix { get; init; }

        public static Tables Load()
        {
            var source = TzdbDateTimeZoneSource.Default;
            var zoneTab = (source.ZoneLocations ?? [])
                .GroupBy(l => l.CountryCode, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(l => l.ZoneId).Distinct(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);

            var byCountry = new Dictionary<string, CalleeLocation>(StringComparer.Ordinal);
            var byPrefix = new Dictionary<string, CalleeLocation>(StringComparer.Ordinal);
            foreach (var row in ReadCsv("country-calling-codes.csv", "code,country,zones"))
            {
                var (code, country, zones) = (row[0], row[1], row.Length > 2 ? SplitZones(row[2]) : []);
                if (!byCountry.TryGetValue(country, out var location))
                {
                    var countryZones = zones.Length > 0 ? zones : zoneTab.GetValueOrDefault(country, []);
                    location = new CalleeLocation(country, null, countryZones.AsReadOnly(), BasisCountry);
                    byCountry.Add(country, location);
                }
                if (!byPrefix.TryAdd(code, location))
                    throw new InvalidOperationException($"country-calling-codes.csv: calling code {code} appears twice");
            }

            var unitedStates = byCountry["US"];
            var byAreaCode = new Dictionary<string, CalleeLocation>(StringComparer.Ordinal);
            foreach (var row in ReadCsv("nanp-area-codes.csv", "npa,region,zones"))
            {
                if (row.Length != 3 || row[0].Length != 3)
                    throw new InvalidOperationException($"nanp-area-codes.csv: bad row '{string.Join(',', row)}'");
                var (npa, place, zones) = (row[0], row[1], SplitZones(row[2]));
                var dash = place.IndexOf('-', StringComparison.Ordinal);
                var country = dash < 0 ? place : place[..dash];
                var region = dash < 0 ? null : place;
                if (!byAreaCode.TryAdd(npa, new CalleeLocation(country, region, zones.AsReadOnly(), BasisAreaCode)))
                    throw new InvalidOperationException($"nanp-area-codes.csv: area code {npa} appears twice");
            }

            return new Tables
            {
                ByPrefix = byPrefix.GetAlternateLookup<ReadOnlySpan<char>>(),
                ByAreaCode = byAreaCode.GetAlternateLookup<ReadOnlySpan<char>>(),
                ByCountry = byCountry,
                UnitedStates = unitedStates,
                LongestPrefix = byPrefix.Keys.Max(k => k.Length),
            };
        }

        private static string[] SplitZones(string zones) => zones.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Rows of an embedded <c>Data/*.csv</c> file: comments (<c>#</c>), blank lines and the header skipped.</summary>
    internal static IEnumerable<string[]> ReadCsv(string fileName, string header)
    {
        using var stream = typeof(CalleeZones).Assembly.GetManifestResourceStream(ResourceName(fileName))
            ?? throw new InvalidOperationException($"embedded resource Compliance/Data/{fileName} is missing");
        using var reader = new StreamReader(stream);
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0 || line[0] == '#' || string.Equals(line, header, StringComparison.Ordinal))
                continue;
            var fields = line.Split(',', StringSplitOptions.TrimEntries);
            if (fields.Length < 2 || fields[0].Length == 0 || fields[1].Length == 0)
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{fileName} line {lineNumber}: expected '{header}'"));
            yield return fields;
        }
    }

    /// <summary>The manifest name of an embedded <c>Compliance/Data</c> file.</summary>
    internal static string ResourceName(string fileName) => $"Outdial.Core.Compliance.Data.{fileName}";
}
