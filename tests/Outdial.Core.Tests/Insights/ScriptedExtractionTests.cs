using Outdial.Core.Conversation;
using Outdial.Core.Insights;

namespace Outdial.Core.Tests.Insights;

public class ScriptedExtractionTests
{
    private static TranscriptTurn Turn(int i, TranscriptSpeaker who, string text) =>
        new() { Index = i, Attempt = 1, Speaker = who, Text = text, StartMs = i * 1000, EndMs = i * 1000 };

    [Fact]
    public void Extract_TakesTheReplyAfterEachQuestionAndParsesItsType()
    {
        InsightQuestion[] questions =
        [
            new("interested", "Are you interested?", InsightType.Boolean),
            new("seats", "How many seats?", InsightType.Number),
            new("plan", "Which plan?", InsightType.Choice, ["Basic", "Pro"]),
            new("start", "When should we start?", InsightType.Date),
            new("notes", "Anything else?"),
            new("never", "Never asked?"),
        ];
        TranscriptTurn[] turns =
        [
            Turn(0, TranscriptSpeaker.Agent, "Hello."),
            Turn(1, TranscriptSpeaker.Callee, "Hi."),
            Turn(2, TranscriptSpeaker.Agent, "Are you interested?"),
            Turn(3, TranscriptSpeaker.Callee, "Yeah, sure."),
            Turn(4, TranscriptSpeaker.Agent, "Thank you. How many seats?"),
            Turn(5, TranscriptSpeaker.Callee, "About 25 I think."),
            Turn(6, TranscriptSpeaker.Agent, "Thank you. Which plan? The options are: Basic or Pro."),
            Turn(7, TranscriptSpeaker.Callee, "The pro one."),
            Turn(8, TranscriptSpeaker.Agent, "Thank you. When should we start?"),
            Turn(9, TranscriptSpeaker.Callee, "2027-01-15 please"),
            Turn(10, TranscriptSpeaker.Agent, "Thank you. Anything else?"),
            Turn(11, TranscriptSpeaker.Callee, "Not sure yet."),
        ];

        var answers = ScriptedExtraction.Extract(questions, turns);

        Assert.Equal(true, (bool?)answers[0].Answer);
        Assert.Equal(25m, (decimal?)answers[1].Answer);
        Assert.Equal("Pro", (string?)answers[2].Answer);
        Assert.Equal("2027-01-15", (string?)answers[3].Answer);
        Assert.Equal("Not sure yet.", (string?)answers[4].Answer);
        Assert.All(answers.Take(5), a => Assert.Equal(InsightAnswerStatus.Answered, a.Status));
        Assert.Equal(new InsightEvidence(3, "Yeah, sure."), Assert.Single(answers[0].Evidence));
        Assert.Equal(InsightAnswerStatus.NotDiscussed, answers[5].Status);
        Assert.Null(answers[5].Answer);
    }

    [Theory]
    [InlineData("No, thanks.", false)]
    [InlineData("Not really", false)]
    [InlineData("Yes!", true)]
    [InlineData("I'm not sure", null)]
    [InlineData("Maybe next week", null)]
    public void Parse_Boolean(string reply, bool? expected) =>
        Assert.Equal(expected, (bool?)ScriptedExtraction.Parse(new InsightQuestion("b", "?", InsightType.Boolean), reply));

    [Fact]
    public void Extract_UnparsedReply_IsNotDiscussedWithANote()
    {
        var answers = ScriptedExtraction.Extract([new InsightQuestion("n", "How many?", InsightType.Number)],
            [Turn(0, TranscriptSpeaker.Agent, "How many?"), Turn(1, TranscriptSpeaker.Callee, "Lots.")]);
        Assert.Equal(InsightAnswerStatus.NotDiscussed, answers[0].Status);
        Assert.Equal("reply_not_understood", answers[0].Note);
    }
}
