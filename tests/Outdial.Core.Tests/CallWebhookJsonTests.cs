using System.Text.Json;
using Outdial.Core.Calls;
using Outdial.Core.Common;

namespace Outdial.Core.Tests;

/// <summary>A per-call webhook's format in stored call documents, including those written while it was an enum.</summary>
public sealed class CallWebhookJsonTests
{
    private static CallWebhook Read(string format) =>
        JsonSerializer.Deserialize<CallWebhook>($$"""{"url":"https://example.com/h","events":null,"format":{{format}},"batchIntervalSec":0}""", Json.Options)!;

    [Theory]
    [InlineData("\"standard\"", null)] // the former enum's Standard, as Json.Options wrote it
    [InlineData("0", null)] // the same value as a number
    [InlineData("null", null)]
    [InlineData("\"some_format\"", "some_format")] // any other name is the format (the former IvrResult was "ivr_result")
    [InlineData("1", "1")] // a number names no format: its deliveries fail visibly, the call stays readable
    public void Format_ReadsNamesAndFormerEnumValues(string json, string? expected) => Assert.Equal(expected, Read(json).Format);

    [Fact]
    public void Format_RoundTrips_AndStandardIsLeftOut()
    {
        var formatted = new CallWebhook("https://example.com/h", ["call.ended"], null, "some_format", 60);
        var json = JsonSerializer.Serialize(formatted, Json.Options);
        Assert.Contains("\"format\":\"some_format\"", json, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize<CallWebhook>(json, Json.Options)!;
        Assert.Equal((formatted.Url, formatted.Format, formatted.BatchIntervalSec), (back.Url, back.Format, back.BatchIntervalSec));
        Assert.DoesNotContain("format", JsonSerializer.Serialize(new CallWebhook("https://example.com/h", null, null), Json.Options), StringComparison.Ordinal);
    }
}
