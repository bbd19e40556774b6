using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Outdial.Core.Dispatch;
using Outdial.Telephony.Plivo;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// Calls through the Plivo provider, end to end over real HTTP: Outdial dials "Plivo" (<see cref="PlivoFront"/>, a
/// simulated Plivo account on loopback), and the test plays Plivo's side — fetching the answer XML and posting the ring,
/// hang-up, machine-detection and recording callbacks signed with X-Plivo-Signature-V3 to the public base URL — through the
/// native API and the aicaller dialect.
/// </summary>
public sealed class PlivoEndToEndTests
{
    internal const string PublicBase = "https://outdial.example.test";
    internal const string PlivoNumber = "+14155550100";

    private sealed record Rig(OutdialHost Host, PlivoFront Front, string PhoneNumberId) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Host.DisposeAsync();
            await Front.DisposeAsync();
        }
    }

    internal static Dictionary<string, string> Settings(PlivoFront front) => new()
    {
        ["Outdial:Plivo:AuthId"] = PlivoFront.AuthId,
        ["Outdial:Plivo:AuthToken"] = PlivoFront.AuthToken,
        ["Outdial:Plivo:BaseUrl"] = front.BaseUrl,
        ["Outdial:Plivo:CallsPerSecond"] = "50",
        ["Outdial:PublicBaseUrl"] = PublicBase,
    };

    private static async Task<Rig> StartAsync(TimeProvider? clock = null)
    {
        var front = await PlivoFront.StartAsync();
        var host = await OutdialHost.StartAsync(Settings(front), clock);
        var created = await host.Client.PostAsJsonAsync("/v1/phone-numbers", new JsonObject
        {
            ["number"] = PlivoNumber, ["label"] = "plivo-main", ["provider"] = "plivo", ["callsPerSecond"] = 50,
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return new Rig(host, front, (string)(await created.JsonAsync())["id"]!);
    }

    /// <summary>A message agent on the Plivo number (what Plivo can carry); <paramref name="change"/> adjusts the body.</summary>
    private static async Task<string> NewAgentAsync(Rig rig, Action<JsonObject>? change = null)
    {
        var body = new JsonObject
        {
            ["name"] = "Plivo drop " + Guid.NewGuid().ToString("N")[..6],
            ["key"] = "plivo-" + Guid.NewGuid().ToString("N")[..8],
            ["mode"] = "message",
            ["disclosures"] = new JsonObject { ["enabled"] = false },
            ["firstMessage"] = "Hello {name}, your table is booked for Tuesday.",
            ["phoneNumberId"] = rig.PhoneNumberId,
        };
        change?.Invoke(body);
        var agent = await rig.Host.Client.PostAsJsonAsync("/v1/agents", body);
        Assert.Equal(HttpStatusCode.Created, agent.StatusCode);
        return (string)(await agent.JsonAsync())["id"]!;
    }

    private static async Task<string> NewCallAsync(Rig rig, string agentId, string to, bool record = false)
    {
        var created = await rig.Host.Client.PostAsJsonAsync("/v1/calls", new JsonObject
        {
            ["to"] = to, ["agentId"] = agentId, ["variables"] = new JsonObject { ["name"] = "Ada & Bob" }, ["record"] = record,
            ["ringTimeoutSec"] = 25, ["maxDurationSec"] = 600, ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
        });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        return (string)(await created.JsonAsync())["id"]!;
    }

    /// <summary>Waits until the call's latest attempt carries Plivo's request UUID; returns the attempt id and Plivo's call.</summary>
    private static async Task<(string AttemptId, PlivoCall Call)> WaitForDialAsync(Rig rig, string callId, HttpClient? client = null)
    {
        client ??= rig.Host.Client;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var attempts = (await client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/attempts"))!["data"]!.AsArray();
            if (attempts.LastOrDefault() is JsonObject a && (string?)a["providerCallId"] is { } requestUuid)
            {
                Assert.Equal("plivo", (string?)a["provider"]);
                return ((string)a["id"]!, Assert.Single(rig.Front.Calls, c => c.RequestUuid == requestUuid));
            }
            await Task.Delay(25);
        }
        throw new TimeoutException($"call {callId} was never dialed through Plivo: {await client.GetStringAsync($"/v1/calls/{callId}")}");
    }

    /// <summary>The parameters Plivo sends with every call request (Plivo "XML request") plus <paramref name="extra"/>.</summary>
    private static List<KeyValuePair<string, string>> Form(PlivoCall call, string status, string @event, params (string, string)[] extra)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("ALegRequestUUID", call.RequestUuid), new("ALegUUID", call.CallUuid), new("CallStatus", status), new("CallUUID", call.CallUuid),
            new("Direction", "outbound"), new("Event", @event), new("From", (string)call.Create["from"]!), new("RequestUUID", call.RequestUuid),
            new("To", (string)call.Create["to"]!),
        };
        form.AddRange(extra.Select(e => new KeyValuePair<string, string>(e.Item1, e.Item2)));
        return form;
    }

    private static string Path(string attemptId, string leaf) => $"{PlivoUrls.Prefix}/{attemptId}/{leaf}";

    private static async Task PostOkAsync(OutdialHost host, string path, List<KeyValuePair<string, string>> form)
    {
        var response = await PlivoFront.PostSignedAsync(host, path, form);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
    }

    private static async Task<JsonObject> AttemptAsync(OutdialHost host, string callId) =>
        (JsonObject)(await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/attempts"))!["data"]!.AsArray()[^1]!;

    [Fact]
    public async Task NativeCall_MessageDrop_DialsPlivo_AnswerXmlSpeaksAndRecords_SignedHangupEndsItAnswered()
    {
        await using var rig = await StartAsync();
        var agentId = await NewAgentAsync(rig);
        var to = Numbers.Next("0700");
        var callId = await NewCallAsync(rig, agentId, to, record: true);

        var (attemptId, call) = await WaitForDialAsync(rig, callId);
        var dial = call.Create;
        Assert.Equal(to[1..], (string?)dial["to"]);
        Assert.Equal(PlivoNumber[1..], (string?)dial["from"]);
        Assert.Equal(PlivoUrls.Answer(PublicBase, attemptId), (string?)dial["answer_url"]);
        Assert.Equal("POST", (string?)dial["answer_method"]);
        Assert.Equal(PlivoUrls.Ring(PublicBase, attemptId), (string?)dial["ring_url"]);
        Assert.Equal(PlivoUrls.Hangup(PublicBase, attemptId), (string?)dial["hangup_url"]);
        Assert.Equal(25, (int?)dial["ring_timeout"]);
        Assert.Equal(600, (int?)dial["time_limit"]);
        Assert.Null(dial["machine_detection"]);

        await PostOkAsync(rig.Host, Path(attemptId, "ring"), Form(call, "ringing", "Ring"));
        var answer = await PlivoFront.PostSignedAsync(rig.Host, Path(attemptId, "answer"), Form(call, "in-progress", "StartApp"));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.StartsWith("text/xml", answer.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        var xml = XElement.Parse(await answer.Content.ReadAsStringAsync());
        Assert.Equal(["Record", "Speak", "Hangup"], xml.Elements().Select(e => e.Name.LocalName));
        Assert.Equal(PlivoUrls.Recording(PublicBase, attemptId), (string?)xml.Element("Record")!.Attribute("callbackUrl"));
        Assert.Equal("true", (string?)xml.Element("Record")!.Attribute("recordSession"));
        Assert.Equal("Hello Ada & Bob, your table is booked for Tuesday.", xml.Element("Speak")!.Value);
        Assert.Equal("WOMAN", (string?)xml.Element("Speak")!.Attribute("voice"));
        await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "in_progress");

        await PostOkAsync(rig.Host, Path(attemptId, "hangup"), Form(call, "completed", "Hangup", ("Duration", "42"), ("BillDuration", "60"),
            ("HangupCause", "NORMAL_CLEARING"), ("HangupCauseCode", "4000"), ("HangupCauseName", "Normal Hangup"), ("HangupSource", "Callee"),
            ("AnswerTime", "2026-11-21 12:00:05"), ("EndTime", "2026-11-21 12:00:47")));
        await PostOkAsync(rig.Host, Path(attemptId, "recording"),
        [
            new("api_id", "c7b69074-58be-11e1-86da-adf28403fe48"), new("call_uuid", call.CallUuid),
            new("record_url", $"https://media.plivo.com/v1/Account/{PlivoFront.AuthId}/Recording/rec-1.mp3"), new("recording_id", "rec-1"),
            new("recording_duration", "41"), new("recording_duration_ms", "41200.00000"), new("recording_start_ms", "1795262405000.00000"),
            new("recording_end_ms", "1795262446200.00000"),
        ]);

        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal("answered", (string?)ended["outcome"]);
        Assert.Equal("plivo", (string?)ended["outcomeDetail"]!["provider"]);
        Assert.Equal(42, (int?)ended["outcomeDetail"]!["durationSec"]);
        Assert.Equal(16, (int?)ended["outcomeDetail"]!["q850Code"]);
        var attempt = await AttemptAsync(rig.Host, callId);
        Assert.Equal(call.RequestUuid, (string?)attempt["providerCallId"]);
        Assert.EndsWith("/Recording/rec-1.mp3", (string?)attempt["recordingUrl"], StringComparison.Ordinal);
        Assert.Equal("4000", (string?)attempt["providerRaw"]!["HangupCauseCode"]);
        Assert.Equal(call.CallUuid, (string?)attempt["providerRaw"]!["CallUUID"]);
        Assert.All(rig.Front.Requests, r => Assert.Equal(
            "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{PlivoFront.AuthId}:{PlivoFront.AuthToken}")), r.Authorization));
    }

    [Theory]
    [InlineData("busy", "3000", "Busy Line", "USER_BUSY", "busy")]
    [InlineData("no-answer", "3010", "No Answer", "NO_ANSWER", "no_answer")]
    [InlineData("failed", "2000", "Invalid Destination Address", "UNALLOCATED_NUMBER", "invalid_number")]
    [InlineData("failed", "2010", "Destination Out Of Service", "", "unreachable")]
    [InlineData("failed", "", "", "CALL_REJECTED", "rejected")]
    [InlineData("failed", "1010", "Canceled (Out Of Credits)", "", "error")]
    [InlineData("cancel", "1000", "Canceled", "ORIGINATOR_CANCEL", "no_answer")]
    public async Task SignedHangupCallbacks_MapEachPlivoCause_ToItsOutcome(string status, string code, string name, string cause, string outcome)
    {
        await using var rig = await StartAsync();
        var callId = await NewCallAsync(rig, await NewAgentAsync(rig), Numbers.Next("0701"));
        var (attemptId, call) = await WaitForDialAsync(rig, callId);
        await PostOkAsync(rig.Host, Path(attemptId, "ring"), Form(call, "ringing", "Ring"));
        var extra = new List<(string, string)> { ("Duration", "0"), ("BillDuration", "0"), ("HangupSource", "Carrier") };
        foreach (var (key, value) in new[] { ("HangupCauseCode", code), ("HangupCauseName", name), ("HangupCause", cause) })
        {
            if (value.Length > 0)
            {
                extra.Add((key, value));
            }
        }

        await PostOkAsync(rig.Host, Path(attemptId, "hangup"), Form(call, status, "Hangup", [.. extra]));

        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal(outcome, (string?)ended["outcome"]);
        Assert.Equal(status, (string?)ended["outcomeDetail"]!["providerStatus"]);
    }

    [Fact]
    public async Task MachineDetected_Asynchronously_TransfersTheCallToTheVoicemailMessage_AndEndsAsVoicemail()
    {
        await using var rig = await StartAsync();
        var agentId = await NewAgentAsync(rig, a =>
        {
            a["answeringMachineDetection"] = "detect_message_end";
            a["voicemailMessage"] = "Sorry we missed you, {name}. Call us back.";
        });
        var callId = await NewCallAsync(rig, agentId, Numbers.Next("0702"));
        var (attemptId, call) = await WaitForDialAsync(rig, callId);
        Assert.Equal("true", (string?)call.Create["machine_detection"]);
        Assert.Equal(PlivoUrls.Amd(PublicBase, attemptId), (string?)call.Create["machine_detection_url"]);

        // Plivo answers at once (asynchronous detection): the message drop starts; then the verdict arrives.
        PlivoFront.Answer(call);
        var first = XElement.Parse(await (await PlivoFront.PostSignedAsync(rig.Host, Path(attemptId, "answer"), Form(call, "in-progress", "StartApp")))
            .Content.ReadAsStringAsync());
        Assert.Equal("Hello Ada & Bob, your table is booked for Tuesday.", first.Element("Speak")!.Value);
        await PostOkAsync(rig.Host, Path(attemptId, "amd"), Form(call, "in-progress", "MachineDetection", ("Machine", "true"), ("IfMachine", "continue")));

        var transfer = Assert.Single(rig.Front.Requests, r => r.Method == "POST" && r.PathAndQuery.EndsWith($"/Call/{call.CallUuid}/", StringComparison.Ordinal));
        Assert.Equal("aleg", (string?)transfer.Body!["legs"]);
        var voicemailUrl = PlivoUrls.AnswerForMachine(PublicBase, attemptId);
        Assert.Equal(voicemailUrl, (string?)transfer.Body["aleg_url"]);
        // Plivo fetches the transferred leg's XML from aleg_url, signed over that URL (query included).
        var voicemail = await PlivoFront.PostSignedAsync(rig.Host, voicemailUrl[PublicBase.Length..], Form(call, "in-progress", "Transfer"));
        Assert.Equal(HttpStatusCode.OK, voicemail.StatusCode);
        Assert.Equal("Sorry we missed you, Ada & Bob. Call us back.", XElement.Parse(await voicemail.Content.ReadAsStringAsync()).Element("Speak")!.Value);

        await PostOkAsync(rig.Host, Path(attemptId, "hangup"), Form(call, "completed", "Hangup", ("Duration", "12"), ("HangupCause", "NORMAL_CLEARING"),
            ("HangupCauseCode", "4010"), ("HangupCauseName", "End Of XML Instructions"), ("HangupSource", "Answer XML")));
        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal("voicemail", (string?)ended["outcome"]);
        Assert.Equal("machine", (string?)(await AttemptAsync(rig.Host, callId))["answeredBy"]);
    }

    [Fact]
    public async Task ForgedUnsignedOrMisdirectedCallbacks_Get403_AndChangeNothing()
    {
        await using var rig = await StartAsync();
        var callId = await NewCallAsync(rig, await NewAgentAsync(rig), Numbers.Next("0703"));
        var (attemptId, call) = await WaitForDialAsync(rig, callId);
        var path = Path(attemptId, "hangup");
        var busy = Form(call, "busy", "Hangup", ("HangupCauseCode", "3000"), ("HangupCauseName", "Busy Line"));

        var refused = new[]
        {
            await PlivoFront.PostSignedAsync(rig.Host, path, busy, sign: false),
            await PlivoFront.PostSignedAsync(rig.Host, path, busy, token: "not-the-auth-token"),
            await PlivoFront.PostSignedAsync(rig.Host, path, busy, signUrl: PublicBase + Path(attemptId, "ring")),
            await PlivoFront.PostSignedAsync(rig.Host, path, busy, signUrl: "https://attacker.example" + path),
            await PostWithNonceSwappedAsync(rig.Host, path, busy),
        };

        Assert.All(refused, r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        var call2 = (await rig.Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}"))!;
        Assert.Equal("dialing", (string?)call2["status"]);
        Assert.Null(call2["outcome"]);
        Assert.Equal("dialing", (string?)(await AttemptAsync(rig.Host, callId))["status"]);
    }

    /// <summary>Signed with one nonce, sent with another.</summary>
    private static async Task<HttpResponseMessage> PostWithNonceSwappedAsync(OutdialHost host, string path, List<KeyValuePair<string, string>> form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.BaseAddress, path)) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add(PlivoSignature.NonceHeader, "22222222222222222222");
        request.Headers.Add(PlivoSignature.Header, PlivoSignature.Compute(PlivoFront.AuthToken, "POST", PublicBase + path, form, "11111111111111111111"));
        using var client = host.NewClient(null);
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task DuplicateAndLateCallbacks_NeverMoveTheCallBackwards()
    {
        await using var rig = await StartAsync();
        var callId = await NewCallAsync(rig, await NewAgentAsync(rig), Numbers.Next("0704"));
        var (attemptId, call) = await WaitForDialAsync(rig, callId);
        var busy = Form(call, "busy", "Hangup", ("HangupCauseCode", "3000"), ("HangupCauseName", "Busy Line"), ("HangupCause", "USER_BUSY"));

        await PostOkAsync(rig.Host, Path(attemptId, "hangup"), busy);
        await PostOkAsync(rig.Host, Path(attemptId, "hangup"), busy);
        await PostOkAsync(rig.Host, Path(attemptId, "ring"), Form(call, "ringing", "Ring"));
        await PostOkAsync(rig.Host, Path(attemptId, "hangup"), Form(call, "completed", "Hangup", ("Duration", "30")));

        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal("busy", (string?)ended["outcome"]);
        var attempt = await AttemptAsync(rig.Host, callId);
        Assert.Equal(("completed", "busy"), ((string?)attempt["status"], (string?)attempt["outcome"]));
        var events = (await rig.Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/events"))!["data"]!.AsArray();
        Assert.Single(events, e => (string?)e!["type"] == "call.ended");
    }

    [Fact]
    public async Task LostHangupCallback_IsRecoveredByTheReconciler_FromPlivosCallDetailRecord()
    {
        await using var rig = await StartAsync();
        var callId = await NewCallAsync(rig, await NewAgentAsync(rig), Numbers.Next("0705"));
        var (attemptId, call) = await WaitForDialAsync(rig, callId);
        await PostOkAsync(rig.Host, Path(attemptId, "ring"), Form(call, "ringing", "Ring"));
        await PlivoFront.PostSignedAsync(rig.Host, Path(attemptId, "answer"), Form(call, "in-progress", "StartApp"));
        await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "in_progress");

        // The call ends at Plivo; its hang-up callback never arrives.
        PlivoFront.End(call, new JsonObject
        {
            ["initiation_time"] = "2026-11-21 12:00:00+00:00", ["answer_time"] = "2026-11-21 12:00:05+00:00", ["end_time"] = "2026-11-21 12:00:36+00:00",
            ["call_duration"] = 31, ["bill_duration"] = 60, ["hangup_cause_code"] = 4000, ["hangup_cause_name"] = "Normal Hangup",
            ["hangup_source"] = "Callee", ["call_state"] = "ANSWER",
        });
        await rig.Host.Services.GetRequiredService<Reconciler>().RunOnceAsync(DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None);

        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal("answered", (string?)ended["outcome"]);
        Assert.Equal(31, (int?)ended["outcomeDetail"]!["durationSec"]);
        Assert.Contains(rig.Front.Requests, r => r.Method == "GET" && r.PathAndQuery == $"/v1/Account/{PlivoFront.AuthId}/Call/{call.CallUuid}/");
    }

    [Fact]
    public async Task LostRecordingCallback_IsRecoveredByTheReconciler_FromPlivosRecordingList()
    {
        await using var rig = await StartAsync();
        var callId = await NewCallAsync(rig, await NewAgentAsync(rig), Numbers.Next("0712"), record: true);
        var (attemptId, call) = await WaitForDialAsync(rig, callId);
        await PlivoFront.PostSignedAsync(rig.Host, Path(attemptId, "answer"), Form(call, "in-progress", "StartApp"));
        await PostOkAsync(rig.Host, Path(attemptId, "hangup"), Form(call, "completed", "Hangup", ("Duration", "20"), ("HangupCauseCode", "4000")));
        await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        // The recording is ready at Plivo, but its callback never arrives.
        call.Recordings.Add(new JsonObject
        {
            ["recording_id"] = "rec-9", ["call_uuid"] = call.CallUuid, ["add_time"] = "2026-11-21 12:00:40.123456+00:00",
            ["recording_url"] = $"https://media.plivo.com/v1/Account/{PlivoFront.AuthId}/Recording/rec-9.mp3",
        });

        await rig.Host.Services.GetRequiredService<Reconciler>().RecoverRecordingsAsync(DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None);

        Assert.EndsWith("/Recording/rec-9.mp3", (string?)(await AttemptAsync(rig.Host, callId))["recordingUrl"], StringComparison.Ordinal);
        Assert.Contains(rig.Front.Requests, r => r.PathAndQuery == $"/v1/Account/{PlivoFront.AuthId}/Recording/?call_uuid={call.CallUuid}");
    }

    [Fact]
    public async Task ConversationAgent_OnAPlivoNumber_IsRefusedAtIntake_InEachDialect_AndNothingIsStoredOrDialed()
    {
        await using var rig = await StartAsync();
        var agentId = await NewAgentAsync(rig, a => a["mode"] = "conversation");
        var to = Numbers.Next("0706");

        var native = await rig.Host.Client.PostAsJsonAsync("/v1/calls", new JsonObject
        {
            ["to"] = to, ["agentId"] = agentId, ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, native.StatusCode);
        var problem = await native.JsonAsync();
        Assert.Equal("provider_cannot_converse", (string?)problem["code"]);
        Assert.Contains("plivo", (string?)problem["detail"], StringComparison.Ordinal);

        var teamId = await SetTeamAsync(rig.Host);
        var aicaller = await PostAicallerAsync(rig.Host, teamId, agentId, to);
        Assert.Equal(HttpStatusCode.BadRequest, aicaller.StatusCode);
        var error = (JsonObject)(await aicaller.JsonAsync())["error"]!;
        Assert.Equal("telephony_provider_cannot_converse", (string?)error["code"]);
        Assert.Contains("cannot carry the AI conversation", (string?)error["message"], StringComparison.Ordinal);

        Assert.Empty((await rig.Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls?to={Uri.EscapeDataString(to)}"))!["data"]!.AsArray());
        Assert.Empty(rig.Front.Calls);
    }

    private static async Task<string> SetTeamAsync(OutdialHost host)
    {
        var teamId = Guid.NewGuid().ToString("N")[..24];
        var patch = await host.Client.PatchAsJsonAsync("/v1/account", new JsonObject { ["aliases"] = new JsonObject { ["teamId"] = teamId } });
        Assert.True(patch.IsSuccessStatusCode, await patch.Content.ReadAsStringAsync());
        return teamId;
    }

    private static async Task<HttpResponseMessage> PostAicallerAsync(OutdialHost host, string teamId, string callTemplateId, string to)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/phoneCalls")
        {
            Content = JsonContent.Create(new JsonObject
            {
                ["teamId"] = teamId, ["callTemplateId"] = callTemplateId, ["nameOfHuman"] = "Ada", ["toPhoneNumber"] = to,
                ["fromPhoneNumber"] = PlivoNumber, ["telephonyProvider"] = "plivo",
                ["promptVariableValues"] = new JsonArray(new JsonObject { ["key"] = "name", ["value"] = "Ada" }),
            }),
        };
        request.Headers.Add("aicaller-api-key", OutdialHost.BootstrapKey);
        using var client = host.NewClient(null);
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task AicallerCall_WithTelephonyProviderPlivo_IsDialedThroughPlivo_AndCompletesFromSignedCallbacks()
    {
        await using var rig = await StartAsync();
        var agentId = await NewAgentAsync(rig);
        var teamId = await SetTeamAsync(rig.Host);
        var to = Numbers.Next("0707");

        var response = await PostAicallerAsync(rig.Host, teamId, agentId, to);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (await response.JsonAsync())["data"]!;
        Assert.Equal("plivo", (string?)data["telephonyProvider"]);
        var callId = (string)data["_id"]!;

        var (attemptId, call) = await WaitForDialAsync(rig, callId);
        Assert.Equal(to[1..], (string?)call.Create["to"]);
        await PostOkAsync(rig.Host, Path(attemptId, "ring"), Form(call, "ringing", "Ring"));
        await PlivoFront.PostSignedAsync(rig.Host, Path(attemptId, "answer"), Form(call, "in-progress", "StartApp"));
        await PostOkAsync(rig.Host, Path(attemptId, "hangup"), Form(call, "completed", "Hangup", ("Duration", "20"), ("HangupCause", "NORMAL_CLEARING"),
            ("HangupCauseCode", "4000")));

        await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        using var get = new HttpRequestMessage(HttpMethod.Get, $"/v1/phoneCalls/{callId}");
        get.Headers.Add("aicaller-api-key", OutdialHost.BootstrapKey);
        using var client = rig.Host.NewClient(null);
        var phoneCall = (await (await client.SendAsync(get)).JsonAsync())["data"]!;
        Assert.Equal("completed", (string?)phoneCall["status"]);
        Assert.Equal("plivo", (string?)phoneCall["telephonyProvider"]);
    }

    [Fact]
    public async Task PlivoRefusingOurCredentials_RefusesTheDial_AndHealthShowsPlivoMisconfigured()
    {
        await using var rig = await StartAsync();
        rig.Front.FailNextCreate(401, "authentication failed");
        var callId = await NewCallAsync(rig, await NewAgentAsync(rig), Numbers.Next("0708"));

        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal("error", (string?)ended["outcome"]);
        Assert.Equal(PlivoProvider.ConfigurationStatus, (string?)ended["outcomeDetail"]!["providerStatus"]);
        var health = (await rig.Host.Client.GetFromJsonAsync<JsonObject>("/health"))!;
        Assert.Equal("degraded", (string?)health["status"]);
        Assert.Equal("misconfigured", (string?)health["providers"]!["plivo"]!["status"]);
        Assert.Equal(401, (int?)health["providers"]!["plivo"]!["httpStatus"]);
        var ready = (await rig.Host.Client.GetFromJsonAsync<JsonObject>("/health/ready"))!;
        Assert.Equal("Degraded", (string?)ready["status"]);
        Assert.StartsWith("misconfigured: Plivo HTTP 401", (string?)ready["entries"]!["providers"]!["data"]!["plivo"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentSwitchedToConversation_AfterIntake_IsBlockedAtDialTime_NeverDialed()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 21, 15, 0, 0, TimeSpan.Zero));
        await using var rig = await StartAsync(clock);
        var agentId = await NewAgentAsync(rig);
        var created = await rig.Host.Client.PostAsJsonAsync("/v1/calls", new JsonObject
        {
            ["to"] = Numbers.Next("0709"), ["agentId"] = agentId, ["notBefore"] = "2026-11-21T15:00:30Z",
            ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
        });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var callId = (string)(await created.JsonAsync())["id"]!;
        var patched = await rig.Host.Client.PatchAsJsonAsync($"/v1/agents/{agentId}", new JsonObject { ["mode"] = "conversation" });
        Assert.True(patched.IsSuccessStatusCode, await patched.Content.ReadAsStringAsync());

        clock.Advance(TimeSpan.FromSeconds(45));
        var blocked = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "blocked", pump: () => clock.Advance(TimeSpan.FromMilliseconds(100)));

        Assert.Contains("provider_cannot_converse", blocked.ToJsonString(), StringComparison.Ordinal);
        Assert.Empty((await rig.Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/attempts"))!["data"]!.AsArray());
        Assert.Empty(rig.Front.Calls);
    }

    [Fact]
    public async Task ServerWithoutPlivo_RefusesPlivoNumbersCallsAndCallbacks_AsNotConfigured()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:PublicBaseUrl"] = PublicBase });

        var number = await host.Client.PostAsJsonAsync("/v1/phone-numbers", new JsonObject { ["number"] = PlivoNumber, ["provider"] = "plivo" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, number.StatusCode);
        Assert.Contains("'plivo' is not configured", await number.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var native = await host.Client.PostAsJsonAsync("/v1/calls", new JsonObject
        {
            ["to"] = Numbers.Next("0710"), ["provider"] = "plivo", ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, native.StatusCode);
        Assert.Equal("provider_not_configured", (string?)(await native.JsonAsync())["code"]);

        var aicaller = await PostAicallerAsync(host, await SetTeamAsync(host), "default", Numbers.Next("0711"));
        Assert.Equal(HttpStatusCode.BadRequest, aicaller.StatusCode);
        Assert.Equal("telephony_provider_not_configured", (string?)(await aicaller.JsonAsync())["error"]!["code"]);

        var callback = await PlivoFront.PostSignedAsync(host, Path("att_unknown", "hangup"), [new("CallUUID", "x"), new("CallStatus", "busy")]);
        Assert.Equal(HttpStatusCode.NotFound, callback.StatusCode);
    }
}
