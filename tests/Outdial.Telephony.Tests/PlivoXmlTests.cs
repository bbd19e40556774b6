using System.Text.Json.Nodes;
using System.Xml.Linq;
using Outdial.Telephony.Plivo;

namespace Outdial.Telephony.Tests;

/// <summary><see cref="PlivoXml"/> against the official npm library's <c>plivo.Response</c> builder for the same content.</summary>
public sealed class PlivoXmlTests
{
    [Fact]
    public async Task SpeakRecordAndHangup_AreTheXmlTheNpmLibraryBuilds()
    {
        const string text = "Hello Ada & Bob <3, it's \"Tuesday\".";
        const string record = "https://outdial.example.com/providers/plivo/calls/att_1/recording";
        var ours = new[]
        {
            PlivoXml.Speak(text, "alice", "en-US"),
            PlivoXml.Speak(text, "Polly.Joanna", "en-GB", record),
            PlivoXml.Speak(text, "robot-voice", ""),
            PlivoXml.HangUp(),
            PlivoXml.Speak("   ", "man", "en-US"),
        };

        var library = await PlivoNode.XmlAsync(
            new JsonObject { ["text"] = text, ["voice"] = "WOMAN", ["language"] = "en-US" },
            new JsonObject { ["text"] = text, ["voice"] = "Polly.Joanna", ["language"] = "en-GB", ["recordCallbackUrl"] = record, ["maxLength"] = PlivoXml.MaxRecordingSec },
            new JsonObject { ["text"] = text },
            new JsonObject { ["text"] = null },
            new JsonObject { ["text"] = null });

        foreach (var (lib, our) in library.Zip(ours))
        {
            Assert.True(XNode.DeepEquals(XElement.Parse(lib), XElement.Parse(our)), $"library: {lib}\nours:    {our}");
        }
        Assert.Equal(text, XElement.Parse(ours[0]).Element("Speak")!.Value);
    }

    [Theory]
    [InlineData("alice", "WOMAN")]
    [InlineData("Woman", "WOMAN")]
    [InlineData("man", "MAN")]
    [InlineData("Polly.Matthew", "Polly.Matthew")]
    [InlineData("en-US-Neural2-A", null)]
    [InlineData("", null)]
    public void VoiceOf_MapsAgentVoicesToPlivoSpeakVoices(string voice, string? expected) => Assert.Equal(expected, PlivoXml.VoiceOf(voice));
}
