using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Outdial.Core.Common;

namespace Outdial.Core.Insights;

/// <summary>The type of an insight question's answer.</summary>
public enum InsightType
{
    /// <summary>Free text.</summary>
    Text,
    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,
    /// <summary>A JSON number.</summary>
    Number,
    /// <summary>One of the question's <see cref="InsightQuestion.Choices"/>, exactly as written there.</summary>
    Choice,
    /// <summary>A calendar date, ISO-8601 <c>yyyy-MM-dd</c>.</summary>
    Date,
}

/// <summary>
/// A question the customer wants answered from a call's transcript (ARCHITECTURE §3.4): the agent's <c>insightQuestions</c>,
/// then the call's own (Vodex <c>insights</c>). Written either as a plain string (a <see cref="InsightType.Text"/> question
/// whose key is derived from its text) or as <c>{"key", "question", "type": "text|boolean|number|choice|date", "choices"?}</c>.
/// </summary>
/// <param name="Key">Stable name of the answer: <c>[a-z0-9_]{1,64}</c>, unique within a call.</param>
/// <param name="Question">The question, 1–500 characters.</param>
/// <param name="Choices">For <see cref="InsightType.Choice"/>: 2–50 distinct options.</param>
[JsonConverter(typeof(InsightQuestionConverter))]
public sealed record InsightQuestion(string Key, string Question, InsightType Type = InsightType.Text, IReadOnlyList<string>? Choices = null)
{
    /// <summary>At most this many questions per call (agent's and call's together).</summary>
    public const int MaxPerCall = 40;

    private static readonly Regex KeyPattern = new("^[a-z0-9_]{1,64}$", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>A question written as a plain string: text type, key derived from the words (see <see cref="KeyFor"/>).</summary>
    public static InsightQuestion Of(string question) => new(KeyFor(question), question.Trim());

    /// <summary>
    /// The key derived from a question's text: its ASCII letters and digits in lower case, words joined by <c>_</c>, at most
    /// 48 characters (e.g. "Are you interested in a demo?" → <c>are_you_interested_in_a_demo</c>); <c>question</c> when no
    /// letter or digit remains.
    /// </summary>
    public static string KeyFor(string question)
    {
        var key = new StringBuilder(48);
        foreach (var c in question.Trim().ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                key.Append(c);
            }
            else if (key.Length > 0 && key[^1] != '_')
            {
                key.Append('_');
            }
            if (key.Length >= 48)
            {
                break;
            }
        }
        var text = key.ToString().Trim('_');
        return text.Length == 0 ? "question" : text;
    }

    /// <summary>
    /// The questions of a call: <paramref name="agentQuestions"/> then <paramref name="callQuestions"/>, a question whose text
    /// repeats an earlier one dropped, a key that repeats an earlier one suffixed <c>_2</c>, <c>_3</c>, ….
    /// </summary>
    public static IReadOnlyList<InsightQuestion> Merge(IEnumerable<InsightQuestion> agentQuestions, IEnumerable<InsightQuestion>? callQuestions)
    {
        var merged = new List<InsightQuestion>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var q in agentQuestions.Concat(callQuestions ?? []))
        {
            if (merged.Any(m => string.Equals(m.Question, q.Question, StringComparison.Ordinal)))
            {
                continue;
            }
            var key = q.Key;
            for (var n = 2; !keys.Add(key); n++)
            {
                key = $"{q.Key}_{n}";
            }
            merged.Add(q with { Key = key });
        }
        return merged;
    }

    /// <summary>What is wrong with a list of questions, as (field suffix, message) pairs; empty when valid.</summary>
    public static IEnumerable<(string Field, string Message)> Validate(IReadOnlyList<InsightQuestion> questions)
    {
        if (questions.Count > MaxPerCall)
        {
            yield return ("", $"must hold at most {MaxPerCall} questions");
        }
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < questions.Count; i++)
        {
            var q = questions[i];
            if (string.IsNullOrWhiteSpace(q.Question) || q.Question.Length > 500)
            {
                yield return ($"[{i}].question", "must be a question of 1–500 characters");
            }
            if (!KeyPattern.IsMatch(q.Key))
            {
                yield return ($"[{i}].key", "must be 1–64 characters of a-z, 0-9 or '_'");
            }
            else if (!keys.Add(q.Key))
            {
                yield return ($"[{i}].key", $"'{q.Key}' is used by another question");
            }
            if (q.Type == InsightType.Choice)
            {
                if (q.Choices is null || q.Choices.Count is < 2 or > 50 || q.Choices.Any(string.IsNullOrWhiteSpace)
                    || q.Choices.Distinct(StringComparer.Ordinal).Count() != q.Choices.Count)
                {
                    yield return ($"[{i}].choices", "a choice question needs 2–50 distinct, non-empty choices");
                }
            }
            else if (q.Choices is not null)
            {
                yield return ($"[{i}].choices", "only a question of type 'choice' has choices");
            }
        }
    }
}

/// <summary>Reads a question from a string or an object; writes the object form.</summary>
public sealed class InsightQuestionConverter : JsonConverter<InsightQuestion>
{
    /// <inheritdoc />
    public override InsightQuestion Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return InsightQuestion.Of(reader.GetString()!);
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("an insight question is a string or {\"key\", \"question\", \"type\", \"choices\"?}");
        }
        string? key = null, question = null, type = null;
        List<string>? choices = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "key":
                    key = reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
                    break;
                case "question":
                    question = reader.GetString();
                    break;
                case "type":
                    type = reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
                    break;
                case "choices":
                    choices = reader.TokenType == JsonTokenType.Null ? null : JsonSerializer.Deserialize<List<string>>(ref reader, options);
                    break;
                default:
                    throw new JsonException($"an insight question has no field '{name}' (key, question, type, choices)");
            }
        }
        if (string.IsNullOrWhiteSpace(question))
        {
            throw new JsonException("an insight question needs \"question\"");
        }
        var parsed = InsightType.Text;
        if (type is not null && !WireNames.TryParse(type, out parsed))
        {
            throw new JsonException($"insight question type '{type}' is not one of text, boolean, number, choice, date");
        }
        return new InsightQuestion(key ?? InsightQuestion.KeyFor(question), question.Trim(), parsed, choices);
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, InsightQuestion value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("key", value.Key);
        writer.WriteString("question", value.Question);
        writer.WriteString("type", WireNames.Of(value.Type));
        if (value.Choices is { } choices)
        {
            writer.WritePropertyName("choices");
            JsonSerializer.Serialize(writer, choices, options);
        }
        writer.WriteEndObject();
    }
}
