using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;
using NodaTime.Text;

namespace Outdial.Core.Compliance;

/// <summary>Hours on given days (callee local time) during which a rule allows calls; <see cref="End"/> is after <see cref="Start"/> on the same day.</summary>
public sealed record AllowedHours(IReadOnlyList<IsoDayOfWeek> Days, LocalTime Start, LocalTime End);

/// <summary>At most <see cref="MaxAttempts"/> attempts per number within any rolling <see cref="WindowSec"/> seconds.</summary>
public sealed record FrequencyLimit(int MaxAttempts, int WindowSec);

/// <summary>
/// One legal rule of a rule pack. <see cref="Region"/> is a country (<c>US</c>: every number of the country) or a
/// subdivision (<c>US-FL</c>). <see cref="Hours"/> is a union (empty = no hour limit); <see cref="Source"/> cites the
/// statute or regulation section.
/// </summary>
public sealed record LegalRule
{
    public required string Id { get; init; }
    public required string Region { get; init; }
    public required string Title { get; init; }
    public required string Source { get; init; }
    public string? SourceUrl { get; init; }
    public IReadOnlyList<AllowedHours> Hours { get; init; } = [];
    public FrequencyLimit? Frequency { get; init; }
    public bool Enabled { get; init; } = true;
}

/// <summary>A named set of legal rules for one country, e.g. the shipped US pack.</summary>
public sealed record RulePack(string Id, string Name, string Country, IReadOnlyList<LegalRule> Rules, bool Enabled = true)
{
    /// <summary>
    /// ISO 3166-1 countries whose numbers the pack's country-wide rules (<see cref="LegalRule.Region"/> ==
    /// <see cref="Country"/>) also cover, e.g. <c>PR</c>, <c>GU</c> for the US: territories with their own calling
    /// country but under the pack country's law (the TCPA applies in US territories).
    /// </summary>
    public IReadOnlyList<string> Territories { get; init; } = [];
}

/// <summary>
/// The legal floor: quiet-hour and frequency rules by region that apply on top of any campaign or agent window.
/// Built by <see cref="Load"/> from the shipped packs (embedded <c>Compliance/Data/*-pack.json</c>), the operator's
/// pack file and per-rule edits; <see cref="None"/> has no rules at all. The packs are treated as immutable: answers of
/// <see cref="RulesFor"/> are cached.
/// </summary>
public sealed class LegalFloor(IReadOnlyList<RulePack> packs)
{
    private readonly ConcurrentDictionary<(string? Country, string? Region), IReadOnlyList<LegalRule>> byCallee = new();

    /// <summary>A floor with no packs: <see cref="RulesFor"/> always returns nothing.</summary>
    public static LegalFloor None { get; } = new([]);

    /// <summary>The packs in force, operator edits applied.</summary>
    public IReadOnlyList<RulePack> Packs { get; } = packs;

    /// <summary>
    /// Enabled rules of enabled packs that apply to <paramref name="callee"/>: rules for its country, for its region,
    /// and — when the region is unknown (<see cref="CalleeLocation.Region"/> null: area code unknown or non-geographic)
    /// — every regional rule of its country, since the callee could be in any of them. A pack's country-wide rules
    /// also cover its <see cref="RulePack.Territories"/>. Cached per (country, region); safe for concurrent use.
    /// </summary>
    public IReadOnlyList<LegalRule> RulesFor(CalleeLocation callee) =>
        callee.Country is null
            ? []
            : byCallee.GetOrAdd((callee.Country, callee.Region), static (key, packs) => Select(packs, key.Country!, key.Region), Packs);

    private static IReadOnlyList<LegalRule> Select(IReadOnlyList<RulePack> packs, string country, string? region)
    {
        var countryPrefix = country + "-";
        var rules = new List<LegalRule>();
        foreach (var pack in packs)
        {
            if (!pack.Enabled)
                continue;
            var territory = pack.Territories.Contains(country, StringComparer.Ordinal);
            foreach (var rule in pack.Rules)
            {
                if (!rule.Enabled)
                    continue;
                var applies = string.Equals(rule.Region, country, StringComparison.Ordinal)
                    || (region is not null && string.Equals(rule.Region, region, StringComparison.Ordinal))
                    || (region is null && rule.Region.StartsWith(countryPrefix, StringComparison.Ordinal))
                    || (territory && string.Equals(rule.Region, pack.Country, StringComparison.Ordinal));
                if (applies)
                    rules.Add(rule);
            }
        }
        return rules.AsReadOnly();
    }

