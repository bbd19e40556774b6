using System.Diagnostics;
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
    public void Resolve_NewYorkCity_IsUsNyEasternByAreaCode()
    {
        var callee = CalleeZones.Resolve("+12125550123");
        Assert.Equal("US", callee.Country);
        Assert.Equal("US-NY", callee.Region);
        Assert.Equal(["America/New_York"], callee.Zones);
        Assert.Equal("area_code", callee.Basis);
    }

    [Theory]
    [InlineData("208", "US-ID", "America/Boise", "America/Los_Angeles")]
    [InlineData("850", "US-FL", "America/Chicago", "America/New_York")]
    public void Resolve_AreaCodeSpanningTwoZones_ReturnsBoth(string npa, string region, string zone1, string zone2)
    {
        var callee = Nanp(npa);
        Assert.Equal(region, callee.Region);
        Assert.Equal([zone1, zone2], callee.Zones.Order(StringComparer.Ordinal));
        Assert.Equal("area_code", callee.Basis);
    }

    [Fact]
    public void Resolve_PuertoRico_IsItsOwnCountryWithoutRegion()
    {
        var callee = CalleeZones.Resolve("+17875550123");
        Assert.Equal("PR", callee.Country);
        Assert.Null(callee.Region);
        Assert.Equal(["America/Puerto_Rico"], callee.Zones);
        Assert.Equal("area_code", callee.Basis);
    }

    [Fact]
    public void Resolve_Toronto_IsCanadaOntario()
    {
        var callee = CalleeZones.Resolve("+14165550123");
        Assert.Equal("CA", callee.Country);
        Assert.Equal("CA-ON", callee.Region);
        Assert.Equal(["America/Toronto"], callee.Zones);
    }

    [Theory]
    [InlineData("+18005550123")] // toll-free
    [InlineData("+15005550123")] // personal communications service
    [InlineData("+19005550123")] // premium rate
    [InlineData("+11115550123")] // invalid: an area code never starts with 1
    [InlineData("+19115550123")] // N11 service code
    [InlineData("+1212555")] // too short for an area code
    public void Resolve_NonGeographicOrInvalidNanpCode_IsAnywhereInTheUs(string e164)
    {
        var callee = CalleeZones.Resolve(e164);
        Assert.Equal("US", callee.Country);
        Assert.Null(callee.Region);
        Assert.Equal("country", callee.Basis);
        Assert.Contains("America/New_York", callee.Zones);
        Assert.Contains("America/Los_Angeles", callee.Zones);
        Assert.Contains("America/Anchorage", callee.Zones);
        Assert.Contains("America/Adak", callee.Zones);
        Assert.Contains("Pacific/Honolulu", callee.Zones);
        Assert.True(callee.Zones.Count >= 20, $"only {callee.Zones.Count} US zones");
    }

    [Fact]
    public void Resolve_London_IsGreatBritain()
    {
        var callee = CalleeZones.Resolve("+442079460123");
        Assert.Equal("GB", callee.Country);
        Assert.Null(callee.Region);
        Assert.Equal(["Europe/London"], callee.Zones);
        Assert.Equal("country", callee.Basis);
    }

    [Theory]
    [InlineData("+919876543210", "IN", "Asia/Kolkata", 5 * 60 + 30)]
    [InlineData("+9779812345678", "NP", "Asia/Kathmandu", 5 * 60 + 45)]
    public void Resolve_HalfHourCountry_ReturnsItsSingleZone(string e164, string country, string zone, int offsetMinutes)
    {
        var callee = CalleeZones.Resolve(e164);
        Assert.Equal(country, callee.Country);
        Assert.Equal([zone], callee.Zones);
        var offset = DateTimeZoneProviders.Tzdb[zone].GetUtcOffset(Instant.FromUtc(2026, 1, 15, 12, 0));
        Assert.Equal(Offset.FromSeconds(offsetMinutes * 60), offset);
    }

    [Fact]
    public void Resolve_Australia_ListsEveryZoneIncludingAdelaide()
    {
        var callee = CalleeZones.Resolve("+61212345678");
        Assert.Equal("AU", callee.Country);
        Assert.Contains("Australia/Adelaide", callee.Zones);
        Assert.Contains("Australia/Sydney", callee.Zones);
        Assert.Contains("Australia/Perth", callee.Zones);
        Assert.True(callee.Zones.Count >= 5);
    }

    [Theory]
    [InlineData("+77012345678", "KZ")]
    [InlineData("+76012345678", "KZ")]
    [InlineData("+74951234567", "RU")]
    [InlineData("+262269123456", "YT")]
    [InlineData("+262262123456", "RE")]
    [InlineData("+59971234567", "BQ")]
    [InlineData("+59991234567", "CW")]
    [InlineData("+441534123456", "JE")]
    public void Resolve_SharedCallingCode_LongestPrefixPicksTheCountry(string e164, string country)
    {
        var callee = CalleeZones.Resolve(e164);
        Assert.Equal(country, callee.Country);
        Assert.NotEmpty(callee.Zones);
    }

    [Fact]
    public void Resolve_Kazakhstan_HasKazakhZones()
    {
        var callee = CalleeZones.Resolve("+77012345678");
        Assert.Contains("Asia/Almaty", callee.Zones);
        Assert.DoesNotContain("Europe/Moscow", callee.Zones);
    }

    [Theory]
    [InlineData("+99912345678")]
    [InlineData("+80012345678")] // international freephone: no country
    [InlineData("12125550123")] // no plus
    [InlineData("+1212555ABCD")]
    [InlineData("")]
    public void Resolve_UnknownCallingCode_IsUnknown(string e164)
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
        Assert.Equal("area_code", callee.Basis);
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
    public void NanpTable_EveryZoneIsAValidTzdbId()
    {
        foreach (var row in Rows("nanp-area-codes.csv"))
        {
            var callee = Nanp(row[0]);
            Assert.NotEmpty(callee.Zones);
            foreach (var zone in callee.Zones)
                Assert.True(DateTimeZoneProviders.Tzdb.GetZoneOrNull(zone) is not null, $"NPA {row[0]}: unknown zone {zone}");
        }
    }

    [Fact]
    public void CountryTable_EveryCountryHasZonesAndEveryZoneIsValid()
    {
        foreach (var row in Rows("country-calling-codes.csv"))
        {
            var callee = CalleeZones.Resolve("+" + row[0].PadRight(10, '0'));
            Assert.Equal(row[1], callee.Country);
            Assert.NotEmpty(callee.Zones);
            foreach (var zone in callee.Zones)
                Assert.True(DateTimeZoneProviders.Tzdb.GetZoneOrNull(zone) is not null, $"+{row[0]} ({row[1]}): unknown zone {zone}");
        }
    }

    [Fact]
    public void NanpTable_CoversEveryStateAndDc()
    {
        var regions = Rows("nanp-area-codes.csv").Select(r => r[1]).ToHashSet(StringComparer.Ordinal);
        var missing = UsStatesAndDc.Where(s => !regions.Contains("US-" + s)).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Tables_HaveNoDuplicateKeys()
    {
        var npas = Rows("nanp-area-codes.csv").Select(r => r[0]).ToList();
        Assert.Equal(npas.Count, npas.Distinct(StringComparer.Ordinal).Count());
        Assert.All(npas, npa => Assert.Matches("^[2-9][0-9]{2}$", npa));
        var codes = Rows("country-calling-codes.csv").Select(r => r[0]).ToList();
        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Resolve_IsCheapAfterWarmUp()
    {
        string[] numbers = ["+12125550123", "+18505550123", "+442079460123", "+77012345678", "+18005550123"];
        foreach (var n in numbers)
            CalleeZones.Resolve(n);
        const int rounds = 200_000;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < rounds; i++)
            CalleeZones.Resolve(numbers[i % numbers.Length]);
        clock.Stop();
        // Target is well under 2 µs a call; the bound is loose so a busy CI machine does not flake.
        var perCall = clock.Elapsed.TotalMicroseconds / rounds;
        Assert.True(perCall < 10, $"{perCall:F3} µs per call");
    }
}
