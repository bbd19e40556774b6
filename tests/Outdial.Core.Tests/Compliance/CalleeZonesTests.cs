using NodaTime;
using Outdial.Core.Compliance;

namespace Outdial.Core.Tests.Compliance;

public class CalleeZonesTests
{
    private static readonly string[] UsStatesAndDc =
    [
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD",
        "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC",
        "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
    ];

    /// <summary>Data rows (<c>#</c> comments and the header skipped) of an embedded <c>Compliance/Data</c> CSV file.</summary>
    private static List<string[]> Rows(string fileName)
    {
        using var stream = typeof(CalleeZones).Assembly.GetManifestResourceStream($"Outdial.Core.Compliance.Data.{fileName}");
        Assert.NotNull(stream);
        using var reader = new StreamReader(stream);
        var rows = new List<string[]>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && char.IsAsciiDigit(line[0]))
                rows.Add(line.Split(','));
        }
        return rows;
    }

    private static CalleeLocation Nanp(string npa) => CalleeZones.Resolve($"+1{npa}5550123");

    [Fact]
    public void Resolve_NewYorkCity_IsUsNyEasternByTheLibrary()
    {
        var callee = CalleeZones.Resolve("+12125550123");
        Assert.Equal("US", callee.Country);
        Assert.Equal("US-NY", callee.Region);
        Assert.Equal(["America/New_York"], callee.Zones);
        Assert.Equal("number", callee.Basis);
        Assert.Equal("fixed_line_or_mobile", callee.NumberType);
    }

    [Fact]
    public void Resolve_AreaCodeSpanningTwoZones_ReturnsBoth()
    {
        var callee = Nanp("208"); // Idaho: Mountain in the south, Pacific in the panhandle
        Assert.Equal("US-ID", callee.Region);
        Assert.Equal(["America/Boise", "America/Los_Angeles"], callee.Zones.Order(StringComparer.Ordinal));
        Assert.Equal("number", callee.Basis);
    }

    [Fact]
    public void Resolve_PuertoRico_IsItsOwnCountryWithoutRegion()
    {
        var callee = CalleeZones.Resolve("+17875550123");
        Assert.Equal("PR", callee.Country);
        Assert.Null(callee.Region);
        Assert.Equal(["America/Puerto_Rico"], callee.Zones);
    }

    [Theory]
    [InlineData("+14165550123", "CA-ON", "America/Toronto")]
    [InlineData("+16045550123", "CA-BC", "America/Vancouver")]
    public void Resolve_Canada_HasItsProvince(string e164, string region, string zone)
    {
        var callee = CalleeZones.Resolve(e164);
        Assert.Equal("CA", callee.Country);
        Assert.Equal(region, callee.Region);
        Assert.Equal([zone], callee.Zones);
    }

    [Theory]
    [InlineData("+18005550123", "toll_free")]
    [InlineData("+15005550123", "personal_number")]
    [InlineData("+19005550123", "premium_rate")]
    [InlineData("+11115550123", "unknown")] // invalid: an area code never starts with 1
    [InlineData("+19115550123", "unknown")] // N11 service code
    [InlineData("+15551230001", "unknown")] // 555 is not an area code (the examples' numbers)
    [InlineData("+12125550", "unknown")] // too short
    public void Resolve_NonGeographicOrInvalidNanpNumber_IsAnywhereInTheUs_NotAllOfNanp(string e164, string type)
    {
        // libphonenumber answers every zone of the 25 NANP countries, Guam to Newfoundland, where no hour suits all.
        var callee = CalleeZones.Resolve(e164);
        Assert.Equal("US", callee.Country);
        Assert.Null(callee.Region);
        Assert.Equal("country", callee.Basis);
        Assert.Equal(type, callee.NumberType);
        Assert.Equal(CalleeZones.CountryZones("US"), callee.Zones);
        Assert.Contains("America/Adak", callee.Zones);
        Assert.Contains("Pacific/Honolulu", callee.Zones);
        Assert.DoesNotContain("Pacific/Guam", callee.Zones);
    }

    [Theory]
    [InlineData("+442079460123", "GB", "Europe/London", "fixed_line")]
    [InlineData("+4930901820", "DE", "Europe/Berlin", "fixed_line")]
    [InlineData("+61212345678", "AU", "Australia/Sydney", "fixed_line")]
    [InlineData("+441534123456", "JE", "Europe/Jersey", "fixed_line")]
    [InlineData("+77172123456", "KZ", "Asia/Almaty", "fixed_line")]
    [InlineData("+262262123456", "RE", "Indian/Reunion", "fixed_line")]
    [InlineData("+33612345678", "FR", "Europe/Paris", "mobile")]
    public void Resolve_NonNanpNumber_IsPlacedByTheLibrary(string e164, string country, string zone, string type)
    {
        var callee = CalleeZones.Resolve(e164);
        Assert.Equal(country, callee.Country);
        Assert.Null(callee.Region);
        Assert.Equal([zone], callee.Zones);
        Assert.Equal("number", callee.Basis);
        Assert.Equal(type, callee.NumberType);
    }

    [Fact]
    public void Resolve_AustralianMobile_MayBeInAnyOfEightZones()
    {
        var callee = CalleeZones.Resolve("+61412345678");
        Assert.Equal("AU", callee.Country);
        Assert.Equal("mobile", callee.NumberType);
        Assert.Equal(
            ["Australia/Adelaide", "Australia/Brisbane", "Australia/Eucla", "Australia/Lord_Howe", "Australia/Perth", "Australia/Sydney", "Indian/Christmas", "Indian/Cocos"],
            callee.Zones.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("+919876543210", "IN", "Asia/Calcutta", 5 * 60 + 30)] // the library's name; TZDB keeps it as an alias of Asia/Kolkata
    [InlineData("+9779812345678", "NP", "Asia/Katmandu", 5 * 60 + 45)]
    public void Resolve_HalfHourCountry_ReturnsItsSingleZone(string e164, string country, string zone, int offsetMinutes)
    {
        var callee = CalleeZones.Resolve(e164);
        Assert.Equal(country, callee.Country);
        Assert.Equal([zone], callee.Zones);
        var offset = DateTimeZoneProviders.Tzdb[zone].GetUtcOffset(Instant.FromUtc(2026, 1, 15, 12, 0));
        Assert.Equal(Offset.FromSeconds(offsetMinutes * 60), offset);
    }

    [Fact]
    public void Resolve_KazakhMobile_IsInKazakhstan_WithEveryZoneOfItsCallingCode()
    {
        // +7 is shared with Russia, and the library does not place mobile numbers: every zone of the code must hold.
        var callee = CalleeZones.Resolve("+77012345678");
        Assert.Equal("KZ", callee.Country);
        Assert.Contains("Asia/Almaty", callee.Zones);
        Assert.Contains("Europe/Moscow", callee.Zones);
    }

    [Theory]
    [InlineData("+99912345678")] // unassigned calling code
    [InlineData("+80012345678")] // international freephone: no country
    [InlineData("12125550123")] // no plus
    [InlineData("+1212555ABCD")]
    [InlineData("")]
    public void Resolve_NoCountry_IsUnknown(string e164)
    {
        var callee = CalleeZones.Resolve(e164);
        Assert.Null(callee.Country);
        Assert.Null(callee.Region);
        Assert.Empty(callee.Zones);
        Assert.Equal("unknown", callee.Basis);
    }

    [Fact]
    public void Resolve_ExplicitZone_ReplacesZonesButKeepsCountryAndRegion()
    {
        var callee = CalleeZones.Resolve("+12085550123", "America/Denver");
        Assert.Equal("US", callee.Country);
        Assert.Equal("US-ID", callee.Region);
        Assert.Equal(["America/Denver"], callee.Zones);
        Assert.Equal("explicit", callee.Basis);
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("")]
    [InlineData(null)]
    public void Resolve_UnknownOrMissingExplicitZone_IsIgnored(string? zone)
    {
        var callee = CalleeZones.Resolve("+12125550123", zone);
        Assert.Equal(["America/New_York"], callee.Zones);
        Assert.Equal("number", callee.Basis);
    }

    [Fact]
    public void Resolve_ExplicitZoneForUnknownCallingCode_KeepsTheZone()
    {
        var callee = CalleeZones.Resolve("+99912345678", "Europe/Paris");
        Assert.Null(callee.Country);
        Assert.Equal(["Europe/Paris"], callee.Zones);
        Assert.Equal("explicit", callee.Basis);
    }

    [Fact]
    public void NanpTable_EveryAreaCodeHasZonesNodaTimeKnows()
    {
        foreach (var row in Rows("nanp-area-codes.csv"))
        {
            var callee = Nanp(row[0]);
            Assert.NotEmpty(callee.Zones);
            Assert.True(callee.Zones.Count < 30, $"NPA {row[0]}: {callee.Zones.Count} zones");
            foreach (var zone in callee.Zones)
                Assert.True(DateTimeZoneProviders.Tzdb.GetZoneOrNull(zone) is not null, $"NPA {row[0]}: unknown zone {zone}");
        }
    }

    [Fact]
    public void EveryRegionsExampleNumber_IsInThatCountry_WithZonesNodaTimeKnows()
    {
        // Worldwide: libphonenumber's own example fixed-line number of each of its regions.
        var util = global::PhoneNumbers.PhoneNumberUtil.GetInstance();
        var failures = new List<string>();
        foreach (var region in util.GetSupportedRegions().Order(StringComparer.Ordinal))
        {
            if (util.GetExampleNumber(region) is not { } example)
                continue;
            var e164 = util.Format(example, global::PhoneNumbers.PhoneNumberFormat.E164);
            var callee = CalleeZones.Resolve(e164);
            // Plans shared by two regions (Western Sahara's with Morocco's, Saint Martin's with Saint Barthélemy's) name the first.
            if (callee.Country != (util.GetRegionCodeForNumber(example) ?? region) || callee.Zones.Count == 0 || callee.Zones.Any(z => DateTimeZoneProviders.Tzdb.GetZoneOrNull(z) is null))
                failures.Add($"{region} {e164}: {callee.Country} [{string.Join(' ', callee.Zones)}] {callee.Basis}");
        }
        Assert.Empty(failures);
    }

    [Fact]
    public void NanpTable_CoversEveryStateAndDc()
    {
        var regions = Rows("nanp-area-codes.csv").Select(r => r[1]).ToHashSet(StringComparer.Ordinal);
        var missing = UsStatesAndDc.Where(s => !regions.Contains("US-" + s)).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void NanpTable_HasNoDuplicateKeys()
    {
        var npas = Rows("nanp-area-codes.csv").Select(r => r[0]).ToList();
        Assert.Equal(npas.Count, npas.Distinct(StringComparer.Ordinal).Count());
        Assert.All(npas, npa => Assert.Matches("^[2-9][0-9]{2}$", npa));
        Assert.All(Rows("nanp-area-codes.csv"), row => Assert.Matches("^[A-Z]{2}(-[A-Z]{2})?$", row[1]));
    }
}
