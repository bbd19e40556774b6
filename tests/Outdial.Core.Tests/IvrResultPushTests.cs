using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Core.Webhooks;

namespace Outdial.Core.Tests;

public sealed class IvrResultPushTests
{
    [Theory]
    [InlineData("2026-11-21T10:00:00Z", 60, "2026-11-21T10:01:00Z")] // exactly on a tick: the next one
    [InlineData("2026-11-21T10:00:59.999Z", 60, "2026-11-21T10:01:00Z")]
    [InlineData("2026-11-21T10:00:01Z", 3600, "2026-11-21T11:00:00Z")]
    [InlineData("2026-11-21T10:00:01+05:30", 60, "2026-11-21T04:31:00Z")] // offsets do not move the UTC grid
    public void NextBatchAt_IsTheNextMultipleOfTheIntervalSinceTheEpoch(string at, int sec, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected), IvrResultPush.NextBatchAt(DateTimeOffset.Parse(at), sec));

    [Fact]
    public void Merge_ConcatenatesRowsInOrder()
    {
        var merged = JsonNode.Parse(IvrResultPush.Merge(
        [
            """{"CallResults":[{"UniqueId":"a","CallRequestId":"","CallState":"Busy"}]}""",
            """{"CallResults":[{"UniqueId":"b","CallRequestId":"x","CallState":"Answered"},{"UniqueId":"c","CallRequestId":"","CallState":"Error"}]}""",
        ]))!;
        Assert.Equal(["a", "b", "c"], merged["CallResults"]!.AsArray().Select(r => (string)r!["UniqueId"]!));
        Assert.Single(merged.AsObject());
    }

    [Fact]
    public void Merge_RefusesOtherBodies() =>
        Assert.Throws<JsonException>(() => IvrResultPush.Merge(["""{"type":"call.ended"}"""]));
}
