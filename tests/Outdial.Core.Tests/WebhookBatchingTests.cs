using Outdial.Core.Webhooks;

namespace Outdial.Core.Tests;

public sealed class WebhookBatchingTests
{
    [Theory]
    [InlineData("2026-11-21T10:00:00Z", 60, "2026-11-21T10:01:00Z")] // exactly on a tick: the next one
    [InlineData("2026-11-21T10:00:59.999Z", 60, "2026-11-21T10:01:00Z")]
    [InlineData("2026-11-21T10:00:01Z", 3600, "2026-11-21T11:00:00Z")]
    [InlineData("2026-11-21T10:00:01+05:30", 60, "2026-11-21T04:31:00Z")] // offsets do not move the UTC grid
    [InlineData("2026-11-21T10:00:00.5Z", 0, "2026-11-21T10:00:01Z")] // an interval below 1 s counts as 1 s
    public void NextBatchAt_IsTheNextMultipleOfTheIntervalSinceTheEpoch(string at, int sec, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected), WebhookBatching.NextBatchAt(DateTimeOffset.Parse(at), sec));
}
