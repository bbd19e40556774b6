using System.Text;

namespace Outdial.Core.Conversation;

/// <summary>
/// Recognises a do-not-call request in what the callee said, so it is honoured even when the model does not call its
/// <c>opt_out</c> tool. 47 CFR 64.1200(d)(3) requires a caller to record a do-not-call request and honour it; 64.1200(b)(3)
/// requires artificial-voice calls to offer an opt-out. Matching is on whole words, case-insensitive, ignoring punctuation and
/// typographic apostrophes. Built-in phrases for English and Spanish; <see cref="ConversationOptions.OptOutPhrases"/> adds more.
/// Phrases are specific ("stop calling", "don't call me again") so that "don't call me before noon" is not an opt-out.
/// </summary>
public sealed class OptOutPhrases
{
    private static readonly string[] English =
    [
        "stop calling", "quit calling", "don't call me again", "do not call me again", "don't call again", "do not call again",
        "don't ever call", "do not ever call", "never call me", "never call this number", "don't call this number",
        "do not call this number", "take me off your list", "take me off the list", "take my number off", "remove me from your list",
        "remove me from the list", "remove my number", "put me on your do not call list", "add me to your do not call list",
        "do not call list", "don't call list", "unsubscribe", "no more calls", "lose my number", "opt out",
    ];

    private static readonly string[] Spanish =
    [
        "no me llame más", "no me llamen más", "no me vuelva a llamar", "no me vuelvan a llamar", "deje de llamar", "dejen de llamar",
        "quíteme de su lista", "quítenme de su lista", "bórreme de su lista", "bórrenme de su lista", "no quiero más llamadas",
        "no llamen más",
    ];

    private readonly Dictionary<string, string[]> _byLanguage;

    /// <summary>Built-in phrases plus <paramref name="extra"/> (per language; may be null).</summary>
    public OptOutPhrases(IReadOnlyDictionary<string, List<string>>? extra)
    {
        _byLanguage = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
        {
            ["en"] = [.. English.Select(Normalize)],
            ["es"] = [.. Spanish.Select(Normalize)],
        };
        foreach (var (language, phrases) in extra ?? new Dictionary<string, List<string>>())
        {
            var key = Languages.Primary(language);
            _byLanguage[key] = [.. _byLanguage.GetValueOrDefault(key, []).Concat(phrases.Select(Normalize).Where(p => p.Length > 2))];
        }
    }

    /// <summary>
    /// True when <paramref name="utterance"/> holds an opt-out phrase of <paramref name="language"/> (its primary language) or,
    /// as callees may answer in English anyway, of English.
    /// </summary>
    public bool Matches(string utterance, string language)
    {
        var text = " " + Normalize(utterance) + " ";
        var primary = Languages.Primary(language);
        return Any(text, _byLanguage.GetValueOrDefault(primary)) || (primary != "en" && Any(text, _byLanguage["en"]));
    }

    private static bool Any(string text, string[]? phrases) =>
        phrases is not null && phrases.Any(p => text.Contains(" " + p + " ", StringComparison.Ordinal));

    /// <summary>Lower case, apostrophes unified, everything but letters, digits and apostrophes turned into single spaces.</summary>
    internal static string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var raw in text.ToLowerInvariant())
        {
            var c = raw is '’' or '‘' or '`' ? '\'' : raw;
            if (char.IsLetterOrDigit(c) || c == '\'')
            {
                sb.Append(c);
            }
            else if (sb.Length > 0 && sb[^1] != ' ')
            {
                sb.Append(' ');
            }
        }
        return sb.ToString().Trim();
    }
}