    /// <summary>
    /// Builds the floor from <paramref name="options"/>: the shipped packs, then the packs of
    /// <see cref="ComplianceOptions.RulePackFile"/> (a JSON array of packs or a single pack; a pack with a shipped id
    /// replaces it), then <see cref="ComplianceOptions.DisabledPacks"/>, then the per-rule edits of
    /// <see cref="ComplianceOptions.Rules"/>; <see cref="ComplianceOptions.LegalFloorEnabled"/> false disables every
    /// pack. Every rule is validated.
    /// </summary>
    /// <exception cref="InvalidOperationException">The pack file cannot be read or parsed, a rule is invalid, or a
    /// disabled pack or edited rule names an id no pack has; the message names the file, pack or rule.</exception>
    public static LegalFloor Load(ComplianceOptions options)
    {
        var packs = ShippedPacks().ToList();
        var fromFile = new HashSet<string>(StringComparer.Ordinal);
        if (!string.IsNullOrWhiteSpace(options.RulePackFile))
        {
            foreach (var pack in ReadPackFile(options.RulePackFile))
            {
                fromFile.Add(pack.Id);
                var index = packs.FindIndex(p => string.Equals(p.Id, pack.Id, StringComparison.Ordinal));
                if (index >= 0)
                    packs[index] = pack;
                else
                    packs.Add(pack);
            }
        }

        var duplicate = packs.SelectMany(p => p.Rules.Select(r => (Pack: p.Id, Rule: r.Id)))
            .GroupBy(x => x.Rule, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            var origin = fromFile.Overlaps(duplicate.Select(x => x.Pack)) ? $"Rule pack file '{options.RulePackFile}'" : "Legal floor";
            throw new InvalidOperationException(
                $"{origin}: rule id '{duplicate.Key}' is defined by packs {string.Join(" and ", duplicate.Select(x => $"'{x.Pack}'"))}; rule ids must be unique across packs");
        }

        foreach (var id in options.DisabledPacks ?? [])
        {
            var index = packs.FindIndex(p => string.Equals(p.Id, id, StringComparison.Ordinal));
            if (index < 0)
                throw new InvalidOperationException($"{ComplianceOptions.Section}:DisabledPacks names unknown pack '{id}'; known packs: {string.Join(", ", packs.Select(p => p.Id))}");
            packs[index] = packs[index] with { Enabled = false };
        }

        foreach (var (ruleId, edit) in options.Rules ?? [])
        {
            var index = packs.FindIndex(p => p.Rules.Any(r => string.Equals(r.Id, ruleId, StringComparison.Ordinal)));
            if (index < 0)
                throw new InvalidOperationException($"{ComplianceOptions.Section}:Rules:{ruleId}: no rule pack has a rule with that id");
            var pack = packs[index];
            packs[index] = pack with
            {
                Rules = pack.Rules.Select(r => string.Equals(r.Id, ruleId, StringComparison.Ordinal) ? ApplyEdit(r, edit ?? new LegalRuleOverride()) : r).ToList().AsReadOnly(),
            };
        }

        if (!options.LegalFloorEnabled)
            packs = packs.Select(p => p with { Enabled = false }).ToList();

        return new LegalFloor(packs.AsReadOnly());
    }

    private static LegalRule ApplyEdit(LegalRule rule, LegalRuleOverride edit)
    {
        var where = $"{ComplianceOptions.Section}:Rules:{rule.Id}";
        var hours = edit.Hours is null
            ? rule.Hours
            : edit.Hours.Select((h, i) => ToHours(h?.Days, h?.Start, h?.End, $"{where}:Hours:{i}")).ToList().AsReadOnly();

        var frequency = rule.Frequency;
        if (edit.FrequencyMaxAttempts is not null || edit.FrequencyWindowSec is not null)
        {
            var max = edit.FrequencyMaxAttempts ?? frequency?.MaxAttempts;
            var window = edit.FrequencyWindowSec ?? frequency?.WindowSec;
            if (max is null || window is null)
                throw new InvalidOperationException($"{where}: the rule has no frequency limit, so both FrequencyMaxAttempts and FrequencyWindowSec are needed");
            frequency = ToFrequency(max.Value, window.Value, where);
        }

        return rule with { Enabled = edit.Enabled ?? rule.Enabled, Hours = hours, Frequency = frequency };
    }

