using Outdial.Core.Insights;

namespace Outdial.Core.Tests.Insights;

public class InsightSchemaTests
{
    private static readonly InsightQuestion[] Questions =
    [
        new("ok", "OK?", InsightType.Boolean),
        new("plan", "Plan?", InsightType.Choice, ["a", "b"]),
        new("when", "When?", InsightType.Date),
    ];

    private static string Answer(string ok = "true", string plan = "\"a\"", string when = "\"2027-01-02\"", string status = "answered") => $$$"""
        {"answers":{
          "ok":{"status":"{{{status}}}","answer":{{{ok}}},"confidence":0.9,"evidence":[{"turn":1,"quote":"yes"}]},
          "plan":{"status":"answered","answer":{{{plan}}},"confidence":0.5,"evidence":[]},
          "when":{"status":"answered","answer":{{{when}}},"confidence":0.5,"evidence":[]}},
         "summary":"s","success":null}
        """;

    [Fact]
    public async Task ValidateAsync_AcceptsAnAnswerOfTheRightShape() =>
        Assert.Empty(await InsightSchema.ValidateAsync(Answer(), InsightSchema.For(Questions), Questions));

    [Theory]
    [InlineData("\"yes\"", "\"a\"", "\"2027-01-02\"")] // boolean as a string
    [InlineData("true", "\"c\"", "\"2027-01-02\"")] // not a choice
    [InlineData("true", "\"a\"", "\"next Tuesday\"")] // not a date
    public async Task ValidateAsync_RefusesWrongTypes(string ok, string plan, string when) =>
        Assert.NotEmpty(await InsightSchema.ValidateAsync(Answer(ok, plan, when), InsightSchema.For(Questions), Questions));

    [Fact]
    public async Task ValidateAsync_RefusesMissingKeysExtraFieldsAndAnsweredWithoutAnswer()
    {
        var schema = InsightSchema.For(Questions);
        Assert.NotEmpty(await InsightSchema.ValidateAsync("""{"answers":{},"summary":"s","success":null}""", schema, Questions));
        Assert.NotEmpty(await InsightSchema.ValidateAsync(Answer().Replace("\"summary\":\"s\"", "\"summary\":\"s\",\"extra\":1", StringComparison.Ordinal), schema, Questions));
        Assert.NotEmpty(await InsightSchema.ValidateAsync(Answer(ok: "null"), schema, Questions));
        Assert.Empty(await InsightSchema.ValidateAsync(Answer(ok: "null", status: "not_discussed"), schema, Questions));
        Assert.NotEmpty(await InsightSchema.ValidateAsync("not json", schema, Questions));
    }
}
