using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Storage;
using Outdial.Telephony.Twilio;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// Twilio's callbacks over real HTTP (Kestrel on loopback, SQLite): signed status callbacks drive an attempt through the
/// one state machine; forged ones change nothing. The server believes it is reached at <see cref="PublicBase"/> (a proxy
/// or tunnel in production), so signatures cover that URL, not Kestrel's. Attempts are written straight into the store
/// (what the dispatcher writes before dialing) for a call scheduled an hour ahead, so nothing else touches them.
/// </summary>
public sealed class TwilioCallbackTests
{
    public const string PublicBase = "https://outdial.example.test";
    public const string Token = "twilio-auth-token-for-tests-0001";

    public static Dictionary<string, string> Settings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Outdial:PublicBaseUrl"] = PublicBase,
            ["Outdial:Twilio:AuthToken"] = Token,
        };
        foreach (var (k, v) in extra)
        {
            settings[k] = v;
        }
        return settings;
    }

    /// <summary>A call scheduled an hour ahead (one attempt allowed) with a Twilio attempt in <c>dialing</c>, as the dispatcher leaves it.</summary>
    public static async Task<(string CallId, string AttemptId)> NewTwilioAttemptAsync(OutdialHost host, Action<JsonObject>? change = null)
    {
        var body = Calls.Body(Numbers.Next(), b =>
        {
            b["notBefore"] = DateTime.UtcNow.AddHours(1).ToString("O");
            b["maxAttempts"] = 1;
            change?.Invoke(b);
        });
        var created = await host.Client.PostCallAsync(body);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var id = (string)(await created.JsonAsync())["id"]!;
        var store = host.Services.GetRequiredService<ICallStore>();
        var call = (await store.GetCallByIdAsync(id, CancellationToken.None))!;
        var now = DateTimeOffset.UtcNow;
        var attempt = new Attempt
        {
            Id = Ids.New("att", now),
            CallId = id,
            AccountId = call.AccountId,
            Number = 1,
            Provider = "twilio",
            Status = AttemptStatus.Dialing,
            To = call.To,
            From = call.From,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
        };
        Assert.True(await host.Services.GetRequiredService<CallChanges>().TryApplyAsync(new CallChange
        {
            CallId = id,
            Expected = [CallStatus.Scheduled],
            Next = CallStatus.Dialing,
            Via = CallStatus.Queued,
            At = now,
            NewAttempt = attempt,
        }, CancellationToken.None));
        return (id, attempt.Id);
    }

    /// <summary>
    /// POSTs <paramref name="form"/> as Twilio would; signs it (the npm library's signature) over <paramref name="signedUrl"/>
    /// (default: the public URL) unless <paramref name="sign"/> is false.
    /// </summary>
    public static async Task<HttpResponseMessage> PostAsync(OutdialHost host, string attemptId, string leaf, IEnumerable<KeyValuePair<string, string>> form,
        bool sign = true, string? signedUrl = null, string token = Token, IEnumerable<KeyValuePair<string, string>>? signedForm = null)
    {
        var path = $"{TwilioUrls.Prefix}/{attemptId}/{leaf}";
        var pairs = form.ToList();
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(pairs) };
        if (sign)
        {
            request.Headers.Add(TwilioSignature.Header, await TwilioNode.SignatureAsync(token, signedUrl ?? PublicBase + path, signedForm ?? pairs));
        }
        using var client = host.NewClient(null);
        return await client.SendAsync(request);
    }

    public static List<KeyValuePair<string, string>> Status(string callSid, string status, int sequence, params (string Key, string Value)[] extra)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("AccountSid", "AC00000000000000000000000000000000"),
            new("CallSid", callSid),
            new("CallStatus", status),
            new("SequenceNumber", sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("Timestamp", $"Sat, 21 Nov 2026 10:00:0{sequence} +0000"),
            new("Direction", "outbound-api"),
            new("ApiVersion", "2010-04-01"),
        };
        form.AddRange(extra.Select(e => new KeyValuePair<string, string>(e.Key, e.Value)));
        return form;
    }

    private static async Task<JsonObject> AttemptAsync(OutdialHost host, string callId) =>
        (JsonObject)(await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/attempts"))!["data"]!.AsArray().Single()!;

    private static async Task<JsonObject> CallAsync(OutdialHost host, string callId) =>
        (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}"))!;

    private static async Task AssertNoContent(Task<HttpResponseMessage> sent)
    {
        using var response = await sent;
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public static TheoryData<string, string?, string?, string> Outcomes() => new()
    {
        { "completed", "human", null, "answered" },
        { "completed", "machine_end_beep", null, "voicemail" },
        { "busy", null, null, "busy" },
        { "no-answer", null, null, "no_answer" },
        { "failed", null, "404", "invalid_number" },
        { "failed", null, "603", "rejected" },
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public async Task SignedStatusCallbacks_DriveTheAttemptToItsOutcome_AndKeepTheRawValues(string final, string? answeredBy, string? sip, string outcome)
    {
        await using var host = await OutdialHost.StartAsync(Settings());
        var (callId, attemptId) = await NewTwilioAttemptAsync(host);
        const string sid = "CA0123456789abcdef0123456789abcdef";

        await AssertNoContent(PostAsync(host, attemptId, "status", Status(sid, "initiated", 0)));
        await AssertNoContent(PostAsync(host, attemptId, "status", Status(sid, "ringing", 1)));
        Assert.Equal("ringing", (string?)(await CallAsync(host, callId))["status"]);
        var seq = 2;
        if (final == "completed")
        {
            await AssertNoContent(PostAsync(host, attemptId, "status", Status(sid, "in-progress", seq++, ("AnsweredBy", answeredBy!))));
            Assert.Equal("in_progress", (string?)(await CallAsync(host, callId))["status"]);
        }
        var extra = new List<(string, string)>();
        if (final == "completed")
        {
            extra.Add(("CallDuration", "42"));
            extra.Add(("AnsweredBy", answeredBy!));
        }
        if (sip is not null)
        {
            extra.Add(("SipResponseCode", sip));
        }
        await AssertNoContent(PostAsync(host, attemptId, "status", Status(sid, final, seq, [.. extra])));

        var call = await CallAsync(host, callId);
        Assert.Equal("ended", (string?)call["status"]);
        Assert.Equal(outcome, (string?)call["outcome"]);
        var detail = call["outcomeDetail"]!;
        Assert.Equal("twilio", (string?)detail["provider"]);
        Assert.Equal(final, (string?)detail["providerStatus"]);
        Assert.Equal(sip is null ? null : int.Parse(sip, System.Globalization.CultureInfo.InvariantCulture), (int?)detail["sipCode"]);
        var attempt = await AttemptAsync(host, callId);
        Assert.Equal("completed", (string?)attempt["status"]);
        Assert.Equal(outcome, (string?)attempt["outcome"]);
        Assert.Equal(sid, (string?)attempt["providerCallId"]);
        Assert.Equal(final, (string?)attempt["providerStatus"]);
        Assert.Equal(DateTime.Parse("2026-11-21T10:00:0" + seq + "Z", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal), (DateTime)attempt["endedAt"]!);
        var raw = attempt["providerRaw"]!.AsObject();
        Assert.Equal(final, (string?)raw["CallStatus"]);
        Assert.Equal(sid, (string?)raw["CallSid"]);
        Assert.Equal(seq.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)raw["SequenceNumber"]);
        Assert.Equal(sip, (string?)raw["SipResponseCode"]);
        Assert.Null(raw["ApiVersion"]);
        if (final == "completed")
        {
            Assert.Equal(42, (int?)attempt["durationSec"]);
            Assert.Equal(42, (int?)detail["durationSec"]);
            Assert.Equal(answeredBy, (string?)raw["AnsweredBy"]);
            Assert.Equal(answeredBy == "human" ? "human" : "machine", (string?)attempt["answeredBy"]);
            Assert.Equal(answeredBy == "human" ? "human" : "machine", (string?)detail["answeredBy"]);
        }
    }

    [Fact]
    public async Task DuplicatedAndReorderedCallbacks_LeaveTheSameEndState()
    {
        await using var host = await OutdialHost.StartAsync(Settings());
        static List<KeyValuePair<string, string>>[] Reports(string sid) =>
        [
            Status(sid, "initiated", 0),
            Status(sid, "ringing", 1),
            Status(sid, "in-progress", 2, ("AnsweredBy", "human")),
            Status(sid, "completed", 3, ("AnsweredBy", "human"), ("CallDuration", "17")),
        ];

        var (inOrder, inOrderAttempt) = await NewTwilioAttemptAsync(host);
        foreach (var form in Reports("CA11111111111111111111111111111111"))
        {
            await AssertNoContent(PostAsync(host, inOrderAttempt, "status", form));
        }
        var (shuffled, shuffledAttempt) = await NewTwilioAttemptAsync(host);
        var r = Reports("CA11111111111111111111111111111112");
        foreach (var form in new[] { r[1], r[3], r[0], r[2], r[3], r[1], r[2], r[0], r[3] })
        {
            await AssertNoContent(PostAsync(host, shuffledAttempt, "status", form));
        }

        var a = await CallAsync(host, inOrder);
        var b = await CallAsync(host, shuffled);
        Assert.Equal("ended", (string?)a["status"]);
        Assert.Equal("answered", (string?)a["outcome"]);
        foreach (var field in new[] { "status", "outcome", "outcomeDetail", "attemptCount" })
        {
            Assert.Equal(a[field]?.ToJsonString(), b[field]?.ToJsonString());
        }
        var attemptA = await AttemptAsync(host, inOrder);
        var attemptB = await AttemptAsync(host, shuffled);
        foreach (var field in new[] { "status", "outcome", "answeredBy", "providerStatus", "sipCode", "durationSec", "endedAt" })
        {
            Assert.Equal(attemptA[field]?.ToJsonString(), attemptB[field]?.ToJsonString());
        }
        var rawA = attemptA["providerRaw"]!.AsObject();
        var rawB = attemptB["providerRaw"]!.AsObject();
        rawB["CallSid"] = (string?)rawA["CallSid"];
        Assert.Equal(rawA.ToJsonString(), rawB.ToJsonString());
        // Each call ended exactly once, however many completions arrived.
        foreach (var id in new[] { inOrder, shuffled })
        {
            var events = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/events"))!["data"]!.AsArray();
            Assert.Single(events, e => (string?)e!["type"] == "call.ended");
        }
    }

    [Fact]
    public async Task RecordingCallback_StoresTheUrl_WithoutMovingTheCall()
    {
        await using var host = await OutdialHost.StartAsync(Settings());
        var (callId, attemptId) = await NewTwilioAttemptAsync(host, b => b["record"] = true);
        const string sid = "CA22222222222222222222222222222222";
        await AssertNoContent(PostAsync(host, attemptId, "status", Status(sid, "ringing", 1)));
        await AssertNoContent(PostAsync(host, attemptId, "status", Status(sid, "in-progress", 2)));
        const string url = "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/RE00000000000000000000000000000001";
        KeyValuePair<string, string>[] recording =
        [
            new("CallSid", sid), new("RecordingSid", "RE00000000000000000000000000000001"), new("RecordingUrl", url),
            new("RecordingStatus", "completed"), new("RecordingDuration", "12"),
        ];
        await AssertNoContent(PostAsync(host, attemptId, "recording",
            [new("CallSid", sid), new("RecordingSid", "RE00000000000000000000000000000001"), new("RecordingStatus", "in-progress")]));
        Assert.Null((await AttemptAsync(host, callId))["recordingUrl"]);

        await AssertNoContent(PostAsync(host, attemptId, "recording", recording));

        var attempt = await AttemptAsync(host, callId);
        Assert.Equal(url, (string?)attempt["recordingUrl"]);
        Assert.Equal("in_progress", (string?)attempt["status"]);
        Assert.Equal("in-progress", (string?)attempt["providerStatus"]);
        Assert.Equal("in_progress", (string?)(await CallAsync(host, callId))["status"]);

        // The call still ends normally, and a recording reported after the end is kept without reopening anything.
        await AssertNoContent(PostAsync(host, attemptId, "status", Status(sid, "completed", 3, ("CallDuration", "30"))));
        const string later = url + "2";
        await AssertNoContent(PostAsync(host, attemptId, "recording", [.. recording[..2], new("RecordingUrl", later), new("RecordingStatus", "completed")]));
        var ended = await CallAsync(host, callId);
        Assert.Equal("ended", (string?)ended["status"]);
        Assert.Equal("answered", (string?)ended["outcome"]);
        attempt = await AttemptAsync(host, callId);
        Assert.Equal(later, (string?)attempt["recordingUrl"]);
        Assert.Equal("completed", (string?)attempt["status"]);
        Assert.Equal("completed", (string?)attempt["providerStatus"]);
    }

    [Fact]
    public async Task ForgedTamperedWrongUrlOrUnsignedCallbacks_Are403_AndChangeNothing()
    {
        await using var host = await OutdialHost.StartAsync(Settings());
        var (callId, attemptId) = await NewTwilioAttemptAsync(host);
        var (_, otherAttempt) = await NewTwilioAttemptAsync(host);
        const string sid = "CA33333333333333333333333333333333";
        await AssertNoContent(PostAsync(host, attemptId, "status", Status(sid, "ringing", 1)));
        var callBefore = (await CallAsync(host, callId)).ToJsonString();
        var attemptBefore = (await AttemptAsync(host, callId)).ToJsonString();
        var eventsBefore = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/events"))!.ToJsonString();

        var completed = Status(sid, "completed", 3, ("AnsweredBy", "human"), ("CallDuration", "5"));
        var path = $"{TwilioUrls.Prefix}/{attemptId}/status";
        var forgeries = new List<(string Case, Func<Task<HttpResponseMessage>> Send)>
        {
            ("tampered status", () => PostAsync(host, attemptId, "status", completed, signedForm: Status(sid, "busy", 3))),
            ("added parameter", () => PostAsync(host, attemptId, "status", [.. completed, new("SipResponseCode", "200")], signedForm: completed)),
            ("signed over Kestrel's own address", () => PostAsync(host, attemptId, "status", completed, signedUrl: new Uri(host.BaseAddress, path).ToString())),
            ("signed for another attempt", () => PostAsync(host, attemptId, "status", completed, signedUrl: $"{PublicBase}{TwilioUrls.Prefix}/{otherAttempt}/status")),
            ("signed for another leaf", () => PostAsync(host, attemptId, "status", completed, signedUrl: $"{PublicBase}{TwilioUrls.Prefix}/{attemptId}/amd")),
            ("http instead of https", () => PostAsync(host, attemptId, "status", completed, signedUrl: "http://outdial.example.test" + path)),
            ("wrong auth token", () => PostAsync(host, attemptId, "status", completed, token: "not-the-token")),
            ("no signature", () => PostAsync(host, attemptId, "status", completed, sign: false)),
            // Twilio never repeats a form key; npm would sign each value, the .NET library cannot: refused.
            ("repeated key, signed as npm signs it", () => PostAsync(host, attemptId, "status", [.. completed, new("CallStatus", "busy")])),
            ("recording, no signature", () => PostAsync(host, attemptId, "recording", [new("CallSid", sid), new("RecordingUrl", "https://evil.example/r"), new("RecordingStatus", "completed")], sign: false)),
            ("amd, wrong token", () => PostAsync(host, attemptId, "amd", [new("CallSid", sid), new("AnsweredBy", "machine_start")], token: "x")),
            ("twiml, no signature", () => PostAsync(host, attemptId, "twiml", [new("CallSid", sid)], sign: false)),
        };
        foreach (var (name, send) in forgeries)
        {
            using var response = await send();
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{name}: {(int)response.StatusCode}");
        }
        // A forged header value on an otherwise genuine request is refused too.
        using (var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(completed) })
        {
            request.Headers.Add(TwilioSignature.Header, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
            using var client = host.NewClient(null);
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        Assert.Equal(callBefore, (await CallAsync(host, callId)).ToJsonString());
        Assert.Equal(attemptBefore, (await AttemptAsync(host, callId)).ToJsonString());
        Assert.Equal(eventsBefore, (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/events"))!.ToJsonString());
        // The same callback, genuinely signed, is applied.
        await AssertNoContent(PostAsync(host, attemptId, "status", completed));
        Assert.Equal("answered", (string?)(await CallAsync(host, callId))["outcome"]);
    }

    [Fact]
    public async Task UnknownCallStatusOrMissingCallSid_IsAnswered204_AndIgnored()
    {
        await using var host = await OutdialHost.StartAsync(Settings());
        var (callId, attemptId) = await NewTwilioAttemptAsync(host);
        var before = (await AttemptAsync(host, callId)).ToJsonString();
        await AssertNoContent(PostAsync(host, attemptId, "status", Status("CA44444444444444444444444444444444", "teleported", 1)));
        await AssertNoContent(PostAsync(host, attemptId, "status", [new("CallStatus", "ringing")]));
        Assert.Equal(before, (await AttemptAsync(host, callId)).ToJsonString());
        Assert.Equal("dialing", (string?)(await CallAsync(host, callId))["status"]);
    }

    [Fact]
    public async Task Callbacks_WithoutTwilioConfigured_Are404()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:PublicBaseUrl"] = PublicBase });
        var (callId, attemptId) = await NewTwilioAttemptAsync(host);
        foreach (var leaf in new[] { "twiml", "status", "recording", "amd" })
        {
            using var response = await PostAsync(host, attemptId, leaf, Status("CA55555555555555555555555555555555", "ringing", 1));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        Assert.Equal("dialing", (string?)(await CallAsync(host, callId))["status"]);
    }
}
