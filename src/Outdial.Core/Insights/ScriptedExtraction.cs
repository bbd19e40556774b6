using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Outdial.Core.Conversation;

namespace Outdial.Core.Insights;

/// <summary>
/// Rule-based extraction for conversations held without a model (<c>method: scripted</c>): the answer to a question is the
/// callee's first reply after the agent turn that asked it (the scripted agent asks each question verbatim). Booleans (yes /
/// no words), numbers (digits or small number words), choices (the one choice named) and dates (ISO <c>yyyy-MM-dd</c>, or a
/// date the invariant culture reads) are parsed; a reply that does not parse leaves the question <c>not_discussed</c>. The
/// evidence is the whole reply, so it is verbatim by construction.
/// </summary>
public static partial class ScriptedExtraction
{
    private static readonly string[] Yes = ["yes", "yeah", "yep", "yup", "sure", "correct", "right", "absolutely", "definitely", "certainly", "ok", "okay", "sí", "si", "claro"];
    private static readonly string[] No = ["no", "nope", "nah", "not", "never", "don't", "dont", "negative"];
    private static readonly string[] Unsure = ["not sure", "don't know", "dont know", "maybe", "no idea", "perhaps", "no sé", "quizás"];
    private static readonly string[] NumberWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

    [GeneratedRegex(@"-?\d+(?:[.,]\d+)?", RegexOptions.CultureInvariant)]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"\b\d{4}-\d{2}-\d{2}\b", RegexOptions.CultureInvariant)]
    private static partial Regex IsoDatePattern();

    /// <summary>The answers to <paramref name="questions"/> from <paramref name="turns"/> (the whole call, in index order).</summary>
    public static IReadOnlyList<InsightAnswer> Extract(IReadOnlyList<InsightQuestion> questions, IReadOnlyList<TranscriptTurn> turns)
    {
        var answers = new List<InsightAnswer>(questions.Count);
        foreach (var q in questions)
        {
            var asked = LastIndex(turns, t => t.Speaker == TranscriptSpeaker.Agent && t.Text.Contains(q.Question, StringComparison.OrdinalIgnoreCase));
            var reply = asked < 0 ? null : turns.Skip(asked + 1).FirstOrDefault(t => t.Speaker == TranscriptSpeaker.Callee && t.Text.Trim().Length > 0);
            if (reply is null)
            {
                answers.Add(new InsightAnswer(q.Key, q.Question, q.Type, null, InsightAnswerStatus.NotDiscussed, 0, []));
                continue;
            }
            var value = Parse(q, reply.Text);
            answers.Add(value is null
                ? new InsightAnswer(q.Key, q.Question, q.Type, null, InsightAnswerStatus.NotDiscussed, 0, [new InsightEvidence(reply.Index, reply.Text)])
                    { Note = "reply_not_understood" }
                : new InsightAnswer(q.Key, q.Question, q.Type, value, InsightAnswerStatus.Answered, q.Type == InsightType.Text ? 0.8 : 0.9,
                    [new InsightEvidence(reply.Index, reply.Text)]));
        }
        return answers;
    }

    /// <summary>The typed answer in <paramref name="reply"/>, or null when it does not give one.</summary>
    public static JsonNode? Parse(InsightQuestion question, string reply)
    {
        var words = OptOutPhrases.Normalize(reply).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        switch (question.Type)
        {
            case InsightType.Text:
                return JsonValue.Create(reply.Trim());
            case InsightType.Boolean:
                var normalized = " " + string.Join(' ', words) + " ";
                if (Unsure.Any(u => normalized.Contains(" " + u + " ", StringComparison.Ordinal)))
                {
                    return null;
                }
                foreach (var word in words)
                {
                    if (No.Contains(word))
                    {
                        return JsonValue.Create(false);
                    }
                    if (Yes.Contains(word))
                    {
                        return JsonValue.Create(true);
                    }
                }
                return null;
            case InsightType.Number:
                if (NumberPattern().Match(reply) is { Success: true } m
                    && decimal.TryParse(m.Value.Replace(',', '.'), NumberStyles.Number, CultureInfo.InvariantCulture, out var n))
                {
                    return JsonValue.Create(n);
                }
                var spelled = words.Select(w => Array.IndexOf(NumberWords, w)).FirstOrDefault(i => i >= 0, -1);
                return spelled >= 0 ? JsonValue.Create(spelled) : null;
            case InsightType.Choice:
                var named = (question.Choices ?? []).Where(c => reply.Contains(c, StringComparison.OrdinalIgnoreCase)).ToList();
                return named.Count == 1 ? JsonValue.Create(named[0]) : null;
            case InsightType.Date:
                if (IsoDatePattern().Match(reply) is { Success: true } iso
                    && DateOnly.TryParseExact(iso.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                {
                    return JsonValue.Create(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                }
                return DateTime.TryParse(reply.Trim().TrimEnd('.', '!'), CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var dt)
                    ? JsonValue.Create(DateOnly.FromDateTime(dt).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
                    : null;
            default:
                return null;
        }
    }

    private static int LastIndex(IReadOnlyList<TranscriptTurn> turns, Func<TranscriptTurn, bool> match)
    {
        for (var i = turns.Count - 1; i >= 0; i--)
        {
            if (match(turns[i]))
            {
                return i;
            }
        }
        return -1;
    }
}
