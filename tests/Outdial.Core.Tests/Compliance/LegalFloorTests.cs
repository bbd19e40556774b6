using NodaTime;
using Outdial.Core.Compliance;

namespace Outdial.Core.Tests.Compliance;

public sealed class LegalFloorTests : IDisposable
{
    private const string Federal = "us.federal.tcpa_hours";
    private const string Florida = "us.fl.telephone_solicitation";

    private readonly List<string> tempFiles = [];

    public void Dispose()
    {
        foreach (var file in tempFiles)
            File.Delete(file);
    }

    private string TempFile(string content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"outdial-rule-pack-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, content);
        tempFiles.Add(path);
        return path;
    }

    private static LegalFloor Shipped() => LegalFloor.Load(new ComplianceOptions());

    private static List<string> RuleIds(LegalFloor floor, string e164) =>
        floor.RulesFor(CalleeZones.Resolve(e164)).Select(r => r.Id).ToList();

    private static LegalRule Rule(LegalFloor floor, string id) => floor.Packs.SelectMany(p => p.Rules).Single(r => r.Id == id);

    [Fact]
    public void Load_Defaults_ShipsAValidUsPack()
    {
        var floor = Shipped();
        var us = Assert.Single(floor.Packs, p => p.Id == "us");
        Assert.True(us.Enabled);
        Assert.Equal("US", us.Country);
        Assert.All(us.Rules, r =>
        {
            Assert.True(r.Region == "US" || r.Region.StartsWith("US-", StringComparison.Ordinal), r.Id);
            Assert.False(string.IsNullOrWhiteSpace(r.Source), r.Id);
            Assert.StartsWith("http", r.SourceUrl, StringComparison.Ordinal);
            Assert.True(r.Hours.Count > 0 || r.Frequency is not null, $"{r.Id} limits nothing");
            Assert.All(r.Hours, h => Assert.True(h.End > h.Start, r.Id));
        });

        var federal = Rule(floor, Federal);
        Assert.Equal("US", federal.Region);
        Assert.Equal("47 CFR § 64.1200(c)(1)", federal.Source);
        var hours = Assert.Single(federal.Hours);
        Assert.Equal(7, hours.Days.Count);
        Assert.Equal(new LocalTime(8, 0), hours.Start);
        Assert.Equal(new LocalTime(21, 0), hours.End);
    }

    [Fact]
    public void Load_Defaults_FloridaLimitsHoursAndFrequency()
    {
        var florida = Rule(Shipped(), Florida);
        Assert.Equal("US-FL", florida.Region);
        Assert.Equal(new FrequencyLimit(3, 86_400), florida.Frequency);
        Assert.Equal(new LocalTime(20, 0), Assert.Single(florida.Hours).End);
    }

    [Fact]
    public void Load_Defaults_TexasSundayStartsAtNoon()
    {
        var texas = Rule(Shipped(), "us.tx.telephone_solicitation_hours");
        var sunday = Assert.Single(texas.Hours, h => h.Days.Contains(IsoDayOfWeek.Sunday));
        Assert.Equal(new LocalTime(12, 0), sunday.Start);
        Assert.DoesNotContain(IsoDayOfWeek.Sunday, Assert.Single(texas.Hours, h => h.Days.Contains(IsoDayOfWeek.Monday)).Days);
    }

    [Theory]
    [InlineData("+12125550123")]
    [InlineData("+13055550123")]
    [InlineData("+18085550123")]
    [InlineData("+18005550123")]
    public void RulesFor_AnyUsNumber_IncludesTheFederalRule(string e164) => Assert.Contains(Federal, RuleIds(Shipped(), e164));

    [Fact]
    public void RulesFor_MiamiNumber_AppliesFloridaButNotNewYork()
    {
        var floor = Shipped();
        Assert.Equal([Federal, Florida], RuleIds(floor, "+13055550123"));
        Assert.Equal([Federal], RuleIds(floor, "+12125550123"));
    }

    [Fact]
    public void RulesFor_UsNumberWithUnknownRegion_AppliesEveryStateRule()
    {
        var floor = Shipped();
        var all = floor.Packs.Single(p => p.Id == "us").Rules.Select(r => r.Id).ToList();
        Assert.Equal(all, RuleIds(floor, "+18005550123"));
        Assert.Contains(Florida, all);
        Assert.Contains("us.tx.telephone_solicitation_hours", all);
    }

