using Outdial.Core.Common;

namespace Outdial.Core.Tests;

public class IdsTests
{
    private const string Crockford = "0123456789abcdefghjkmnpqrstvwxyz";

    [Fact]
    public void New_HasPrefixUnderscoreAndTwentySixCrockfordCharacters()
    {
        var id = Ids.New("call", DateTimeOffset.UtcNow);
        Assert.StartsWith("call_", id, StringComparison.Ordinal);
        var body = id["call_".Length..];
        Assert.Equal(26, body.Length);
        Assert.All(body, c => Assert.Contains(c, Crockford));
    }

    [Fact]
    public void New_EncodesTheMillisecondTimestampLikeAUlid()
    {
        // The ULID specification's example: timestamp 1469918176385 encodes as 01ARYZ6S41.
        var id = Ids.New("x", DateTimeOffset.FromUnixTimeMilliseconds(1469918176385));
        Assert.Equal("x_01aryz6s41", id[..12]);
    }

    [Fact]
    public void New_FirstTenCharactersDecodeToTheTimestamp()
    {
        var at = new DateTimeOffset(2026, 3, 8, 7, 15, 42, 123, TimeSpan.Zero);
        var body = Ids.New("att", at)["att_".Length..];
        long ms = 0;
        foreach (var c in body[..10])
        {
            ms = (ms << 5) | (long)Crockford.IndexOf(c, StringComparison.Ordinal);
        }
        Assert.Equal(at.ToUnixTimeMilliseconds(), ms);
    }

    [Fact]
    public void New_SameInstant_GivesDifferentIds()
    {
        var at = DateTimeOffset.UtcNow;
        var ids = Enumerable.Range(0, 1000).Select(_ => Ids.New("call", at)).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(1000, ids.Count);
    }

    [Fact]
    public void New_LaterMillisecond_SortsAfterEarlierOrdinally()
    {
        var t0 = new DateTimeOffset(2026, 1, 14, 15, 0, 0, TimeSpan.Zero);
        var offsets = new[] { 0L, 1, 2, 31, 32, 33, 1023, 1024, 60_000, 86_400_000, 365L * 86_400_000, 40L * 365 * 86_400_000 };
        for (var round = 0; round < 50; round++)
        {
            var ids = offsets.Select(o => Ids.New("call", t0.AddMilliseconds(o))).ToList();
            for (var i = 1; i < ids.Count; i++)
            {
                Assert.True(string.CompareOrdinal(ids[i - 1], ids[i]) < 0, $"{ids[i - 1]} should sort before {ids[i]}");
            }
        }
    }

    [Fact]
    public void New_SortOrderHoldsWithOffsetInputs()
    {
        // 10:00+02:00 is 08:00 UTC, earlier than 09:00 UTC.
        var earlier = Ids.New("call", new DateTimeOffset(2026, 1, 14, 10, 0, 0, TimeSpan.FromHours(2)));
        var later = Ids.New("call", new DateTimeOffset(2026, 1, 14, 9, 0, 0, TimeSpan.Zero));
        Assert.True(string.CompareOrdinal(earlier, later) < 0);
    }

    [Fact]
    public void NewSecret_IsTimeOrderedAndCarries125RandomBits()
    {
        var at = new DateTimeOffset(2026, 12, 5, 3, 0, 0, TimeSpan.Zero);
        var ids = Enumerable.Range(0, 1000).Select(_ => Ids.NewSecret("call", at)).ToList();
        Assert.All(ids, id =>
        {
            Assert.Equal("call_".Length + 35, id.Length);
            Assert.All(id["call_".Length..], c => Assert.Contains(c, Crockford));
            Assert.True(Ids.IsSecret(id, "call"));
        });
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        // The first ten characters are New's timestamp, so secret ids still sort by creation time.
        Assert.All(ids, id => Assert.Equal(Ids.New("call", at)[..15], id[..15]));
        // The nine extra characters vary in every position (45 random bits beside New's 80).
        for (var i = 26; i < 35; i++)
        {
            Assert.True(ids.Select(id => id["call_".Length + i]).Distinct().Count() > 20, $"position {i} barely varies");
        }
    }

    [Theory]
    [InlineData("call_01jd3x00000000000000000000", false)]  // a New id: 26 characters
    [InlineData("call_01jd3x000000000000000000000000000000", false)] // 36 characters
    [InlineData("call_01JD3X00000000000000000000000000000", false)] // upper case is not the alphabet
    [InlineData("call_01jd3x0000000000000000000000000000u", false)] // u is not Crockford
    [InlineData("att_01jd3x00000000000000000000000000000", false)]  // another prefix
    [InlineData("call_01jd3x00000000000000000000000000000", true)]
    public void IsSecret_ChecksPrefixLengthAndAlphabet(string id, bool expected)
    {
        Assert.Equal(expected, Ids.IsSecret(id, "call"));
    }

    [Fact]
    public void LowestAt_SortsAtOrBelowEveryIdOfThatMillisecond_AndAboveEveryEarlierOne()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_765_000_000_123);
        var floor = Ids.LowestAt("evt", at);
        Assert.Equal("evt_", floor[..4]);
        Assert.EndsWith(new string('0', 16), floor, StringComparison.Ordinal);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(string.CompareOrdinal(Ids.New("evt", at), floor) >= 0);
            Assert.True(string.CompareOrdinal(Ids.New("evt", at.AddMilliseconds(-1)), floor) < 0);
        }
    }
}
