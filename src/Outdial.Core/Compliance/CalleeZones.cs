using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Globalization;
using NodaTime;
using NodaTime.TimeZones;
using Outdial.Core.Calls;
using PhoneNumbers;

namespace Outdial.Core.Compliance;

/// <summary>
/// Where a callee is, as far as the number (and an explicit zone, when given) tells.
/// </summary>
/// <param name="Country">ISO 3166-1 alpha-2 country of the number (e.g. <c>US</c>), or null when the calling code is unknown.</param>
/// <param name="Region">ISO 3166-2 subdivision (e.g. <c>US-FL</c>, <c>CA-ON</c>) for +1 numbers whose area code is known, else null.</param>
/// <param name="Zones">IANA zones the callee may be in; a dial must suit every one (intersection). Empty = unknown.</param>
/// <param name="Basis">How <paramref name="Zones"/> was found: <c>explicit</c>, <c>number</c> (libphonenumber placed the number),
/// <c>country</c> (every zone of its country) or <c>unknown</c>.</param>
public sealed record CalleeLocation(string? Country, string? Region, IReadOnlyList<string> Zones, string Basis)
{
    /// <summary>The number's type by libphonenumber (<see cref="E164.TypeOf"/>): <c>mobile</c>, <c>fixed_line</c>, … or <c>unknown</c>.</summary>
    public string NumberType { get; init; } = NumberTypes.Unknown;
}

/// <summary>
/// The callee's possible time zones from an E.164 number, by Google's libphonenumber (<c>PhoneNumberToTimeZonesMapper</c>,
/// worldwide: <c>Europe/London</c> for +44 20, <c>America/New_York</c> for +1 212, every zone of Australia for an Australian
/// mobile), and its country (<c>PhoneNumberUtil.GetRegionCodeForNumber</c>). For +1 (NANP) numbers the area code also gives
/// the US state or Canadian province (<c>Data/nanp-area-codes.csv</c>, from NANPA's assignments: the one fact the library
/// lacks, needed by the legal floor's state rules). An explicit zone overrides the zones but not the country or region
/// (legal rules follow the number).
/// </summary>
/// <remarks>
/// Where the library cannot place a number more precisely than its calling code — an unassigned range, or a non-geographic
/// +1 number (toll-free, premium rate), for which it answers every zone of the 25 NANP countries, from Guam to
/// Newfoundland, where no hour suits them all — the zones are those TZDB's <c>zone.tab</c> lists for the number's country
/// (<see cref="TzdbDateTimeZoneSource.ZoneLocations"/>; the United States for an unknown +1 number). Zone ids are the
/// library's (<c>Asia/Calcutta</c> for India, an alias TZDB keeps); ids NodaTime does not know are dropped. Locations are
/// cached per number (up to <see cref="CacheSize"/> numbers), so a number is parsed once.
/// </remarks>
public static class CalleeZones
{
    /// <summary><see cref="CalleeLocation.Basis"/> when the caller gave the zone.</summary>
    public const string BasisExplicit = "explicit";
    /// <summary><see cref="CalleeLocation.Basis"/> when libphonenumber placed the number (its prefix's zones).</summary>
    public const string BasisNumber = "number";
    /// <summary><see cref="CalleeLocation.Basis"/> when the zones are every zone of the number's country.</summary>
    public const string BasisCountry = "country";
    /// <summary><see cref="CalleeLocation.Basis"/> when neither the number nor its country tell.</summary>
    public const string BasisUnknown = "unknown";

    /// <summary>Most numbers whose location is kept; the cache starts over when full.</summary>
    public const int CacheSize = 100_000;

    /// <summary>The location of a number that is not E.164 with an assigned calling code: no country, no zones.</summary>
    public static CalleeLocation Unknown { get; } = new(null, null, ReadOnlyCollection<string>.Empty, BasisUnknown);