    // ---- Pack files: JSON (shape of RulePack) → validated RulePack -------------------------------------------

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private static readonly LocalTimePattern TimeOfDay = LocalTimePattern.CreateWithInvariantCulture("HH:mm");

    private static readonly Dictionary<string, IsoDayOfWeek> DayNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mon"] = IsoDayOfWeek.Monday, ["tue"] = IsoDayOfWeek.Tuesday, ["wed"] = IsoDayOfWeek.Wednesday,
        ["thu"] = IsoDayOfWeek.Thursday, ["fri"] = IsoDayOfWeek.Friday, ["sat"] = IsoDayOfWeek.Saturday,
        ["sun"] = IsoDayOfWeek.Sunday,
    };

    /// <summary>The packs shipped as embedded <c>Compliance/Data/*-pack.json</c> resources, in name order.</summary>
    private static IEnumerable<RulePack> ShippedPacks()
    {
        var assembly = typeof(LegalFloor).Assembly;
        var prefix = CalleeZones.ResourceName("");
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith("-pack.json", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            foreach (var pack in ParsePacks(reader.ReadToEnd(), $"shipped pack {name[prefix.Length..]}"))
                yield return pack;
        }
    }

    private static List<RulePack> ReadPackFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InvalidOperationException($"Rule pack file '{path}' ({ComplianceOptions.Section}:RulePackFile) cannot be read: {e.Message}", e);
        }
        var packs = ParsePacks(text, $"rule pack file '{path}'");
        var twice = packs.GroupBy(p => p.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new InvalidOperationException($"Rule pack file '{path}': pack id '{twice.Key}' appears twice");
        return packs;
    }

    /// <summary>Parses a JSON array of packs or a single pack; <paramref name="origin"/> names the source in errors.</summary>
    private static List<RulePack> ParsePacks(string json, string origin)
    {
        List<PackDto?>? dtos;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            dtos = document.RootElement.ValueKind switch
            {
                JsonValueKind.Array => document.RootElement.Deserialize<List<PackDto?>>(Json),
                JsonValueKind.Object => [document.RootElement.Deserialize<PackDto>(Json)],
                _ => throw new InvalidOperationException($"Invalid {origin}: expected a JSON object (one pack) or an array of packs"),
            };
        }
        catch (JsonException e)
        {
            var at = e.Path is null ? "" : $" (at {e.Path})";
            throw new InvalidOperationException($"Invalid {origin}{at}: {e.Message}", e);
        }
        return (dtos ?? []).Select((dto, i) => ToPack(dto, $"{origin}, pack {i}")).ToList();
    }

    private static RulePack ToPack(PackDto? dto, string where)
    {
        if (dto is null)
            throw new InvalidOperationException($"Invalid {where}: null pack");
        var id = Required(dto.Id, where, "id");
        where = $"{where} ('{id}')";
        var country = Required(dto.Country, where, "country");
        if (!IsCountry(country))
            throw new InvalidOperationException($"Invalid {where}: country '{country}' is not an upper-case ISO 3166-1 alpha-2 code");
        var territories = dto.Territories ?? [];
        if (territories.FirstOrDefault(t => !IsCountry(t)) is { } badTerritory)
            throw new InvalidOperationException($"Invalid {where}: territory '{badTerritory}' is not an upper-case ISO 3166-1 alpha-2 code");
        var rules = (dto.Rules ?? []).Select(r => ToRule(r, country, where)).ToList();
        var twice = rules.GroupBy(r => r.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new InvalidOperationException($"Invalid {where}: rule id '{twice.Key}' appears twice");
        return new RulePack(id, dto.Name ?? id, country, rules.AsReadOnly(), dto.Enabled ?? true) { Territories = territories.AsReadOnly() };
    }

    private static LegalRule ToRule(RuleDto? dto, string country, string where)
    {
        if (dto is null)
            throw new InvalidOperationException($"Invalid {where}: null rule");
        var id = Required(dto.Id, where, "rule id");
        where = $"{where}, rule '{id}'";
        var region = Required(dto.Region, where, "region");
        if (!string.Equals(region, country, StringComparison.Ordinal) && !IsSubdivisionOf(region, country))
            throw new InvalidOperationException($"Invalid {where}: region '{region}' is neither the pack's country '{country}' nor one of its subdivisions ('{country}-XX')");
        return new LegalRule
        {
            Id = id,
            Region = region,
            Title = dto.Title ?? id,
            Source = Required(dto.Source, where, "source"),
            SourceUrl = dto.SourceUrl,
            Hours = (dto.Hours ?? []).Select((h, i) => ToHours(h?.Days, h?.Start, h?.End, $"{where}, hours {i}")).ToList().AsReadOnly(),
            Frequency = dto.Frequency is null ? null : ToFrequency(dto.Frequency.MaxAttempts ?? 0, dto.Frequency.WindowSec ?? 0, where),
            Enabled = dto.Enabled ?? true,
        };
    }

    /// <summary>Validates and converts allowed hours: known day names (<c>mon</c>..<c>sun</c>), <c>HH:mm</c>, end after start.</summary>
    private static AllowedHours ToHours(IReadOnlyList<string>? days, string? start, string? end, string where)
    {
        if (days is null || days.Count == 0)
            throw new InvalidOperationException($"Invalid {where}: no days (use mon, tue, wed, thu, fri, sat, sun)");
        var isoDays = new SortedSet<IsoDayOfWeek>();
        foreach (var day in days)
        {
            if (day is null || !DayNames.TryGetValue(day, out var isoDay))
                throw new InvalidOperationException($"Invalid {where}: unknown day '{day}' (use mon, tue, wed, thu, fri, sat, sun)");
            isoDays.Add(isoDay);
        }
        var from = ParseTime(start, where, "start");
        var to = ParseTime(end, where, "end");
        if (to <= from)
            throw new InvalidOperationException($"Invalid {where}: end {end} is not after start {start}");
        return new AllowedHours(isoDays.ToList().AsReadOnly(), from, to);
    }

    private static FrequencyLimit ToFrequency(int maxAttempts, int windowSec, string where) =>
        maxAttempts > 0 && windowSec > 0
            ? new FrequencyLimit(maxAttempts, windowSec)
            : throw new InvalidOperationException($"Invalid {where}: frequency needs maxAttempts > 0 and windowSec > 0 (got {maxAttempts}, {windowSec})");

    private static LocalTime ParseTime(string? text, string where, string field)
    {
        var result = TimeOfDay.Parse(text ?? "");
        return result.Success
            ? result.Value
            : throw new InvalidOperationException($"Invalid {where}: {field} '{text}' is not a time of day as HH:mm");
    }

    private static string Required(string? value, string where, string field) =>
        string.IsNullOrWhiteSpace(value) ? throw new InvalidOperationException($"Invalid {where}: {field} is missing") : value;

    private static bool IsCountry(string value) => value.Length == 2 && char.IsAsciiLetterUpper(value[0]) && char.IsAsciiLetterUpper(value[1]);

    private static bool IsSubdivisionOf(string region, string country) =>
        region.Length is >= 4 and <= 6 && region.StartsWith(country + "-", StringComparison.Ordinal)
        && region[3..].All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c));

    private sealed class PackDto
    {
        public string? Id { get; set; }
        public string? Name { get; set; }
        public string? Country { get; set; }
        /// <summary>Free text for readers of the file; ignored.</summary>
        public string? Notes { get; set; }
        public List<string>? Territories { get; set; }
        public List<RuleDto?>? Rules { get; set; }
        public bool? Enabled { get; set; }
    }

    private sealed class RuleDto
    {
        public string? Id { get; set; }
        public string? Region { get; set; }
        public string? Title { get; set; }
        public string? Source { get; set; }
        public string? SourceUrl { get; set; }
        public List<HoursDto?>? Hours { get; set; }
        public FrequencyDto? Frequency { get; set; }
        public bool? Enabled { get; set; }
    }

    private sealed class HoursDto
    {
        public List<string>? Days { get; set; }
        public string? Start { get; set; }
        public string? End { get; set; }
    }

    private sealed class FrequencyDto
    {
        public int? MaxAttempts { get; set; }
        public int? WindowSec { get; set; }
    }
}
