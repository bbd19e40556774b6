using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using NSec.Cryptography;
using Outdial.Telephony.Telnyx;
using Outdial.Tests.Shared;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// Calls through the Telnyx provider, end to end over real HTTP: Outdial dials "Telnyx" (<see cref="TelnyxFront"/> in front
/// of the Prism mock of Telnyx's official spec, which validates every request), and webhooks signed with Ed25519 — as Telnyx
/// sends them to the dial's <c>webhook_url</c> — drive the call to its outcome and make Outdial send its Call Control commands.
/// </summary>
[Collection(TelnyxMock.Collection)]
public sealed class TelnyxEndToEndTests(TelnyxMock mock)
{
    internal const string PublicBase = "https://outdial.example.test";
    internal const string TelnyxNumber = "+15005550077";
    internal const string ApiKey = "KEYtelnyxtest";

    internal sealed record Rig(OutdialHost Host, TelnyxFront Front, string PhoneNumberId) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Host.DisposeAsync();
            await Front.DisposeAsync();
        }

        /// <summary>Every request Outdial sent was accepted by the mock's validation of Telnyx's official spec.</summary>
        public void AssertAllAcceptedByTheSpec()
        {
            Assert.NotEmpty(Front.Requests);
            Assert.All(Front.Requests, r => Assert.True(r.MockStatus is >= 200 and < 300, $"{r.Method} {r.Path} -> {r.MockStatus} {r.Body?.ToJsonString()}"));
        }
    }

    internal static Dictionary<string, string> Settings(TelnyxFront front, string? dataDir = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Outdial:Telnyx:ApiKey"] = ApiKey,
            ["Outdial:Telnyx:PublicKey"] = TelnyxFront.PublicKey,
            ["Outdial:Telnyx:ConnectionId"] = "1684641123236054244",
            ["Outdial:Telnyx:BaseUrl"] = front.BaseUrl,
            ["Outdial:Telnyx:CallsPerSecond"] = "50",
            // Prism's first validation of an operation of the 4 MB spec can take seconds on a loaded machine.
            ["Outdial:Telnyx:RequestTimeout"] = "00:01:00",
            ["Outdial:PublicBaseUrl"] = PublicBase,
        };
        if (dataDir is not null)
        {
            settings["Outdial:DataDirectory"] = dataDir;
        }
        return settings;
    }

    internal static async Task<Rig> StartAsync(TelnyxMock mock, Action<Dictionary<string, string>>? change = null)
    {
        var front = await TelnyxFront.StartAsync(mock.Url);
        var settings = Settings(front);
        change?.Invoke(settings);
        var host = await OutdialHost.StartAsync(settings);
        var created = await host.Client.PostAsJsonAsync("/v1/phone-numbers", new JsonObject
        {
            ["number"] = TelnyxNumber,
            ["label"] = "telnyx-main",
            ["provider"] = "telnyx",
            ["callsPerSecond"] = 50,
        });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        return new Rig(host, front, (string)(await created.JsonAsync())["id"]!);
    }

    private static async Task<string> NewCallAsync(OutdialHost host, JsonObject? extra = null)
    {
        var body = new JsonObject
        {
            ["to"] = Numbers.Next("0000"),
            ["from"] = TelnyxNumber,
            ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
        };
        foreach (var (k, v) in extra ?? [])
        {
            body[k] = v?.DeepClone();
        }
        var created = await host.Client.PostAsJsonAsync("/v1/calls", body);
        Assert.True(created.StatusCode == HttpStatusCode.Accepted, await created.Content.ReadAsStringAsync());
        return (string)(await created.JsonAsync())["id"]!;
    }

    /// <summary>Waits until the call's latest attempt has Telnyx's call control id; returns (attempt id, id).</summary>
    internal static async Task<(string AttemptId, string CallControlId)> WaitForDialAsync(OutdialHost host, string callId, HttpClient? client = null)
    {
        client ??= host.Client;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var attempts = (await client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/attempts"))!["data"]!.AsArray();
            if (attempts.LastOrDefault() is JsonObject a && (string?)a["providerCallId"] is { } id)
            {
                Assert.Equal("telnyx", (string?)a["provider"]);
                return ((string)a["id"]!, id);
            }
            await Task.Delay(25);
        }
        throw new TimeoutException($"call {callId} was never dialed through Telnyx: {await client.GetStringAsync($"/v1/calls/{callId}/attempts")}");
    }

    /// <summary>A Telnyx webhook body (schemas CallInitiated, CallAnswered, CallHangup, ... of Telnyx's spec).</summary>
    internal static string Event(string type, string attemptId, string callControlId, JsonObject? payload = null)
    {
        var p = new JsonObject
        {
            ["call_control_id"] = callControlId,
            ["call_leg_id"] = Guid.NewGuid().ToString(),
            ["call_session_id"] = Guid.NewGuid().ToString(),
            ["client_state"] = TelnyxUrls.ClientState(attemptId),
            ["connection_id"] = "1684641123236054244",
            ["from"] = TelnyxNumber,
            ["to"] = "+15551230000",
        };
        foreach (var (k, v) in payload ?? [])
        {
            p[k] = v?.DeepClone();
        }
        return new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["event_type"] = type,
                ["id"] = Guid.NewGuid().ToString(),
                ["occurred_at"] = DateTimeOffset.UtcNow.ToString("O"),
                ["payload"] = p,
                ["record_type"] = "event",
            },
            ["meta"] = new JsonObject { ["attempt"] = 1, ["delivered_to"] = PublicBase },
        }.ToJsonString();
    }

    /// <summary>Posts <paramref name="body"/> to the attempt's webhook URL, signed as Telnyx signs (or as told).</summary>
    internal static async Task<HttpResponseMessage> PostEventAsync(OutdialHost host, string attemptId, string body,
        DateTimeOffset? signedAt = null, Key? key = null, bool sign = true, string? signature = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.BaseAddress, $"{TelnyxUrls.Prefix}/{attemptId}/events"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (sign)
        {
            var (sig, ts) = TelnyxFront.Sign(body, signedAt, key);
            request.Headers.Add(TelnyxSignature.SignatureHeader, signature ?? sig);
            request.Headers.Add(TelnyxSignature.TimestampHeader, ts);
        }
        using var client = host.NewClient(null);
        return await client.SendAsync(request);
    }

    internal static async Task SendAsync(OutdialHost host, string attemptId, string id, string type, JsonObject? payload = null) =>
        Assert.Equal(HttpStatusCode.NoContent, (await PostEventAsync(host, attemptId, Event(type, attemptId, id, payload))).StatusCode);

    internal static async Task<TelnyxRequest> WaitForRequestAsync(TelnyxFront front, Func<TelnyxRequest, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (front.Requests.FirstOrDefault(match) is { } found)
            {
                return found;
            }
            await Task.Delay(25);
        }
        throw new TimeoutException("Outdial never sent the expected request; saw: "
            + string.Join("\n", front.Requests.Select(r => $"{r.Method} {r.Path} -> {r.MockStatus}")));
    }

    [Fact]
    public async Task Dial_SendsTheSpecsDialBody_WithWebhookUrlClientStateAndCommandId()
    {
        await using var rig = await StartAsync(mock);
        var callId = await NewCallAsync(rig.Host, new JsonObject { ["record"] = true });
        var (attemptId, id) = await WaitForDialAsync(rig.Host, callId);

        var (createdId, dial) = Assert.Single(rig.Front.Created);
        Assert.Equal(id, createdId);
        Assert.Equal(200, dial.MockStatus);
        Assert.Equal($"Bearer {ApiKey}", dial.Authorization);
        var body = dial.Body!;
        Assert.Equal($"{PublicBase}/providers/telnyx/calls/{attemptId}/events", (string?)body["webhook_url"]);
        Assert.Equal(TelnyxUrls.ClientState(attemptId), (string?)body["client_state"]);
        Assert.Equal(attemptId, (string?)body["command_id"]);
        Assert.Equal(TelnyxNumber, (string?)body["from"]);
        Assert.Equal("record-from-answer", (string?)body["record"]);
        Assert.Equal("1684641123236054244", (string?)body["connection_id"]);
    }

    public static TheoryData<string[], string?, string, string, int?> Outcomes => new()
    {
        // events before the hang-up, AMD result, hang-up cause + SIP, expected outcome, expected SIP code
        { ["call.initiated"], null, "user_busy/486", "busy", 486 },
        { ["call.initiated"], null, "timeout/", "no_answer", null },
        { ["call.initiated", "call.answered"], null, "normal_clearing/", "answered", null },
        { ["call.initiated", "call.answered"], "machine", "normal_clearing/", "voicemail", null },
        { ["call.initiated", "call.answered"], "human_residence", "normal_clearing/", "answered", null },
        { ["call.initiated"], null, "call_rejected/603", "rejected", 603 },
        { ["call.initiated"], null, "not_found/404", "invalid_number", 404 },
        { ["call.initiated"], null, "unspecified/480", "unreachable", 480 },
        { ["call.initiated"], null, "unspecified/503", "error", 503 },
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public async Task SignedWebhooks_DriveATelnyxCall_ToEachOutcome(string[] before, string? amd, string hangup, string outcome, int? sip)
    {
        await using var rig = await StartAsync(mock);
        var callId = await NewCallAsync(rig.Host);
        var (attemptId, id) = await WaitForDialAsync(rig.Host, callId);
        foreach (var type in before)
        {
            await SendAsync(rig.Host, attemptId, id, type);
        }
        if (amd is not null)
        {
            await SendAsync(rig.Host, attemptId, id, "call.machine.premium.detection.ended", new JsonObject { ["result"] = amd });
        }
        var (cause, sipCause) = (hangup.Split('/')[0], hangup.Split('/')[1]);
        await SendAsync(rig.Host, attemptId, id, "call.hangup", new JsonObject
        {
            ["hangup_cause"] = cause,
            ["hangup_source"] = "callee",
            ["sip_hangup_cause"] = sipCause.Length > 0 ? sipCause : "unspecified",
            ["start_time"] = DateTimeOffset.UtcNow.AddSeconds(-12).ToString("O"),
        });

        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] is "ended" or "scheduled");
        Assert.Equal(outcome, (string?)ended["outcome"]);
        Assert.Equal(cause, (string?)ended["outcomeDetail"]!["providerStatus"]);
        Assert.Equal(sip, (int?)ended["outcomeDetail"]!["sipCode"]);
        rig.AssertAllAcceptedByTheSpec();
    }

    [Fact]
    public async Task Answered_StartsConversationRelay_WithATokenedUrl_AndTheRelayHoldsTheSession()
    {
        await using var rig = await StartAsync(mock);
        var callId = await NewCallAsync(rig.Host);
        var (attemptId, id) = await WaitForDialAsync(rig.Host, callId);
        await SendAsync(rig.Host, attemptId, id, "call.answered");

        var start = await WaitForRequestAsync(rig.Front, r => r.Path.EndsWith("/actions/conversation_relay_start", StringComparison.Ordinal));
        Assert.Equal($"/v2/calls/{id}/actions/conversation_relay_start", start.Path);
        Assert.Equal(200, start.MockStatus);
        var url = (string)start.Body!["url"]!;
        Assert.Equal(TelnyxUrls.Relay(PublicBase, attemptId, ApiKey), url);
        Assert.Equal($"{attemptId}:relay", (string?)start.Body["command_id"]);

        // A wrong or missing token: no socket, nothing changes.
        var (forged, none) = await RelayClient.TryConnectPathAsync(rig.Host, $"{TelnyxUrls.RelayPrefix}/{attemptId}/{TelnyxUrls.RelayToken("KEYother", attemptId)}");
        Assert.Equal((HttpStatusCode.Forbidden, null), (forged, none));
        // The right one: the same frames as Twilio's relay; the engine greets with the agent's first turn.
        var (status, connected) = await RelayClient.TryConnectPathAsync(rig.Host, new Uri(url).AbsolutePath);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, status);
        var relay = connected!;
        await using (relay)
        {
            await relay.SendSetupAsync(id, TelnyxNumber, "+15551230000");
            await relay.SendPromptAsync("Who is this?");
            Assert.NotEmpty(string.Concat(await relay.ReadReplyAsync()));
            await relay.CloseAsync();
        }
        // Telnyx reports the end of the session; Outdial hangs up (nothing to transfer).
        await SendAsync(rig.Host, attemptId, id, "call.conversation.ended", new JsonObject { ["reason"] = "customer_disconnect" });
        var hangUp = await WaitForRequestAsync(rig.Front, r => r.Path.EndsWith("/actions/hangup", StringComparison.Ordinal));
        Assert.Equal(200, hangUp.MockStatus);
        var transcript = await rig.Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/transcript");
        Assert.Contains(transcript!["turns"]!.AsArray(), t => (string?)t!["text"] == "Who is this?");
        rig.AssertAllAcceptedByTheSpec();
    }

    [Theory]
    [InlineData("enable", "detect")]
    [InlineData("detect_message_end", "greeting_end")]
    public async Task MachineVerdict_WithAmdAgent_SpeaksTheVoicemailMessage_ThenHangsUpWhenSpoken(string agentAmd, string telnyxAmd)
    {
        await using var rig = await StartAsync(mock);
        var agent = await rig.Host.Client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Telnyx AMD " + Guid.NewGuid().ToString("N")[..6],
            ["firstMessage"] = "Hi there.",
            ["answeringMachineDetection"] = agentAmd,
            ["voicemailMessage"] = "Please call us back.",
            ["disclosures"] = new JsonObject { ["enabled"] = false },
            ["phoneNumberId"] = rig.PhoneNumberId,
        });
        Assert.True(agent.StatusCode == HttpStatusCode.Created, await agent.Content.ReadAsStringAsync());
        var callId = await NewCallAsync(rig.Host, new JsonObject { ["agentId"] = (string)(await agent.JsonAsync())["id"]! });
        var (attemptId, id) = await WaitForDialAsync(rig.Host, callId);
        Assert.Equal(telnyxAmd, (string?)rig.Front.Created.Single().Request.Body!["answering_machine_detection"]);

        await SendAsync(rig.Host, attemptId, id, "call.answered");
        await SendAsync(rig.Host, attemptId, id, "call.machine.detection.ended", new JsonObject { ["result"] = "machine" });
        if (telnyxAmd == "greeting_end")
        {
            // The message waits for the end of the machine's greeting (the beep).
            await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "in_progress");
            Assert.DoesNotContain(rig.Front.Requests, r => r.Path.Contains("/actions/", StringComparison.Ordinal));
            await SendAsync(rig.Host, attemptId, id, "call.machine.greeting.ended", new JsonObject { ["result"] = "beep_detected" });
        }
        var speak = await WaitForRequestAsync(rig.Front, r => r.Path.EndsWith("/actions/speak", StringComparison.Ordinal));
        Assert.Equal("Please call us back.", (string?)speak.Body!["payload"]);
        Assert.DoesNotContain(rig.Front.Requests, r => r.Path.EndsWith("/actions/conversation_relay_start", StringComparison.Ordinal));
        await SendAsync(rig.Host, attemptId, id, "call.speak.ended", new JsonObject { ["status"] = "completed" });
        await WaitForRequestAsync(rig.Front, r => r.Path.EndsWith("/actions/hangup", StringComparison.Ordinal));
        await SendAsync(rig.Host, attemptId, id, "call.hangup", new JsonObject { ["hangup_cause"] = "normal_clearing", ["sip_hangup_cause"] = "200" });

        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal("voicemail", (string?)ended["outcome"]);
        rig.AssertAllAcceptedByTheSpec();
    }

    [Theory]
    [InlineData("forged")]
    [InlineData("other key")]
    [InlineData("stale")]
    [InlineData("future")]
    [InlineData("missing")]
    [InlineData("replayed to another attempt")]
    public async Task BadSignature_403AndNothingChanges(string how)
    {
        await using var rig = await StartAsync(mock);
        var callId = await NewCallAsync(rig.Host);
        var (attemptId, id) = await WaitForDialAsync(rig.Host, callId);
        var body = Event("call.hangup", attemptId, id, new JsonObject { ["hangup_cause"] = "user_busy", ["sip_hangup_cause"] = "486" });
        using var other = Key.Create(SignatureAlgorithm.Ed25519);

        var response = how switch
        {
            "forged" => await PostEventAsync(rig.Host, attemptId, body, signature: TelnyxFront.Sign(body.Replace("user_busy", "normal_clearing", StringComparison.Ordinal)).Signature),
            "other key" => await PostEventAsync(rig.Host, attemptId, body, key: other),
            "stale" => await PostEventAsync(rig.Host, attemptId, body, signedAt: DateTimeOffset.UtcNow.AddSeconds(-301)),
            "future" => await PostEventAsync(rig.Host, attemptId, body, signedAt: DateTimeOffset.UtcNow.AddSeconds(301)),
            "missing" => await PostEventAsync(rig.Host, attemptId, body, sign: false),
            // Correctly signed, but for another attempt: its client_state does not match the URL's attempt.
            _ => await PostEventAsync(rig.Host, attemptId, Event("call.hangup", "att_someone_else", id, new JsonObject { ["hangup_cause"] = "user_busy" })),
        };

        Assert.Equal(how == "replayed to another attempt" ? HttpStatusCode.NoContent : HttpStatusCode.Forbidden, response.StatusCode);
        var call = await rig.Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}");
        Assert.Equal("dialing", (string?)call!["status"]);
        Assert.Null(call["outcome"]);
    }

    [Fact]
    public async Task OversizedBody_413BeforeAnythingIsRead()
    {
        await using var rig = await StartAsync(mock);
        var callId = await NewCallAsync(rig.Host);
        var (attemptId, id) = await WaitForDialAsync(rig.Host, callId);
        var body = Event("call.hangup", attemptId, id, new JsonObject { ["hangup_cause"] = "user_busy", ["padding"] = new string('x', 1 << 20) });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostEventAsync(rig.Host, attemptId, body)).StatusCode);
        Assert.Equal("dialing", (string?)(await rig.Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}"))!["status"]);
    }

    [Fact]
    public async Task DuplicateAndOutOfOrderWebhooks_NeverMoveTheCallBackwards()
    {
        await using var rig = await StartAsync(mock);
        var callId = await NewCallAsync(rig.Host);
        var (attemptId, id) = await WaitForDialAsync(rig.Host, callId);
        var hangup = new JsonObject { ["hangup_cause"] = "user_busy", ["sip_hangup_cause"] = "486" };

        await SendAsync(rig.Host, attemptId, id, "call.hangup", hangup);
        await SendAsync(rig.Host, attemptId, id, "call.hangup", hangup);
        await SendAsync(rig.Host, attemptId, id, "call.answered"); // late
        await SendAsync(rig.Host, attemptId, id, "call.initiated"); // late

        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] is "ended" or "scheduled");
        Assert.Equal("busy", (string?)ended["outcome"]);
        var events = (await rig.Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/events"))!["data"]!.AsArray();
        Assert.DoesNotContain(events, e => (string?)e!["type"] is "call.answered" or "call.in_progress");
        // A late answer of an ended attempt starts no conversation.
        Assert.DoesNotContain(rig.Front.Requests, r => r.Path.Contains("/actions/", StringComparison.Ordinal) && !r.Path.EndsWith("/hangup", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RecordingSaved_PutsTheUrlOnTheAttempt()
    {
        await using var rig = await StartAsync(mock);
        var callId = await NewCallAsync(rig.Host, new JsonObject { ["record"] = true });
        var (attemptId, id) = await WaitForDialAsync(rig.Host, callId);
        await SendAsync(rig.Host, attemptId, id, "call.answered");
        await SendAsync(rig.Host, attemptId, id, "call.hangup", new JsonObject { ["hangup_cause"] = "normal_clearing" });
        await SendAsync(rig.Host, attemptId, id, "call.recording.saved", new JsonObject
        {
            ["recording_urls"] = new JsonObject { ["mp3"] = "https://s3.telnyx.example/rec.mp3", ["wav"] = "https://s3.telnyx.example/rec.wav" },
            ["channels"] = "dual",
        });

        var deadline = DateTime.UtcNow.AddSeconds(20);
        string? url = null;
        while (url is null && DateTime.UtcNow < deadline)
        {
            var attempts = (await rig.Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/attempts"))!["data"]!.AsArray();
            url = (string?)attempts[^1]!["recordingUrl"];
            await Task.Delay(25);
        }
        Assert.Equal("https://s3.telnyx.example/rec.mp3", url);
    }

    [Fact]
    public async Task HangupWebhookLost_TheReconcilerLooksTheCallUp_AndEndsIt()
    {
        await using var rig = await StartAsync(mock, s =>
        {
            s["Outdial:Reconciler:Interval"] = "00:00:00.200";
            s["Outdial:Reconciler:StaleAfter"] = "00:00:01";
        });
        var callId = await NewCallAsync(rig.Host);
        var (attemptId, id) = await WaitForDialAsync(rig.Host, callId);
        await SendAsync(rig.Host, attemptId, id, "call.answered");
        await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "in_progress");

        // The call ends at Telnyx; its call.hangup never reaches Outdial.
        var end = DateTimeOffset.UtcNow;
        rig.Front.SetState(id, ("is_alive", false), ("end_time", end.ToString("O")), ("call_duration", 23));

        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended", TimeSpan.FromSeconds(60));
        Assert.Equal("answered", (string?)ended["outcome"]);
        Assert.Equal(23, (int?)ended["outcomeDetail"]!["durationSec"]);
        var lookup = rig.Front.Requests.Last(r => r.Method == "GET" && r.Path == $"/v2/calls/{id}");
        Assert.Equal(200, lookup.MockStatus);
    }

    [Fact]
    public async Task AicallerDialect_TelephonyProviderTelnyx_GoesOutThroughTelnyx_AndWebhooksEndIt()
    {
        await using var rig = await StartAsync(mock);
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var agent = await rig.Host.Client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Telnyx aicaller " + suffix,
            ["key"] = "tx-" + suffix,
            ["firstMessage"] = "Hi {firstName}",
            ["variables"] = new JsonArray(new JsonObject { ["name"] = "firstName", ["required"] = false, ["default"] = "there" }),
            ["phoneNumberId"] = rig.PhoneNumberId,
        });
        Assert.Equal(HttpStatusCode.Created, agent.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await rig.Host.Client.PatchAsJsonAsync("/v1/account",
            new JsonObject { ["aliases"] = new JsonObject { ["teamId"] = "team-" + suffix } })).StatusCode);
        var to = Numbers.Next("0000");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/phoneCalls")
        {
            Content = JsonContent.Create(new JsonObject
            {
                ["teamId"] = "team-" + suffix,
                ["callTemplateId"] = "tx-" + suffix,
                ["nameOfHuman"] = "Ada",
                ["toPhoneNumber"] = to,
                ["promptVariableValues"] = new JsonArray(new JsonObject { ["key"] = "firstName", ["value"] = "Ada" }),
                ["telephonyProvider"] = "telnyx",
            }),
        };
        request.Headers.Add("aicaller-api-key", OutdialHost.BootstrapKey);
        using var anonymous = rig.Host.NewClient(null);
        var response = await anonymous.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, answer);
        var data = JsonNode.Parse(answer)!["data"]!;
        Assert.Equal("telnyx", (string?)data["telephonyProvider"]);
        var callId = (string)data["_id"]!;

        var (attemptId, id) = await WaitForDialAsync(rig.Host, callId);
        var (_, dial) = Assert.Single(rig.Front.Created);
        Assert.Equal((to, TelnyxNumber), ((string?)dial.Body!["to"], (string?)dial.Body["from"]));
        await SendAsync(rig.Host, attemptId, id, "call.initiated");
        await SendAsync(rig.Host, attemptId, id, "call.hangup", new JsonObject { ["hangup_cause"] = "no_answer", ["sip_hangup_cause"] = "480" });
        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] is "ended" or "scheduled");
        Assert.Equal("no_answer", (string?)ended["outcome"]);
        rig.AssertAllAcceptedByTheSpec();
    }

    [Fact]
    public async Task NotConfigured_TelnyxNumberAndRequestRefusedClearly_WebhooksAnswer404()
    {
        await using var host = await OutdialHost.StartAsync();

        var number = await host.Client.PostAsJsonAsync("/v1/phone-numbers", new JsonObject { ["number"] = TelnyxNumber, ["provider"] = "telnyx" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, number.StatusCode);
        Assert.Contains("'telnyx' is not configured on this server", await number.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var call = await host.Client.PostAsJsonAsync("/v1/calls", new JsonObject
        {
            ["to"] = Numbers.Next("0000"),
            ["provider"] = "telnyx",
            ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, call.StatusCode);
        Assert.Contains("telephony provider 'telnyx' is not configured", await call.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var body = Event("call.hangup", "att_x", "v3:x");
        Assert.Equal(HttpStatusCode.NotFound, (await PostEventAsync(host, "att_x", body)).StatusCode);
        var (status, _) = await RelayClient.TryConnectPathAsync(host, $"{TelnyxUrls.RelayPrefix}/att_x/{TelnyxUrls.RelayToken(ApiKey, "att_x")}");
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task BadCredentials_DialRefused_AndHealthShowsTelnyxMisconfigured()
    {
        await using var rig = await StartAsync(mock);
        Assert.Equal("ok", (string?)(await rig.Host.Client.GetFromJsonAsync<JsonObject>("/health"))!["providers"]!["telnyx"]!["status"]);
        rig.Front.FailNextDial(401, 10009, "Authentication failed");

        var callId = await NewCallAsync(rig.Host);

        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal("error", (string?)ended["outcome"]);
        Assert.Equal(TelnyxProvider.ConfigurationStatus, (string?)ended["outcomeDetail"]!["providerStatus"]);
        var health = await rig.Host.Client.GetFromJsonAsync<JsonObject>("/health");
        Assert.Equal("degraded", (string?)health!["status"]);
        var telnyx = health["providers"]!["telnyx"]!;
        Assert.Equal(("misconfigured", 10009, 401), ((string?)telnyx["status"], (int?)telnyx["code"], (int?)telnyx["httpStatus"]));
    }
}
