using System.Text.Json;
using Outdial.Telephony.Twilio;

namespace Outdial.Telephony.Tests;

public sealed class TwilioTimestampTests
{
    private static readonly DateTimeOffset Expected = new(2026, 11, 21, 11, 53, 29, TimeSpan.Zero);

    [Theory]
    [InlineData("Sat, 21 Nov 2026 11:53:29 +0000")] // Twilio's own format
    [InlineData("Sat, 21 Nov 2026 12:53:29 +0100")]
    [InlineData("Sat, 21 Nov 2026 11:53:29 GMT")]
    [InlineData("2026-11-21T11:53:29Z")]
    public void DateCreated_IsReadAsUtc_InEachSpelling(string text)
    {
        var call = JsonSerializer.Deserialize<TwilioCallResource>($$"""{"sid": "CA{{new string('0', 32)}}", "status": "queued", "date_created": "{{text}}"}""")!;
        Assert.Equal(Expected, call.DateCreated);
        Assert.Equal(TimeSpan.Zero, call.DateCreated!.Value.Offset);
    }

    [Theory]
    [InlineData("lorem ipsum")] // what Prism's dynamic mode generates for Twilio's date fields
    [InlineData("")]
    public void DateCreated_ThatIsNoTimestamp_IsUnknown_AndTheCallStillParses(string text)
    {
        var call = JsonSerializer.Deserialize<TwilioCallResource>($$"""{"sid": "CA{{new string('0', 32)}}", "status": "queued", "date_created": "{{text}}"}""")!;
        Assert.Null(call.DateCreated);
        Assert.Equal("queued", call.Status);
    }
}
