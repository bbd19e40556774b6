using NodaTime;

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
public sealed record RulePack(string Id, string Name, string Country, IReadOnlyList<LegalRule> Rules, bool Enabled = true);

/// <summary>
/// The legal floor: quiet-hour and frequency rules by region that apply on top of any campaign or agent window.
/// </summary>
public sealed class LegalFloor(IReadOnlyList<RulePack> packs)
{
    /// <summary>The packs in force, operator edits applied.</summary>
    public IReadOnlyList<RulePack> Packs { get; } = packs;

    /// <summary>Enabled rules that apply to <paramref name="callee"/>.</summary>
    public IReadOnlyList<LegalRule> RulesFor(CalleeLocation callee) => throw new NotImplementedException();
}
