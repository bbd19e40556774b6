using Outdial.Core.Conversation;

namespace Outdial.Core.Tests.Conversation;

public class OptOutPhrasesTests
{
    private static readonly OptOutPhrases Phrases = new(new Dictionary<string, List<string>> { ["de"] = ["rufen sie mich nicht mehr an"] });

    [Theory]
    [InlineData("Please stop calling me.")]
    [InlineData("STOP CALLING!!")]
    [InlineData("Take me off your list, thanks")]
    [InlineData("Don’t call me again")]
    [InlineData("I want to be on your do-not-call list")]
    [InlineData("just remove my number")]
    public void Matches_EnglishRequests(string said) => Assert.True(Phrases.Matches(said, "en-US"));

    [Theory]
    [InlineData("Don't call me before noon tomorrow")]
    [InlineData("I'm not stopping you")]
    [InlineData("Can you call my number later?")]
    [InlineData("")]
    public void DoesNotMatch_OrdinaryReplies(string said) => Assert.False(Phrases.Matches(said, "en-US"));

    [Fact]
    public void Matches_SpanishBuiltInsConfiguredExtrasAndEnglishInAnyLanguage()
    {
        Assert.True(Phrases.Matches("Por favor, no me llame más.", "es-MX"));
        Assert.True(Phrases.Matches("Rufen Sie mich nicht mehr an!", "de-DE"));
        Assert.True(Phrases.Matches("stop calling", "de-DE"));
        Assert.False(Phrases.Matches("rufen sie mich nicht mehr an", "en-US"));
    }
}
