namespace Outdial.Core.Compliance;

/// <summary>Operator edits of one legal rule (<c>Outdial:Compliance:Rules:{ruleId}</c>); null fields keep the pack's value.</summary>
public sealed class LegalRuleOverride
{
    public bool? Enabled { get; set; }
    /// <summary>Replaces the rule's allowed hours.</summary>
    public List<AllowedHoursSetting>? Hours { get; set; }
    public int? FrequencyMaxAttempts { get; set; }
    public int? FrequencyWindowSec { get; set; }
}

/// <summary>Allowed hours as configuration: days (<c>mon</c>..<c>sun</c>) and <c>HH:mm</c> start/end, callee local time.</summary>
public sealed class AllowedHoursSetting
{
    public List<string> Days { get; set; } = [];
    public string Start { get; set; } = "";
    public string End { get; set; } = "";
}

/// <summary>
/// The compliance engine's settings (configuration section <c>Outdial:Compliance</c>): the legal floor's rule packs
/// and operator edits, and the account-wide frequency cap default.
/// </summary>
public sealed class ComplianceOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Outdial:Compliance";

    /// <summary>Apply the legal floor at all (default true). Turning it off is the operator's legal responsibility.</summary>
    public bool LegalFloorEnabled { get; set; } = true;

    /// <summary>Ids of shipped or file packs to switch off, e.g. <c>us</c>.</summary>
    public List<string> DisabledPacks { get; set; } = [];

    /// <summary>Path of a JSON file with further rule packs (same shape as the shipped ones); a pack with a shipped id replaces it.</summary>
    public string? RulePackFile { get; set; }

    /// <summary>Per-rule edits by rule id.</summary>
    public Dictionary<string, LegalRuleOverride> Rules { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Number types never called (libphonenumber's classification, <see cref="Calls.NumberTypes"/>): a call to one is refused
    /// at intake with <c>number_type_refused</c>. Default <c>premium_rate</c> (a premium-rate number bills the caller per
    /// minute). Add <c>unknown</c> to refuse numbers outside their country's numbering plan, or <c>toll_free</c>,
    /// <c>shared_cost</c>, … as the operator's policy needs. Null means the default; a list set in configuration
    /// (<c>Outdial:Compliance:RefusedNumberTypes:0</c>, <c>…:1</c>, …) replaces it.
    /// </summary>
    public string[]? RefusedNumberTypes { get; set; }

    /// <summary>The number types refused: <see cref="RefusedNumberTypes"/>, or <c>premium_rate</c> when unset.</summary>
    public IReadOnlyList<string> RefusedTypes => RefusedNumberTypes ?? [Calls.NumberTypes.PremiumRate];

    /// <summary>Default most attempts per number per rolling window across all of an account's calls (default 3).</summary>
    public int FrequencyCapMaxAttempts { get; set; } = 3;

    /// <summary>Default rolling window of the frequency cap, in seconds (default 86 400 = 24 h).</summary>
    public int FrequencyCapWindowSec { get; set; } = 86400;
}
