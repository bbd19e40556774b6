using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Outdial.Core.Insights;

/// <summary>
/// The JSON schema a model's analysis must match (sent as the structured-output <c>response_format</c>, and checked on the
/// answer with NJsonSchema), built per question list so each answer is typed:
/// <c>{"answers": {"&lt;key&gt;": {"status": "answered"|"not_discussed", "answer": &lt;typed or null&gt;, "confidence": 0–1,
/// "evidence": [{"turn": int, "quote": string}]}}, "summary": string, "success": boolean|null}</c>. Every object lists all its
/// properties as required and allows no others (OpenAI's strict structured outputs need both).
/// </summary>
public static class InsightSchema
{
    /// <summary>The schema for <paramref name="questions"/>.</summary>
    public static JsonObject For(IReadOnlyList<InsightQuestion> questions)
    {
        var answers = new JsonObject();
        foreach (var q in questions)
        {
            answers[q.Key] = new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["status"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("answered", "not_discussed") },
                    ["answer"] = AnswerSchema(q),
                    ["confidence"] = new JsonObject { ["type"] = "number", ["minimum"] = 0, ["maximum"] = 1 },
                    ["evidence"] = new JsonObject
                    {
                        ["type"] = "array",
                        ["items"] = new JsonObject
                        {
                            ["type"] = "object",
                            ["properties"] = new JsonObject
                            {
                                ["turn"] = new JsonObject { ["type"] = "integer" },
                                ["quote"] = new JsonObject { ["type"] = "string" },
                            },
                            ["required"] = new JsonArray("turn", "quote"),
                            ["additionalProperties"] = false,
                        },
                    },
                },
                ["required"] = new JsonArray("status", "answer", "confidence", "evidence"),
                ["additionalProperties"] = false,
            };
        }
        return new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["answers"] = new JsonObject
                {
                    ["type"] = "object",
                    ["properties"] = answers,
                    ["required"] = new JsonArray([.. questions.Select(q => (JsonNode)q.Key)]),
                    ["additionalProperties"] = false,
                },
                ["summary"] = new JsonObject { ["type"] = "string" },
                ["success"] = new JsonObject { ["type"] = new JsonArray("boolean", "null") },
            },
            ["required"] = new JsonArray("answers", "summary", "success"),
            ["additionalProperties"] = false,
        };
    }

    private static JsonObject AnswerSchema(InsightQuestion q) => q.Type switch
    {
        InsightType.Boolean => new JsonObject { ["type"] = new JsonArray("boolean", "null") },
        InsightType.Number => new JsonObject { ["type"] = new JsonArray("number", "null") },
        InsightType.Choice => new JsonObject
        {
            ["type"] = new JsonArray("string", "null"),
            ["enum"] = new JsonArray([.. (q.Choices ?? []).Select(c => (JsonNode?)c), null]),
        },
        InsightType.Date => new JsonObject { ["type"] = new JsonArray("string", "null"), ["description"] = "A calendar date, yyyy-MM-dd." },
        _ => new JsonObject { ["type"] = new JsonArray("string", "null") },
    };

    /// <summary>
    /// What is wrong with <paramref name="json"/> against <paramref name="schema"/> (validated by NJsonSchema) and the rules a
    /// schema cannot say: an answered question has an answer; a date answer is <c>yyyy-MM-dd</c>. Empty when valid.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ValidateAsync(string json, JsonObject schema, IReadOnlyList<InsightQuestion> questions)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return ["the answer is not JSON"];
        }
        var validator = await NJsonSchema.JsonSchema.FromJsonAsync(schema.ToJsonString());
        var errors = validator.Validate(json).Select(e => $"{e.Kind} at {e.Path}").ToList();
        if (errors.Count > 0 || root?["answers"] is not JsonObject answers)
        {
            return errors.Count > 0 ? errors : ["answers is missing"];
        }
        foreach (var q in questions)
        {
            if (answers[q.Key] is not JsonObject a)
            {
                continue;
            }
            var answered = (string?)a["status"] == "answered";
            if (answered && a["answer"] is null)
            {
                errors.Add($"answers.{q.Key}: an answered question needs an answer");
            }
            if (q.Type == InsightType.Date && a["answer"] is JsonValue date
                && !DateOnly.TryParseExact(date.GetValue<string>(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                errors.Add($"answers.{q.Key}.answer: a date must be yyyy-MM-dd");
            }
        }
        return errors;
    }
}