    private static readonly Lazy<Tables> Data = new(Tables.Load, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly ConcurrentDictionary<string, CalleeLocation> Cache = new(StringComparer.Ordinal);
    private static int _cached;

    /// <summary>Resolves <paramref name="e164"/> (validated E.164); <paramref name="explicitZone"/> is an IANA id or null.</summary>
    public static CalleeLocation Resolve(string e164, string? explicitZone = null)
    {
        var located = Locate(e164);
        if (string.IsNullOrEmpty(explicitZone) || DateTimeZoneProviders.Tzdb.GetZoneOrNull(explicitZone) is null)
            return located;
        return located with { Zones = new ReadOnlyCollection<string>([explicitZone]), Basis = BasisExplicit };
    }

    /// <summary>The three-digit area code (NPA) of a +1 number, or null for other numbers.</summary>
    public static string? AreaCode(string e164) =>
        e164.Length == 12 && e164.StartsWith("+1", StringComparison.Ordinal) ? e164.Substring(2, 3) : null;

    /// <summary>Every zone TZDB's <c>zone.tab</c> lists for <paramref name="country"/> (ISO 3166-1 alpha-2, upper case); empty when unknown.</summary>
    public static IReadOnlyList<string> CountryZones(string country) =>
        Data.Value.ByCountry.TryGetValue(country, out var zones) ? zones : ReadOnlyCollection<string>.Empty;

    private static CalleeLocation Locate(string e164)
    {
        if (Cache.TryGetValue(e164, out var cached))
            return cached;
        var located = LocateUncached(e164);
        if (Interlocked.Increment(ref _cached) > CacheSize)
        {
            Cache.Clear();
            Interlocked.Exchange(ref _cached, 0);
        }
        Cache.TryAdd(e164, located);
        return located;
    }

    private static CalleeLocation LocateUncached(string e164)
    {
        if (!E164.TryParse(e164, out var number))
            return Unknown;
        var tables = Data.Value;
        var util = PhoneNumberUtil.GetInstance();
        var type = NumberTypes.Of(util.GetNumberType(number));
        var country = RegionOrNull(util.GetRegionCodeForNumber(number));
        string? region = null;
        if (number.CountryCode == 1 && AreaCode(e164) is { } npa && tables.ByAreaCode.TryGetValue(npa, out var place))
        {
            var dash = place.IndexOf('-', StringComparison.Ordinal);
            country ??= dash < 0 ? place : place[..dash];
            region = dash < 0 ? null : place;
        }
        country ??= number.CountryCode == 1 ? "US" : RegionOrNull(util.GetRegionCodeForCountryCode(number.CountryCode));

        var zones = PhoneNumberToTimeZonesMapper.GetInstance().GetTimeZonesForNumber(number)
            .Where(z => DateTimeZoneProviders.Tzdb.GetZoneOrNull(z) is not null)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        // +1: the library's answer for a number it cannot place is all of NANP (or nothing); the country's zones are the useful bound.
        var placed = zones.Length > 0 && (number.CountryCode != 1 || zones.Length < tables.NanpZoneCount);
        if (placed)
            return new CalleeLocation(country, region, zones.AsReadOnly(), BasisNumber) { NumberType = type };
        if (country is not null && CountryZones(country) is { Count: > 0 } countryZones)
            return new CalleeLocation(country, region, countryZones, BasisCountry) { NumberType = type };
        return new CalleeLocation(country, region, ReadOnlyCollection<string>.Empty, BasisUnknown) { NumberType = type };
    }

    /// <summary>An ISO 3166-1 region code, or null for the library's "unknown" (<c>ZZ</c>) and "non-geographic" (<c>001</c>).</summary>
    private static string? RegionOrNull(string? region) => region is null or "ZZ" or "001" ? null : region;

    /// <summary>The parsed tables.</summary>
    private sealed class Tables
    {
        public required Dictionary<string, string> ByAreaCode { get; init; }
        public required Dictionary<string, IReadOnlyList<string>> ByCountry { get; init; }
        /// <summary>How many zones the library gives a +1 number it cannot place (all of NANP).</summary>
        public required int NanpZoneCount { get; init; }

        public static Tables Load()
        {
            var byCountry = (TzdbDateTimeZoneSource.Default.ZoneLocations ?? [])
                .GroupBy(l => l.CountryCode, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(l => l.ZoneId).Distinct(StringComparer.Ordinal).ToArray().AsReadOnly(),
                    StringComparer.Ordinal);
            var byAreaCode = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var row in ReadCsv("nanp-area-codes.csv", "npa,region"))
            {
                if (row.Length != 2 || row[0].Length != 3)
                    throw new InvalidOperationException($"nanp-area-codes.csv: bad row '{string.Join(',', row)}'");
                if (!byAreaCode.TryAdd(row[0], row[1]))
                    throw new InvalidOperationException($"nanp-area-codes.csv: area code {row[0]} appears twice");
            }
            // A toll-free number is non-geographic: the library answers with every zone of the calling code.
            var tollFree = PhoneNumberUtil.GetInstance().Parse("+18002530000", null);
            return new Tables
            {
                ByAreaCode = byAreaCode,
                ByCountry = byCountry,
                NanpZoneCount = PhoneNumberToTimeZonesMapper.GetInstance().GetTimeZonesForNumber(tollFree).Count,
            };
        }
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
