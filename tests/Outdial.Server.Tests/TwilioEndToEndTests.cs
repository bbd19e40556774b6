using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Outdial.Telephony.Twilio;
using Outdial.Tests.Shared;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// Calls through the Twilio provider, end to end over real HTTP: Outdial dials "Twilio" (<see cref="TwilioFront"/> in
/// front of the Prism mock of Twilio's official spec, which validates every request), Twilio fetches the TwiML, and signed
/// status callbacks — as Twilio would send them to the public base URL — drive the call to its outcome.
/// </summary>
[Collection(TwilioMock.Collection)]
public sealed class TwilioEndToEndTests(TwilioMock mock)
{
    internal const string PublicBase = "https://outdial.example.test";
    internal const string TwilioNumber = "+15005550006";

    private sealed record Rig(OutdialHost Host, TwilioFront Front, string PhoneNumberId) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Host.DisposeAsync();
            await Front.DisposeAsync();
        }

        /// <summary>Every request Outdial sent was accepted by the mock's validation of Twilio's official spec.</summary>
        public void AssertAllAcceptedByTheSpec()
        {
            Assert.NotEmpty(Front.Requests);
            Assert.All(Front.Requests, r => Assert.True(r.MockStatus is >= 200 and < 300, $"{r.Method} {r.Path} -> {r.MockStatus}"));
        }
    }

    internal static Dictionary<string, string> Settings(TwilioFront front, string? dataDir = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Outdial:Twilio:AccountSid"] = TwilioMock.AccountSid,
            ["Outdial:Twilio:AuthToken"] = TwilioMock.AuthToken,
            ["Outdial:Twilio:BaseUrl"] = front.BaseUrl,
            ["Outdial:Twilio:CallsPerSecond"] = "50",
            // Prism's first validation of an operation can take seconds on a loaded machine: a dial that timed out would be
            // left to the reconciler (correctly), which these tests do not wait for.
            ["Outdial:Twilio:RequestTimeout"] = "00:01:00",
            ["Outdial:PublicBaseUrl"] = PublicBase,
        };
        if (dataDir is not null)
        {
            settings["Outdial:DataDirectory"] = dataDir;
        }
        return settings;
    }

    private async Task<Rig> StartAsync()
    {
        var front = await TwilioFront.StartAsync(mock.Url);
        var host = await OutdialHost.StartAsync(Settings(front));
        var created = await host.Client.PostAsJsonAsync("/v1/phone-numbers", new JsonObject
        {
            ["number"] = TwilioNumber,
            ["label"] = "twilio-main",
            ["provider"] = "twilio",
            ["callsPerSecond"] = 50,
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return new Rig(host, front, (string)(await created.JsonAsync())["id"]!);
    }

    /// <summary>Creates a call from <paramref name="from"/> (default the Twilio number), checks the 202 and returns its id.</summary>
    private static async Task<string> NewCallAsync(OutdialHost host, string from = TwilioNumber)
    {
        var created = await host.Client.PostAsJsonAsync("/v1/calls", new JsonObject
        {
            ["to"] = Numbers.Next("0000"),
            ["from"] = from,
            ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
        });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        return (string)(await created.JsonAsync())["id"]!;
    }

    /// <summary>Waits until the call's latest attempt has Twilio's SID; returns (attempt id, SID).</summary>
    internal static async Task<(string AttemptId, string Sid)> WaitForDialAsync(OutdialHost host, string callId, HttpClient? client = null,
        TwilioFront? front = null)
    {
        client ??= host.Client;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var attempts = (await client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/attempts"))!["data"]!.AsArray();
            if (attempts.LastOrDefault() is JsonObject a && (string?)a["providerCallId"] is { } sid)
            {
                Assert.Equal("twilio", (string?)a["provider"]);
                return ((string)a["id"]!, sid);
            }
            await Task.Delay(25);
        }
        var call = await client.GetStringAsync($"/v1/calls/{callId}");
        var tried = await client.GetStringAsync($"/v1/calls/{callId}/attempts");
        var seen = front is null ? "" : string.Join("\n", front.Requests.Select(r => $"{r.Method} {r.Path} -> {r.MockStatus} {string.Join('&', r.Form.Select(kv => kv.Key + "=" + kv.Value))}"));
        throw new TimeoutException($"call {callId} was never dialed through Twilio: {call} attempts: {tried} twilio saw: {seen}");
    }

    internal static async Task<HttpResponseMessage> PostSignedAsync(OutdialHost host, string path, List<KeyValuePair<string, string>> form,
        string? signUrl = null, bool sign = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.BaseAddress, path)) { Content = new FormUrlEncodedContent(form) };
        if (sign)
        {
            request.Headers.Add(TwilioSignature.Header, await TwilioNode.SignatureAsync(TwilioMock.AuthToken, signUrl ?? PublicBase + path, form));
        }
        using var client = host.NewClient(null);
        return await client.SendAsync(request);
    }

    /// <summary>A status callback as Twilio posts it (Twilio docs, "Status callbacks": the parameters of every request plus the call-progress ones).</summary>
    internal static List<KeyValuePair<string, string>> Callback(string sid, string status, int sequence, params (string, string)[] extra)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("AccountSid", TwilioMock.AccountSid),
            new("ApiVersion", "2010-04-01"),
            new("CallSid", sid),
            new("CallStatus", status),
            new("CallbackSource", "call-progress-events"),
            new("Direction", "outbound-api"),
            new("From", TwilioNumber),
            new("SequenceNumber", sequence.ToString(CultureInfo.InvariantCulture)),
            new("Timestamp", TwilioMock.Rfc2822(DateTimeOffset.UtcNow)),
            new("To", "+15551230000"),
        };
        form.AddRange(extra.Select(e => new KeyValuePair<string, string>(e.Item1, e.Item2)));
        return form;
    }

    internal static async Task DriveAsync(OutdialHost host, string attemptId, string sid, string finalStatus, params (string, string)[] final)
    {
        var path = $"{TwilioUrls.Prefix}/{attemptId}/status";
        var sequence = 0;
        foreach (var status in finalStatus is "completed" ? new[] { "initiated", "ringing", "in-progress" } : ["initiated", "ringing"])
        {
            Assert.Equal(HttpStatusCode.NoContent, (await PostSignedAsync(host, path, Callback(sid, status, sequence++))).StatusCode);
        }
        Assert.Equal(HttpStatusCode.NoContent, (await PostSignedAsync(host, path, Callback(sid, finalStatus, sequence, final))).StatusCode);
    }

    [Fact]
    public async Task NativeCall_GoesOutThroughTwilio_MessageAgentsTwimlSpeaksTheFirstMessage_SignedCallbacksEndItAnswered()
    {
        await using var rig = await StartAsync();
        var agent = await rig.Host.Client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Twilio drop " + Guid.NewGuid().ToString("N")[..6],
            ["mode"] = "message",
            ["disclosures"] = new JsonObject { ["enabled"] = false },
            ["firstMessage"] = "Hello {name}, this is a reminder for Tuesday.",
            ["voice"] = "Polly.Joanna",
            ["language"] = "en-US",
            ["phoneNumberId"] = rig.PhoneNumberId,
        });
        Assert.Equal(HttpStatusCode.Created, agent.StatusCode);
        var agentId = (string)(await agent.JsonAsync())["id"]!;
        var to = Numbers.Next("0000");
        var created = await rig.Host.Client.PostAsJsonAsync("/v1/calls", new JsonObject
        {
            ["to"] = to,
            ["agentId"] = agentId,
            ["variables"] = new JsonObject { ["name"] = "Ada & Bob" },
            ["record"] = true,
            ["ringTimeoutSec"] = 25,
            ["maxDurationSec"] = 600,
            ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
        });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var callId = (string)(await created.JsonAsync())["id"]!;

        var (attemptId, sid) = await WaitForDialAsync(rig.Host, callId);
        var (createdSid, dial) = Assert.Single(rig.Front.Created);
        Assert.Equal(sid, createdSid);
        Assert.Equal(201, dial.MockStatus); // the spec-validating mock accepted the request
        Assert.Equal(to, dial["To"]);
        Assert.Equal(TwilioNumber, dial["From"]);
        Assert.Equal(TwilioUrls.Twiml(PublicBase, attemptId), dial["Url"]);
        Assert.Equal(TwilioUrls.Status(PublicBase, attemptId), dial["StatusCallback"]);
        Assert.Equal(["initiated", "ringing", "answered", "completed"], dial.Form.Where(kv => kv.Key == "StatusCallbackEvent").Select(kv => kv.Value));
        Assert.Equal("25", dial["Timeout"]);
        Assert.Equal("600", dial["TimeLimit"]);
        Assert.Equal("true", dial["Record"]);
        Assert.Equal(TwilioUrls.Recording(PublicBase, attemptId), dial["RecordingStatusCallback"]);
        Assert.Null(dial["MachineDetection"]);
        Assert.StartsWith("Basic ", dial.Authorization, StringComparison.Ordinal);

        // Twilio fetches the TwiML once the callee answers.
        var twimlPath = $"{TwilioUrls.Prefix}/{attemptId}/twiml";
        var twiml = await PostSignedAsync(rig.Host, twimlPath, Callback(sid, "in-progress", 0));
        Assert.Equal(HttpStatusCode.OK, twiml.StatusCode);
        var xml = XDocument.Parse(await twiml.Content.ReadAsStringAsync());
        var say = xml.Root!.Element("Say")!;
        Assert.Equal("Hello Ada & Bob, this is a reminder for Tuesday.", say.Value);
        Assert.Equal("Polly.Joanna", (string?)say.Attribute("voice"));
        Assert.Equal("en-US", (string?)say.Attribute("language"));
        Assert.NotNull(xml.Root.Element("Hangup"));

        await DriveAsync(rig.Host, attemptId, sid, "completed", ("CallDuration", "42"));
        var recording = await PostSignedAsync(rig.Host, $"{TwilioUrls.Prefix}/{attemptId}/recording",
        [
            new("AccountSid", TwilioMock.AccountSid), new("CallSid", sid), new("RecordingSid", "RE" + new string('1', 32)),
            new("RecordingStatus", "completed"), new("RecordingUrl", $"https://api.twilio.com/2010-04-01/Accounts/{TwilioMock.AccountSid}/Recordings/RE{new string('1', 32)}"),
            new("RecordingDuration", "41"), new("RecordingChannels", "1"), new("RecordingSource", "RecordVerb"),
        ]);
        Assert.True(recording.IsSuccessStatusCode, $"recording callback: {(int)recording.StatusCode}");

        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal("answered", (string?)ended["outcome"]);
        Assert.Equal("twilio", (string?)ended["outcomeDetail"]!["provider"]);
        Assert.Equal("completed", (string?)ended["outcomeDetail"]!["providerStatus"]);
        Assert.Equal(42, (int?)ended["outcomeDetail"]!["durationSec"]);
        var attempt = (await rig.Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/attempts"))!["data"]![0]!;
        Assert.EndsWith($"/Recordings/RE{new string('1', 32)}", (string?)attempt["recordingUrl"], StringComparison.Ordinal);
        Assert.Equal("42", (string?)attempt["providerRaw"]!["CallDuration"]);
        rig.AssertAllAcceptedByTheSpec();
    }

    [Theory]
    [InlineData("completed", "machine_end_beep", null, "voicemail")]
    [InlineData("busy", null, null, "busy")]
    [InlineData("no-answer", null, null, "no_answer")]
    [InlineData("failed", null, "404", "invalid_number")]
    [InlineData("failed", null, "603", "rejected")]
    [InlineData("failed", null, "480", "unreachable")]
    [InlineData("failed", null, "503", "error")]
    public async Task SignedCallbacks_DriveATwilioCall_ToEachOutcome(string status, string? answeredBy, string? sip, string outcome)
    {
        await using var rig = await StartAsync();
        var callId = await NewCallAsync(rig.Host);
        var (attemptId, sid) = await WaitForDialAsync(rig.Host, callId);
        var final = new List<(string, string)>();
        if (answeredBy is not null)
        {
            final.Add(("AnsweredBy", answeredBy));
            final.Add(("CallDuration", "17"));
        }
        if (sip is not null)
        {
            final.Add(("SipResponseCode", sip));
        }
        await DriveAsync(rig.Host, attemptId, sid, status, [.. final]);
        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal(outcome, (string?)ended["outcome"]);
        Assert.Equal(status, (string?)ended["outcomeDetail"]!["providerStatus"]);
        if (sip is not null)
        {
            Assert.Equal(int.Parse(sip, CultureInfo.InvariantCulture), (int?)ended["outcomeDetail"]!["sipCode"]);
        }
    }

    [Fact]
    public async Task ForgedOrUnsignedCallbacks_Get403_AndChangeNothing()
    {
        await using var rig = await StartAsync();
        var callId = await NewCallAsync(rig.Host);
        var (attemptId, sid) = await WaitForDialAsync(rig.Host, callId, front: rig.Front);
        var path = $"{TwilioUrls.Prefix}/{attemptId}/status";
        var completed = Callback(sid, "completed", 5, ("CallDuration", "9"));

        Assert.Equal(HttpStatusCode.Forbidden, (await PostSignedAsync(rig.Host, path, completed, sign: false)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostSignedAsync(rig.Host, path, completed, signUrl: "https://evil.example.test" + path)).StatusCode);
        var tampered = new HttpRequestMessage(HttpMethod.Post, new Uri(rig.Host.BaseAddress, path))
        {
            Content = new FormUrlEncodedContent(completed.Select(kv => kv.Key == "CallStatus" ? new KeyValuePair<string, string>(kv.Key, "busy") : kv)),
        };
        tampered.Headers.Add(TwilioSignature.Header, await TwilioNode.SignatureAsync(TwilioMock.AuthToken, PublicBase + path, completed));
        using (var client = rig.Host.NewClient(null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(tampered)).StatusCode);
        }

        var call = (await rig.Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}"))!;
        Assert.Equal("dialing", (string?)call["status"]);
        Assert.Null(call["outcome"]);
    }

    /// <summary>A server using <paramref name="front"/> whose reconciler looks at attempts quiet for 1 s, every 200 ms; with the Twilio number.</summary>
    private static async Task<OutdialHost> StartWithQuickReconcilerAsync(TwilioFront front)
    {
        var settings = Settings(front);
        settings["Outdial:Reconciler:Interval"] = "00:00:00.200";
        settings["Outdial:Reconciler:StaleAfter"] = "00:00:01";
        var host = await OutdialHost.StartAsync(settings);
        Assert.Equal(HttpStatusCode.Created, (await host.Client.PostAsJsonAsync("/v1/phone-numbers",
            new JsonObject { ["number"] = TwilioNumber, ["provider"] = "twilio" })).StatusCode);
        return host;
    }

    [Fact]
    public async Task CallbackLostDuringARestart_IsRecoveredByTheReconciler()
    {
        var front = await TwilioFront.StartAsync(mock.Url);
        await using var _ = front;
        var host = await OutdialHost.StartAsync(Settings(front));
        var dataDir = host.DataDirectory;
        var created = await host.Client.PostAsJsonAsync("/v1/phone-numbers", new JsonObject { ["number"] = TwilioNumber, ["provider"] = "twilio" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var callId = await NewCallAsync(host);
        var (attemptId, sid) = await WaitForDialAsync(host, callId);
        var path = $"{TwilioUrls.Prefix}/{attemptId}/status";
        Assert.Equal(HttpStatusCode.NoContent, (await PostSignedAsync(host, path, Callback(sid, "ringing", 1))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await PostSignedAsync(host, path, Callback(sid, "in-progress", 2))).StatusCode);
        await host.WaitForCallAsync(callId, c => (string?)c["status"] == "in_progress");

        // Outdial goes down; meanwhile the call ends and Twilio's completed callback (retried for ~15 s) is lost.
        await host.StopKeepingDataAsync();
        var end = DateTimeOffset.UtcNow;
        front.SetState(sid, ("status", "completed"), ("answered_by", "human"), ("duration", "31"),
            ("start_time", TwilioMock.Rfc2822(end.AddSeconds(-31))), ("end_time", TwilioMock.Rfc2822(end)));

        // On start, the reconciler looks up every attempt left open by the earlier process.
        await using var restarted = await OutdialHost.StartAsync(Settings(front, dataDir));
        var ended = await restarted.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal("answered", (string?)ended["outcome"]);
        Assert.Equal(31, (int?)ended["outcomeDetail"]!["durationSec"]);
        var fetch = front.Requests.Last(r => r.Method == "GET" && r.Path.EndsWith($"/Calls/{sid}.json", StringComparison.Ordinal));
        Assert.Equal(200, fetch.MockStatus); // the lookup is a request the official spec accepts
    }

    [Fact]
    public async Task RecordingCallbackLost_TheReconcilerFetchesTheRecording_AndAsksOnlyOnce_NeverForCallsWithoutRecording()
    {
        var front = await TwilioFront.StartAsync(mock.Url);
        await using var _ = front;
        await using var host = await StartWithQuickReconcilerAsync(front);
        async Task<(string CallId, string AttemptId, string Sid)> EndedAsync(bool record, string to)
        {
            var created = await host.Client.PostAsJsonAsync("/v1/calls", new JsonObject
            {
                ["to"] = to,
                ["from"] = TwilioNumber,
                ["record"] = record,
                ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
            });
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
            var callId = (string)(await created.JsonAsync())["id"]!;
            var (attemptId, sid) = await WaitForDialAsync(host, callId, front: front);
            await DriveAsync(host, attemptId, sid, "completed", ("CallDuration", "41"));
            await host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
            return (callId, attemptId, sid);
        }
        JsonObject? AttemptOf(JsonObject attempts, string attemptId) =>
            attempts["data"]!.AsArray().OfType<JsonObject>().SingleOrDefault(a => (string?)a["id"] == attemptId);

        // Recorded; Twilio's recording callback never arrives (Outdial was unreachable): the mock lists one completed recording.
        var lost = await EndedAsync(true, Numbers.Next("0000"));
        // Recorded, but Twilio has no finished recording (too short, or absent): asked once, then left alone.
        var none = await EndedAsync(true, Numbers.Next("0000"));
        front.SetRecordings(none.Sid, ("RE" + new string('2', 32), "absent"));
        // Not recorded: never asked.
        var plain = await EndedAsync(false, Numbers.Next("0000"));

        var deadline = DateTime.UtcNow.AddSeconds(30);
        string? url = null;
        while (url is null && DateTime.UtcNow < deadline)
        {
            url = (string?)AttemptOf((await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{lost.CallId}/attempts"))!, lost.AttemptId)?["recordingUrl"];
            await Task.Delay(50);
        }
        Assert.Equal($"{front.BaseUrl.TrimEnd('/')}/2010-04-01/Accounts/{TwilioMock.AccountSid}/Recordings/RE{new string('a', 32)}", url);
        while (front.Requests.All(r => !r.Path.EndsWith($"/Calls/{none.Sid}/Recordings.json", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        // Several more reconciler rounds: nobody is asked again.
        await Task.Delay(1500);
        List<TwilioRequest> Asked(string sid) => [.. front.Requests.Where(r => r.Path.EndsWith($"/Calls/{sid}/Recordings.json", StringComparison.Ordinal))];
        Assert.Equal(200, Assert.Single(Asked(lost.Sid)).MockStatus); // a request the official spec accepts
        Assert.Single(Asked(none.Sid));
        Assert.Empty(Asked(plain.Sid));
        Assert.Null(AttemptOf((await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{none.CallId}/attempts"))!, none.AttemptId)!["recordingUrl"]);
    }

    [Fact]
    public async Task CancelingADialingCall_HangsItUpThroughTwilio()
    {
        await using var rig = await StartAsync();
        var callId = await NewCallAsync(rig.Host);
        var (_, sid) = await WaitForDialAsync(rig.Host, callId);
        var cancel = await rig.Host.Client.PostAsync($"/v1/calls/{callId}/cancel", null);
        Assert.True(cancel.IsSuccessStatusCode, $"cancel: {(int)cancel.StatusCode}");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        TwilioRequest? hangUp = null;
        while (hangUp is null && DateTime.UtcNow < deadline)
        {
            hangUp = rig.Front.Requests.FirstOrDefault(r => r.Method == "POST" && r.Path.EndsWith($"/Calls/{sid}.json", StringComparison.Ordinal));
            await Task.Delay(25);
        }
        Assert.NotNull(hangUp);
        Assert.Contains(hangUp["Status"], new[] { "canceled", "completed" });
        rig.AssertAllAcceptedByTheSpec();
    }

    /// <summary>Sends one dialect's request naming the Twilio number (or an agent that uses it); returns the new call's id.</summary>
    private static async Task<string> TriggerThroughDialectAsync(Rig rig, string dialect, string to)
    {
        var native = rig.Host.Client;
        var key = OutdialHost.BootstrapKey;
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var agent = await native.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Twilio " + dialect + " " + suffix,
            ["key"] = "tw-" + suffix,
            ["firstMessage"] = "Hi {firstName}",
            ["variables"] = new JsonArray(new JsonObject { ["name"] = "firstName", ["required"] = false, ["default"] = "there" }),
            ["phoneNumberId"] = rig.PhoneNumberId,
        });
        Assert.Equal(HttpStatusCode.Created, agent.StatusCode);
        var agentId = (string)(await agent.JsonAsync())["id"]!;
        var aliases = await native.PatchAsJsonAsync("/v1/account", new JsonObject
        {
            ["aliases"] = new JsonObject { ["dburl"] = "db-" + suffix, ["teamId"] = "team-" + suffix, ["tenant"] = "tenant-" + suffix },
        });
        Assert.Equal(HttpStatusCode.OK, aliases.StatusCode);
        using var anonymous = rig.Host.NewClient(null);
        switch (dialect)
        {
            case "vodex":
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/trigger-call")
                {
                    Content = JsonContent.Create(new JsonObject
                    {
                        ["callList"] = new JsonArray(new JsonObject { ["firstName"] = "Ada", ["lastName"] = "L", ["phone"] = to }),
                        ["projectId"] = "tw-" + suffix,
                        ["consentForCalls"] = true,
                    }),
                };
                request.Headers.TryAddWithoutValidation("Authorization", key);
                request.Headers.TryAddWithoutValidation("dburl", "db-" + suffix);
                var response = await anonymous.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return (string)(await response.JsonAsync())["data"]!["callIds"]![0]!;
            }
            case "talkover":
            {
                var campaign = await native.PostAsJsonAsync("/v1/campaigns", new JsonObject
                {
                    ["name"] = "tw-" + suffix,
                    ["agentId"] = agentId,
                    ["callerIds"] = new JsonArray(rig.PhoneNumberId),
                    ["retry"] = new JsonObject { ["maxAttempts"] = 1 },
                });
                Assert.Equal(HttpStatusCode.Created, campaign.StatusCode);
                var campaignId = (string)(await campaign.JsonAsync())["id"]!;
                Assert.True((await native.PostAsync($"/v1/campaigns/{campaignId}/activate", null)).IsSuccessStatusCode);
                var response = await native.PostAsJsonAsync($"/api/v1/campaigns/{campaignId}/call", new JsonObject
                {
                    ["to"] = to,
                    ["payload"] = new JsonObject { ["firstName"] = "Ada" },
                });
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                return (string)(await response.JsonAsync())["campaign_call"]!["id"]!;
            }
            case "ivr":
            {
                var response = await anonymous.PostAsJsonAsync("/v2/call", new JsonObject
                {
                    ["Project"] = "p",
                    ["Tenant"] = "tenant-" + suffix,
                    ["ConversationId"] = "conv-" + suffix,
                    ["AccessToken"] = key,
                    ["ScenarioPath"] = "tw-" + suffix,
                    ["OrchestratorUrl"] = "https://orchestrator.example.com/api",
                    ["ScenarioInputParameters"] = new JsonArray(
                        new JsonObject { ["Name"] = "_DisplayNumber", ["Value"] = "twilio-main" },
                        new JsonObject { ["Name"] = "_Destination", ["Value"] = to },
                        new JsonObject { ["Name"] = "firstName", ["Value"] = "Ada" }),
                });
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return (string)(await response.JsonAsync())["UniqueId"]!;
            }
            case "buildvoice":
            {
                var response = await native.PostAsJsonAsync("/api/v1/calls/trigger", new JsonObject { ["phone_number"] = to, ["agent_id"] = agentId, ["name"] = "Ada" });
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return (string)(await response.JsonAsync())["call_id"]!;
            }
            case "aicaller":
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/phoneCalls")
                {
                    Content = JsonContent.Create(new JsonObject
                    {
                        ["teamId"] = "team-" + suffix,
                        ["callTemplateId"] = "tw-" + suffix,
                        ["nameOfHuman"] = "Ada",
                        ["toPhoneNumber"] = to,
                        ["promptVariableValues"] = new JsonArray(new JsonObject { ["key"] = "firstName", ["value"] = "Ada" }),
                        ["telephonyProvider"] = "twilio", // selects the account's Twilio number
                    }),
                };
                request.Headers.Add("aicaller-api-key", key);
                var response = await anonymous.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return (string)(await response.JsonAsync())["data"]!["_id"]!;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(dialect));
        }
    }

    [Theory]
    [InlineData("vodex")]
    [InlineData("talkover")]
    [InlineData("ivr")]
    [InlineData("buildvoice")]
    [InlineData("aicaller")]
    public async Task EachDialect_CallGoesOutThroughTwilio_AndSignedCallbacksEndIt(string dialect)
    {
        await using var rig = await StartAsync();
        var to = Numbers.Next("0000");
        var callId = await TriggerThroughDialectAsync(rig, dialect, to);
        var (attemptId, sid) = await WaitForDialAsync(rig.Host, callId, front: rig.Front);
        var (_, dial) = Assert.Single(rig.Front.Created);
        Assert.Equal(201, dial.MockStatus);
        Assert.Equal(to, dial["To"]);
        Assert.Equal(TwilioNumber, dial["From"]);

        var twiml = await PostSignedAsync(rig.Host, $"{TwilioUrls.Prefix}/{attemptId}/twiml", Callback(sid, "in-progress", 0));
        // The account's default agent converses: its greeting (disclosures, then the first message) goes to ConversationRelay.
        // BuildVoiceAI passes only name and email: the agent's default for firstName is said.
        var relay = XDocument.Parse(await twiml.Content.ReadAsStringAsync()).Root!.Element("Connect")!.Element("ConversationRelay")!;
        Assert.Equal(TwilioUrls.Relay(PublicBase, attemptId), (string?)relay.Attribute("url"));
        Assert.EndsWith(dialect == "buildvoice" ? "Hi there" : "Hi Ada", (string?)relay.Attribute("welcomeGreeting"), StringComparison.Ordinal);
        await DriveAsync(rig.Host, attemptId, sid, "busy");
        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal("busy", (string?)ended["outcome"]);
        Assert.Equal("twilio", (string?)ended["provider"]);
        rig.AssertAllAcceptedByTheSpec();
    }

    [Fact]
    public async Task InvalidNumberError_EndsTheCallInvalidNumber_WithoutADialAtTwilio()
    {
        await using var rig = await StartAsync();
        rig.Front.FailNextCreate(400, 21211, "The 'To' number +10010010000 is not a valid phone number.");
        var callId = await NewCallAsync(rig.Host);
        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal("invalid_number", (string?)ended["outcome"]);
        Assert.Empty(rig.Front.Created);
    }

    [Fact]
    public async Task AuthenticationError_IsAProviderConfigurationError_OnTheCallAndInHealth_UntilADialSucceeds()
    {
        await using var rig = await StartAsync();
        using var anonymous = rig.Host.NewClient(null);
        var healthy = await anonymous.GetFromJsonAsync<JsonObject>("/health");
        Assert.Equal("ok", (string?)healthy!["status"]);
        Assert.Equal("ok", (string?)healthy["providers"]!["twilio"]!["status"]);

        rig.Front.FailNextCreate(401, 20003, "Authenticate");
        var callId = await NewCallAsync(rig.Host);
        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal("error", (string?)ended["outcome"]);
        Assert.Equal("provider_configuration", (string?)ended["outcomeDetail"]!["providerStatus"]);
        var attempt = (await rig.Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/attempts"))!["data"]![0]!;
        Assert.Contains("20003", (string?)attempt["error"], StringComparison.Ordinal);
        Assert.Contains("Authenticate", (string?)attempt["error"], StringComparison.Ordinal);
        var degraded = (await anonymous.GetFromJsonAsync<JsonObject>("/health"))!;
        Assert.Equal("degraded", (string?)degraded["status"]);
        Assert.Equal("misconfigured", (string?)degraded["providers"]!["twilio"]!["status"]);
        Assert.Equal(20003, (int?)degraded["providers"]!["twilio"]!["code"]);
        Assert.DoesNotContain("Authenticate", degraded.ToJsonString(), StringComparison.Ordinal); // the message stays on the call

        await WaitForDialAsync(rig.Host, await NewCallAsync(rig.Host), front: rig.Front);
        Assert.Equal("ok", (string?)(await anonymous.GetFromJsonAsync<JsonObject>("/health"))!["status"]);
    }

    [Fact]
    public async Task AnsweringMachine_GetsTheAgentsVoicemailMessage_ThroughAnUpdateTheSpecAccepts_AndEndsVoicemail()
    {
        await using var rig = await StartAsync();
        var agent = await rig.Host.Client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Twilio AMD " + Guid.NewGuid().ToString("N")[..6],
            ["firstMessage"] = "Hello {name}.",
            ["voicemailMessage"] = "Sorry we missed you, {name}. Call us back.",
            ["answeringMachineDetection"] = "detect_message_end",
            ["phoneNumberId"] = rig.PhoneNumberId,
        });
        Assert.Equal(HttpStatusCode.Created, agent.StatusCode);
        var created = await rig.Host.Client.PostAsJsonAsync("/v1/calls", new JsonObject
        {
            ["to"] = Numbers.Next("0000"),
            ["agentId"] = (string)(await agent.JsonAsync())["id"]!,
            ["variables"] = new JsonObject { ["name"] = "Ada" },
            ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
        });
        var callId = (string)(await created.JsonAsync())["id"]!;
        var (attemptId, sid) = await WaitForDialAsync(rig.Host, callId, front: rig.Front);
        var (_, dial) = Assert.Single(rig.Front.Created);
        Assert.Equal("DetectMessageEnd", dial["MachineDetection"]);
        Assert.Equal("true", dial["AsyncAmd"]);
        Assert.Equal(TwilioUrls.Amd(PublicBase, attemptId), dial["AsyncAmdStatusCallback"]);

        var status = $"{TwilioUrls.Prefix}/{attemptId}/status";
        Assert.Equal(HttpStatusCode.NoContent, (await PostSignedAsync(rig.Host, status, Callback(sid, "ringing", 1))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await PostSignedAsync(rig.Host, status, Callback(sid, "in-progress", 2))).StatusCode);
        var amd = await PostSignedAsync(rig.Host, $"{TwilioUrls.Prefix}/{attemptId}/amd",
        [
            new("AccountSid", TwilioMock.AccountSid), new("CallSid", sid), new("AnsweredBy", "machine_end_beep"),
            new("MachineDetectionDuration", "4200"),
        ]);
        Assert.Equal(HttpStatusCode.NoContent, amd.StatusCode);

        // Outdial redirected the live call to the voicemail message (Twilio "Update a Call" with Twiml).
        var update = Assert.Single(rig.Front.Requests, r => r.Method == "POST" && r.Path.EndsWith($"/Calls/{sid}.json", StringComparison.Ordinal));
        // The message carries the disclosures: identity and AI voice first, the callback number last (47 CFR 64.1200(b)).
        var say = XDocument.Parse(update["Twiml"]!).Root!.Element("Say")!;
        Assert.StartsWith("This is an automated call from ", say.Value, StringComparison.Ordinal);
        Assert.Contains(" Sorry we missed you, Ada. Call us back. You can reach ", say.Value, StringComparison.Ordinal);
        Assert.EndsWith(" at 500-555-0006.", say.Value, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await PostSignedAsync(rig.Host, status, Callback(sid, "completed", 3, ("CallDuration", "12")))).StatusCode);
        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal("voicemail", (string?)ended["outcome"]);
        Assert.Equal("machine", (string?)ended["outcomeDetail"]!["answeredBy"]);
        rig.AssertAllAcceptedByTheSpec();
    }

    [Fact]
    public async Task Dials_ArePacedBelowTheTwilioAccountsCallsPerSecond()
    {
        var front = await TwilioFront.StartAsync(mock.Url);
        await using var _ = front;
        var settings = Settings(front);
        settings["Outdial:Twilio:CallsPerSecond"] = "2"; // one dial every 500 ms across the account, whatever each number allows
        await using var host = await OutdialHost.StartAsync(settings);
        var numbers = new[] { "+15005550006", "+15005550007" };
        foreach (var number in numbers)
        {
            var pn = await host.Client.PostAsJsonAsync("/v1/phone-numbers", new JsonObject { ["number"] = number, ["provider"] = "twilio", ["callsPerSecond"] = 50 });
            Assert.Equal(HttpStatusCode.Created, pn.StatusCode);
        }
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await NewCallAsync(host, numbers[i % 2]));
        }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (front.Created.Count < 4 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(25);
        }
        Assert.Equal(4, front.Created.Count);
        // When each dial was decided (the attempt's creation, just before its request): the pacer's own clock, so the check does
        // not depend on how fast the requests travelled on a loaded machine.
        var times = new List<DateTime>();
        foreach (var id in ids)
        {
            times.Add((DateTime)(await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]![0]!["createdAt"]!);
        }
        times.Sort();
        for (var i = 1; i < times.Count; i++)
        {
            Assert.True(times[i] - times[i - 1] >= TimeSpan.FromMilliseconds(490), $"dials {i - 1} and {i} were {(times[i] - times[i - 1]).TotalMilliseconds} ms apart");
        }
    }

    [Fact]
    public async Task AicallerSeedExample_AsPublished_GoesOutThroughTwilio()
    {
        var front = await TwilioFront.StartAsync(mock.Url);
        await using var _ = front;
        await using var receiver = await WebhookReceiver.StartAsync();
        var settings = Settings(front);
        foreach (var (k, v) in WebhookTests.Loopback)
        {
            settings[k] = v;
        }
        await using var host = await OutdialHost.StartAsync(settings);
        const string vendorId = "363573667364666473667332"; // the seed's teamId, phoneNumberId and callTemplateId
        var (_, native) = await host.NewTenantAsync();
        Assert.Equal(HttpStatusCode.OK, (await native.PatchAsJsonAsync("/v1/account",
            new JsonObject { ["aliases"] = new JsonObject { ["teamId"] = vendorId } })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await native.PostAsJsonAsync("/v1/phone-numbers",
            new JsonObject { ["number"] = "+1234567890", ["label"] = vendorId, ["provider"] = "twilio" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await native.PostAsJsonAsync("/v1/agents",
            new JsonObject { ["name"] = "Seed template", ["key"] = vendorId, ["firstMessage"] = "Hi {customer_name}" })).StatusCode);

        // The seed's request body as published; <api-key> goes in the header, and the webhook URL (hooks.abc.com, which does
        // not resolve here and is refused at intake for that) is replaced by a loopback receiver.
        var body = """
            {
              "teamId": "363573667364666473667332",
              "phoneNumberId": "363573667364666473667332",
              "callTemplateId": "363573667364666473667332",
              "nameOfHuman": "John",
              "fromPhoneNumber": "+1234567890",
              "toPhoneNumber": "+1234567890",
              "toEmailAddress": "someone@email.com",
              "status": "queued",
              "telephonyProvider": "twilio",
              "promptVariableValues": [
                {
                  "key": "customer_name",
                  "value": "John"
                }
              ],
              "record": false,
              "callDelayedUntil": "2023-10-12T09:08:00.387Z",
              "phoneCallWebhooks": [
                {
                  "url": "https://hooks.abc.com/",
                  "subscribedEvent": "phoneCall.completed",
                  "secret": "NjUyOTgwMjkpJU0NmY25yzWkJFWDBE12"
                }
              ]
            }
            """.Replace("https://hooks.abc.com/", receiver.Url("/hooks"), StringComparison.Ordinal);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/phoneCalls")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("aicaller-api-key", native.DefaultRequestHeaders.Authorization!.Parameter!);
        using var anonymous = host.NewClient(null);
        var response = await anonymous.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, answer);
        var data = JsonNode.Parse(answer)!["data"]!;
        var callId = (string)data["_id"]!;
        Assert.Equal("twilio", (string?)data["telephonyProvider"]);

        var (_, sid) = await WaitForDialAsync(host, callId, native, front);
        var (createdSid, dial) = Assert.Single(front.Created);
        Assert.Equal(sid, createdSid);
        Assert.Equal("+1234567890", dial["To"]);
        Assert.Equal("+1234567890", dial["From"]);
        Assert.Equal(201, dial.MockStatus);
    }

    [Fact]
    public async Task LostAnswerToACreate_IsResolvedByTheReconciler_FromTwiliosCallList_WithoutASecondDial()
    {
        var front = await TwilioFront.StartAsync(mock.Url);
        await using var _ = front;
        await using var host = await StartWithQuickReconcilerAsync(front);
        front.LoseNextCreateAnswer(502);

        var callId = await NewCallAsync(host);
        // The reconciler finds the call Twilio did create (To, From, created at the attempt's time) and adopts its SID.
        var (attemptId, sid) = await WaitForDialAsync(host, callId, front: front);
        var (createdSid, _) = Assert.Single(front.Created);
        Assert.Equal(createdSid, sid);
        var list = front.Requests.First(r => r.Method == "GET" && r.Path.EndsWith("/Calls.json", StringComparison.Ordinal));
        Assert.Equal(200, list.MockStatus); // the list request is one the official spec accepts

        await DriveAsync(host, attemptId, sid, "completed", ("CallDuration", "7"));
        var ended = await host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal("answered", (string?)ended["outcome"]);
        Assert.Equal(1, (int)ended["attemptCount"]!);
        Assert.Single(front.Created); // never dialed again
    }
}
