using System.Text.Json;
using Outdial.Core.Common;
using Outdial.Core.Insights;

namespace Outdial.Core.Tests.Insights;

public class InsightQuestionTests
{
    [Fact]
    public void Json_ReadsStringsAndObjects_WritesObjects()
    {
        var questions = JsonSerializer.Deserialize<List<InsightQuestion>>(
            """["Are you interested in a demo?", {"key":"plan","question":"Which plan?","type":"choice","choices":["basic","pro"]}, {"question":"How many seats?","type":"number"}]""",
            Json.Options)!;
        Assert.Equal(new InsightQuestion("are_you_interested_in_a_demo", "Are you interested in a demo?"), questions[0]);
        Assert.Equal(("plan", InsightType.Choice), (questions[1].Key, questions[1].Type));
        Assert.Equal(["basic", "pro"], questions[1].Choices!);
        Assert.Equal(("how_many_seats", InsightType.Number), (questions[2].Key, questions[2].Type));
        Assert.Equal("""{"key":"plan","question":"Which plan?","type":"choice","choices":["basic","pro"]}""", JsonSerializer.Serialize(questions[1], Json.Options));
    }

    [Theory]
    [InlineData("""{"question":"q","type":"colour"}""")]
    [InlineData("""{"key":"k"}""")]
    [InlineData("""{"question":"q","extra":1}""")]
    [InlineData("42")]
    public void Json_RefusesWhatIsNotAQuestion(string json) =>
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<InsightQuestion>(json, Json.Options));

    [Fact]
    public void Merge_DropsRepeatedQuestionsAndSuffixesRepeatedKeys()
    {
        var merged = InsightQuestion.Merge([InsightQuestion.Of("Budget?"), new("k", "First")], [InsightQuestion.Of("Budget?"), new("k", "Second")]);
        Assert.Equal(["budget", "k", "k_2"], merged.Select(q => q.Key));
    }

    [Fact]
    public void Validate_ReportsBadKeysChoicesAndDuplicates()
    {
        var problems = InsightQuestion.Validate([new("Bad Key", "q"), new("c", "q", InsightType.Choice, ["only"]), new("t", "q", InsightType.Text, ["x", "y"]),
            new("dup", "q"), new("dup", "q2")]).ToList();
        Assert.Contains(problems, p => p.Field == "[0].key");
        Assert.Contains(problems, p => p.Field == "[1].choices");
        Assert.Contains(problems, p => p.Field == "[2].choices");
        Assert.Contains(problems, p => p.Field == "[4].key");
        Assert.Empty(InsightQuestion.Validate([new("ok", "Fine?", InsightType.Boolean)]));
    }
}