    [Fact]
    public void RulesFor_UsTerritory_AppliesOnlyCountryWideRules() =>
        Assert.Equal([Federal], RuleIds(Shipped(), "+17875550123"));

    [Theory]
    [InlineData("+14165550123")] // Toronto
    [InlineData("+442079460123")] // London
    [InlineData("+99912345678")] // unknown calling code
    public void RulesFor_NonUsNumber_HasNoUsRules(string e164) => Assert.Empty(RuleIds(Shipped(), e164));

    [Fact]
    public void RulesFor_SameCallee_ReturnsTheCachedList()
    {
        var floor = Shipped();
        Assert.Same(floor.RulesFor(CalleeZones.Resolve("+13055550123")), floor.RulesFor(CalleeZones.Resolve("+17865550123")));
    }

    [Fact]
    public void None_HasNoRules()
    {
        Assert.Empty(LegalFloor.None.Packs);
        Assert.Empty(LegalFloor.None.RulesFor(CalleeZones.Resolve("+13055550123")));
    }

    [Fact]
    public void Load_OverrideDisablesARule()
    {
        var options = new ComplianceOptions { Rules = { [Florida] = new LegalRuleOverride { Enabled = false } } };
        var floor = LegalFloor.Load(options);
        Assert.False(Rule(floor, Florida).Enabled);
        Assert.Equal([Federal], RuleIds(floor, "+13055550123"));
    }

    [Fact]
    public void Load_OverrideReplacesHours()
    {
        var options = new ComplianceOptions
        {
            Rules =
            {
                [Federal] = new LegalRuleOverride
                {
                    Hours = [new AllowedHoursSetting { Days = ["mon", "tue", "wed", "thu", "fri"], Start = "09:30", End = "18:00" }],
                },
            },
        };
        var hours = Assert.Single(Rule(LegalFloor.Load(options), Federal).Hours);
        Assert.Equal([IsoDayOfWeek.Monday, IsoDayOfWeek.Tuesday, IsoDayOfWeek.Wednesday, IsoDayOfWeek.Thursday, IsoDayOfWeek.Friday], hours.Days);
        Assert.Equal(new LocalTime(9, 30), hours.Start);
        Assert.Equal(new LocalTime(18, 0), hours.End);
    }

    [Fact]
    public void Load_OverrideChangesFrequency()
    {
        var options = new ComplianceOptions { Rules = { [Florida] = new LegalRuleOverride { FrequencyMaxAttempts = 2 } } };
        Assert.Equal(new FrequencyLimit(2, 86_400), Rule(LegalFloor.Load(options), Florida).Frequency);

        options = new ComplianceOptions
        {
            Rules = { [Federal] = new LegalRuleOverride { FrequencyMaxAttempts = 5, FrequencyWindowSec = 3600 } },
        };
        Assert.Equal(new FrequencyLimit(5, 3600), Rule(LegalFloor.Load(options), Federal).Frequency);
    }

