using System.Text.RegularExpressions;
using NodaTime;
using NodaTime.Text;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Insights;

namespace Outdial.Server.Agents;

/// <summary>Validation of agent requests and mapping between requests, agents and resources.</summary>
public static partial class AgentMapping
{
    private static readonly string[] DayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    private static readonly LocalTimePattern TimePattern = LocalTimePattern.CreateWithInvariantCulture("HH:mm");

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    private static partial Regex KeyRegex();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    private static partial Regex VariableRegex();

    /// <summary>The agent's fields as a request (the document a PATCH merges into).</summary>
    public static AgentRequest ToRequest(Agent a) => new()
    {
        Name = a.Name,
        Key = a.Key,
        ExternalRefs = [.. a.ExternalRefs],
        Prompt = a.Prompt,
        FirstMessage = a.FirstMessage,
        Language = a.Language,
        Voice = a.Voice,
        Variables = [.. a.Variables.Select(v => new AgentVariableRequest(v.Name, v.Required, v.Default))],
        InsightQuestions = [.. a.InsightQuestions],
        CallingWindow = a.CallingWindow is { } w
            ? WindowToRequest(w)
            : null,
        OutsideWindow = a.OutsideWindow == OutsideWindowPolicy.Reject ? "reject" : "queue",
        PhoneNumberId = a.PhoneNumberId,
        IsDefault = a.IsDefault,
        Retry = a.Retry is { } r ? new RetryRequest(r.MaxAttempts, r.CooldownSec.ToDictionary(kv => kv.Key.ToWire(), kv => kv.Value, StringComparer.Ordinal)) : null,
        AnsweringMachineDetection = WireNames.Of(a.AnsweringMachineDetection),
        VoicemailMessage = a.VoicemailMessage,
        Mode = WireNames.Of(a.Mode),
        BusinessName = a.BusinessName,
        TransferNumber = a.TransferNumber,
        CallbackNumber = a.CallbackNumber,
        Model = a.Model,
        Temperature = a.Temperature,
        SuccessCriteria = a.SuccessCriteria,
        MaxTurns = a.MaxTurns,
        Interruptible = a.Interruptible,
        Disclosures = new DisclosuresRequest(a.Disclosures.Enabled, a.Disclosures.Texts?.ToDictionary(kv => kv.Key,
            kv => new DisclosureTextsRequest(kv.Value.Identity, kv.Value.Recording, kv.Value.CallbackNumber), StringComparer.Ordinal)),
    };

    public static AgentResource ToResource(Agent a)
    {
        var r = ToRequest(a);
        return new AgentResource(a.Id, a.Key, a.Name, a.Prompt, a.FirstMessage, a.Language, a.Voice, r.Variables!, a.InsightQuestions,
            r.CallingWindow, r.OutsideWindow!, a.PhoneNumberId, a.IsDefault, r.Retry, r.AnsweringMachineDetection!, a.VoicemailMessage,
            a.CreatedAt.UtcDateTime, a.UpdatedAt.UtcDateTime)
        {
            Mode = r.Mode!,
            BusinessName = a.BusinessName,
            TransferNumber = a.TransferNumber,
            CallbackNumber = a.CallbackNumber,
            Model = a.Model,
            Temperature = a.Temperature,
            SuccessCriteria = a.SuccessCriteria,
            MaxTurns = a.MaxTurns,
            Interruptible = a.Interruptible,
            Disclosures = r.Disclosures,
            ExternalRefs = a.ExternalRefs,
        };
    }