    [Fact]
    public void Load_OverrideAddingHalfAFrequencyToARuleWithout_Throws()
    {
        var options = new ComplianceOptions { Rules = { [Federal] = new LegalRuleOverride { FrequencyMaxAttempts = 5 } } };
        var error = Assert.Throws<InvalidOperationException>(() => LegalFloor.Load(options));
        Assert.Contains(Federal, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mon", "25:00", "26:00", "25:00")]
    [InlineData("funday", "08:00", "20:00", "funday")]
    [InlineData("mon", "20:00", "08:00", "not after")]
    [InlineData("mon", "8am", "20:00", "8am")]
    public void Load_OverrideWithInvalidHours_ThrowsNamingTheProblem(string day, string start, string end, string expected)
    {
        var options = new ComplianceOptions
        {
            Rules = { [Florida] = new LegalRuleOverride { Hours = [new AllowedHoursSetting { Days = [day], Start = start, End = end }] } },
        };
        var error = Assert.Throws<InvalidOperationException>(() => LegalFloor.Load(options));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(Florida, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OverrideOfUnknownRule_Throws()
    {
        var options = new ComplianceOptions { Rules = { ["us.zz.made_up"] = new LegalRuleOverride { Enabled = false } } };
        var error = Assert.Throws<InvalidOperationException>(() => LegalFloor.Load(options));
        Assert.Contains("us.zz.made_up", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DisabledPack_AppliesNothing()
    {
        var floor = LegalFloor.Load(new ComplianceOptions { DisabledPacks = ["us"] });
        Assert.False(Assert.Single(floor.Packs, p => p.Id == "us").Enabled);
        Assert.Empty(RuleIds(floor, "+13055550123"));
    }

    [Fact]
    public void Load_DisablingUnknownPack_Throws()
    {
        var error = Assert.Throws<InvalidOperationException>(() => LegalFloor.Load(new ComplianceOptions { DisabledPacks = ["xx"] }));
        Assert.Contains("'xx'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LegalFloorDisabled_AppliesNothing()
    {
        var floor = LegalFloor.Load(new ComplianceOptions { LegalFloorEnabled = false });
        Assert.All(floor.Packs, p => Assert.False(p.Enabled));
        Assert.Empty(RuleIds(floor, "+13055550123"));
        Assert.Empty(RuleIds(floor, "+18005550123"));
    }

    [Fact]
    public void Load_RulePackFileWithShippedId_ReplacesTheShippedPack()
    {
        var path = TempFile("""
            // operator's own US pack
            [{
              "id": "us", "name": "Our US pack", "country": "US",
              "rules": [
                { "id": "ours.us.hours", "region": "US", "title": "9 to 5", "source": "company policy",
                  "hours": [{ "days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00" }] },
                { "id": "ours.fl.cap", "region": "US-FL", "source": "company policy", "frequency": { "maxAttempts": 1, "windowSec": 86400 } }
              ]
            }]
            """);
        var floor = LegalFloor.Load(new ComplianceOptions { RulePackFile = path });
        var us = Assert.Single(floor.Packs, p => p.Id == "us");
        Assert.Equal("Our US pack", us.Name);
        Assert.Equal(["ours.us.hours", "ours.fl.cap"], RuleIds(floor, "+13055550123"));
        Assert.Equal(["ours.us.hours"], RuleIds(floor, "+12125550123"));
    }

    [Fact]
    public void Load_RulePackFileWithNewPack_AddsItAlongsideTheShippedOnes()
    {
        var path = TempFile("""
            { "id": "ca", "name": "Canada", "country": "CA",
              "rules": [{ "id": "ca.crtc.hours", "region": "CA", "source": "CRTC Unsolicited Telecommunications Rules, Part III",
                          "hours": [{ "days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "21:30" },
                                    { "days": ["sat", "sun"], "start": "10:00", "end": "18:00" }] }] }
            """);
        var floor = LegalFloor.Load(new ComplianceOptions { RulePackFile = path, Rules = { ["ca.crtc.hours"] = new LegalRuleOverride() } });
        Assert.Equal(["us", "ca"], floor.Packs.Select(p => p.Id));
        Assert.Equal(["ca.crtc.hours"], RuleIds(floor, "+14165550123"));
        Assert.Equal([Federal], RuleIds(floor, "+12125550123"));
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("\"a string\"")]
    [InlineData("""{ "id": "x", "country": "US", "rules": [{ "id": "x.1", "region": "US", "source": "s", "hours": [{ "days": ["mon"], "start": "20:00", "end": "08:00" }] }] }""")]
    [InlineData("""{ "id": "x", "country": "US", "rules": [{ "id": "x.1", "region": "CA-ON", "source": "s" }] }""")]
    [InlineData("""{ "id": "x", "country": "US", "rules": [{ "id": "x.1", "region": "US", "source": "" }] }""")]
    [InlineData("""{ "id": "x", "country": "US", "rules": [{ "id": "x.1", "region": "US", "source": "s", "frequency": { "maxAttempts": 0, "windowSec": 60 } }] }""")]
    [InlineData("""{ "id": "x", "country": "US", "rules": [{ "id": "x.1", "region": "US", "source": "s", "hourz": [] }] }""")]
    [InlineData("""{ "id": "x", "country": "US", "rules": [{ "id": "us.federal.tcpa_hours", "region": "US", "source": "s" }] }""")]
    public void Load_MalformedRulePackFile_ThrowsNamingTheFile(string content)
    {
        var path = TempFile(content);
        var error = Assert.Throws<InvalidOperationException>(() => LegalFloor.Load(new ComplianceOptions { RulePackFile = path }));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingRulePackFile_ThrowsNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"outdial-missing-{Guid.NewGuid():N}.json");
        var error = Assert.Throws<InvalidOperationException>(() => LegalFloor.Load(new ComplianceOptions { RulePackFile = path }));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }
}