    /// <summary>
    /// Builds the agent from <paramref name="req"/> with the given identity fields (id, account, creation time), adding field
    /// errors to <paramref name="errors"/>. Returns null when there are errors.
    /// </summary>
    public static Agent? Build(AgentRequest req, string id, string accountId, DateTimeOffset createdAt, DateTimeOffset now, Dictionary<string, string[]> errors)
    {
        void Error(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field, []), message];
        if (string.IsNullOrWhiteSpace(req.Name) || req.Name.Length > 200)
        {
            Error("name", "is required (1–200 characters)");
        }
        var key = req.Key ?? Slug(req.Name ?? "");
        if (!KeyRegex().IsMatch(key))
        {
            Error("key", "must be 1–64 characters of a-z, 0-9, '_' or '-', starting with a letter or digit");
        }
        var refs = new List<string>();
        if (req.ExternalRefs is { } given)
        {
            if (given.Count > Agent.MaxExternalRefs)
            {
                Error("externalRefs", $"must hold at most {Agent.MaxExternalRefs} references");
            }
            foreach (var (reference, i) in given.Select((r, i) => (r, i)))
            {
                if (string.IsNullOrWhiteSpace(reference) || reference.Trim().Length > Agent.MaxExternalRefLength || reference.Any(char.IsControl))
                {
                    Error($"externalRefs[{i}]", $"must be 1 to {Agent.MaxExternalRefLength} characters without control characters");
                }
                else if (!refs.Contains(reference.Trim(), StringComparer.Ordinal))
                {
                    refs.Add(reference.Trim());
                }
            }
        }
        if (string.IsNullOrWhiteSpace(req.Language) && req.Language is not null)
        {
            Error("language", "must not be empty");
        }
        var variables = new List<AgentVariable>();
        foreach (var (v, i) in (req.Variables ?? []).Select((v, i) => (v, i)))
        {
            if (v.Name is null || !VariableRegex().IsMatch(v.Name))
            {
                Error($"variables[{i}].name", "must be a letter or '_' followed by letters, digits or '_' (at most 64)");
            }
            else if (variables.Any(x => x.Name == v.Name))
            {
                Error($"variables[{i}].name", $"'{v.Name}' is declared twice");
            }
            else
            {
                variables.Add(new AgentVariable(v.Name, v.Required, v.Default));
            }
        }
        var window = req.CallingWindow is { } w ? BuildWindow(w, Error) : null;
        var outside = req.OutsideWindow switch
        {
            null or "queue" => OutsideWindowPolicy.Queue,
            "reject" => OutsideWindowPolicy.Reject,
            _ => (OutsideWindowPolicy?)null,
        };
        if (outside is null)
        {
            Error("outsideWindow", "must be 'queue' or 'reject'");
        }
        var retry = req.Retry is { } r ? BuildRetry(r, Error) : null;
        var amd = AnsweringMachineDetection.Off;
        if (req.AnsweringMachineDetection is { } amdName && !WireNames.TryParse(amdName, out amd))
        {
            Error("answeringMachineDetection", "must be 'off', 'enable' or 'detect_message_end'");
        }
        foreach (var (field, message) in InsightQuestion.Validate(req.InsightQuestions ?? []))
        {
            Error("insightQuestions" + field, message);
        }
        if (req.VoicemailMessage is { Length: > 4000 })
        {
            Error("voicemailMessage", "must be at most 4000 characters");
        }
        var mode = AgentMode.Conversation;
        if (req.Mode is { } modeName && !WireNames.TryParse(modeName, out mode))
        {
            Error("mode", "must be 'conversation' or 'message'");
        }
        foreach (var (field, number) in new[] { ("transferNumber", req.TransferNumber), ("callbackNumber", req.CallbackNumber) })
        {
            if (number is not null && !E164.IsValid(number))
            {
                Error(field, E164.Rule);
            }
        }
        if (req.Temperature is { } temperature && (temperature is < 0 or > 2 || !double.IsFinite(temperature)))
        {
            Error("temperature", "must be between 0 and 2");
        }
        if (req.MaxTurns is { } maxTurns && maxTurns is < 1 or > 500)
        {
            Error("maxTurns", "must be between 1 and 500");
        }
        if (req.Model is { } model && (model.Length is 0 or > 200 || model.Any(char.IsWhiteSpace)))
        {
            Error("model", "must be a model id of 1–200 characters without spaces");
        }
        foreach (var (field, text, max) in new[] { ("businessName", req.BusinessName, 200), ("successCriteria", req.SuccessCriteria, 4000) })
        {
            if (text is { } t && t.Length > max)
            {
                Error(field, $"must be at most {max} characters");
            }
        }
        foreach (var (language, texts) in req.Disclosures?.Texts ?? [])
        {
            if (language.Length is 0 or > 35 || texts is null
                || new[] { texts.Identity, texts.Recording, texts.CallbackNumber }.Any(t => t is { Length: 0 or > 1000 }))
            {
                Error($"disclosures.texts.{language}", "needs a language tag and texts of 1–1000 characters");
            }
        }
        if (errors.Count > 0)
        {
            return null;
        }
        return new Agent
        {
            Id = id,
            AccountId = accountId,
            Key = key,
            ExternalRefs = refs,
            Name = req.Name!,
            Prompt = req.Prompt ?? "",
            FirstMessage = req.FirstMessage ?? "",
            Language = req.Language ?? "en-US",
            Voice = req.Voice ?? "alice",
            Variables = variables,
            InsightQuestions = req.InsightQuestions ?? [],
            CallingWindow = window,
            OutsideWindow = outside!.Value,
            PhoneNumberId = req.PhoneNumberId,
            IsDefault = req.IsDefault ?? false,
            Retry = retry,
            AnsweringMachineDetection = amd,
            VoicemailMessage = req.VoicemailMessage ?? "",
            Mode = mode,
            BusinessName = req.BusinessName ?? "",
            TransferNumber = req.TransferNumber,
            CallbackNumber = req.CallbackNumber,
            Model = req.Model,
            Temperature = req.Temperature,
            SuccessCriteria = req.SuccessCriteria ?? "",
            MaxTurns = req.MaxTurns,
            Interruptible = req.Interruptible ?? true,
            Disclosures = new AgentDisclosures(req.Disclosures?.Enabled ?? true, req.Disclosures?.Texts?.ToDictionary(kv => kv.Key,
                kv => new DisclosureTexts(kv.Value.Identity, kv.Value.Recording, kv.Value.CallbackNumber), StringComparer.OrdinalIgnoreCase)),
            CreatedAt = createdAt,
            UpdatedAt = now,
        };
    }

    /// <summary>A window in its request shape (days <c>mon</c>..<c>sun</c>, ranges <c>HH:mm</c>).</summary>
    internal static CallingWindowRequest WindowToRequest(CallingWindow w) =>
        new(w.TimeZone, [.. w.Days.Select(d => DayNames[(int)d - 1])],
            [.. w.Ranges.Select(r => new TimeRangeRequest(TimePattern.Format(r.Start), TimePattern.Format(r.End)))]);

    /// <summary>
    /// Builds and validates a window (an agent's or a campaign's), reporting errors under <paramref name="field"/>. Its zone is an
    /// IANA id or <c>callee</c> (each callee's own zone; it must hold in every zone the number may be in).
    /// </summary>
    internal static CallingWindow? BuildWindow(CallingWindowRequest w, Action<string, string> error, string field = "callingWindow")
    {
        var days = new List<IsoDayOfWeek>();
        foreach (var d in w.Days ?? [])
        {
            var i = Array.IndexOf(DayNames, d);
            if (i < 0)
            {
                error(field + ".days", $"'{d}' is not one of mon, tue, wed, thu, fri, sat, sun");
            }
            else if (!days.Contains((IsoDayOfWeek)(i + 1)))
            {
                days.Add((IsoDayOfWeek)(i + 1));
            }
        }
        var ranges = new List<TimeRange>();
        foreach (var (r, i) in (w.Ranges ?? []).Select((r, i) => (r, i)))
        {
            var start = TimePattern.Parse(r.Start ?? "");
            var end = TimePattern.Parse(r.End ?? "");
            if (!start.Success || !end.Success)
            {
                error($"{field}.ranges[{i}]", "start and end must be times of day as HH:mm (24-hour)");
                continue;
            }
            ranges.Add(new TimeRange(start.Value, end.Value));
        }
        var window = new CallingWindow(w.TimeZone ?? "", days, ranges);
        foreach (var message in window.Validate())
        {
            error(field, message);
        }
        return window;
    }

    private static RetryPolicy? BuildRetry(RetryRequest r, Action<string, string> error)
    {
        var max = r.MaxAttempts ?? 1;
        if (max is < 1 or > RetryPolicy.MaxAllowedAttempts)
        {
            error("retry.maxAttempts", $"must be between 1 and {RetryPolicy.MaxAllowedAttempts}");
        }
        var cooldowns = new Dictionary<CallOutcome, int>();
        foreach (var (name, sec) in r.CooldownSec ?? [])
        {
            if (!CallOutcomes.TryParse(name, out var outcome) || !outcome.IsRetryable())
            {
                error($"retry.cooldownSec.{name}", "must be one of busy, no_answer, voicemail, unreachable, error");
            }
            else if (sec is < 0 or > 30 * 86400)
            {
                error($"retry.cooldownSec.{name}", "must be between 0 and 2592000 seconds");
            }
            else
            {
                cooldowns[outcome] = sec;
            }
        }
        return new RetryPolicy(max, cooldowns);
    }

    private static string Slug(string name)
    {
        var chars = name.Trim().ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray();
        var slug = MultiDash().Replace(new string(chars), "-").Trim('-');
        return slug.Length > 64 ? slug[..64] : slug;
    }

    [GeneratedRegex("-+")]
    private static partial Regex MultiDash();
}
