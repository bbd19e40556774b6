using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Outdial.Core.Agents;
using Outdial.Core.Telephony;
using Outdial.Telephony.Plivo;

namespace Outdial.Telephony.Tests;

/// <summary>
/// Plivo publishes no OpenAPI spec: each request Outdial's <see cref="PlivoRestClient"/> sends is compared with the request
/// the official npm library <c>plivo</c> 4.79.0 sends for the same arguments to the same loopback capture server — method,
/// path, query, Basic credentials and JSON body.
/// </summary>
public sealed class PlivoRequestTests
{
    internal const string AuthId = "MADEADBEEF0123456789";
    internal const string AuthToken = "plivo-test-token";
    private const string CallUuid = "eba53b9e-8fbd-45c1-9444-696d2172fbc8";
    private const string RequestUuid = "9834029e-58b6-11e1-b8b7-a5bd0e4e126f";

    private static PlivoRestClient Client(string baseUrl) =>
        new(new HttpClient(), Options.Create(new PlivoOptions { AuthId = AuthId, AuthToken = AuthToken, BaseUrl = baseUrl }));

    private static void AssertSameRequest(PlivoCaptured library, PlivoCaptured ours)
    {
        Assert.Equal(library.Method, ours.Method);
        Assert.Equal(library.Path, ours.Path);
        Assert.Equal(library.Query.OrderBy(q => q.Key, StringComparer.Ordinal), ours.Query.OrderBy(q => q.Key, StringComparer.Ordinal));
        Assert.Equal(library.Authorization, ours.Authorization);
        if (library.Body.Length == 0 && ours.Body.Length == 0)
        {
            return;
        }
        Assert.StartsWith("application/json", library.ContentType, StringComparison.Ordinal);
        Assert.StartsWith("application/json", ours.ContentType, StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(library.Body), JsonNode.Parse(ours.Body)), $"library: {library.Body}\nours:    {ours.Body}");
    }

    private static JsonObject LibraryCreate(PlivoCreateCall c)
    {
        var options = new JsonObject();
        void Set(string key, JsonNode? value)
        {
            if (value is not null)
            {
                options[key] = value;
            }
        }
        Set("answerMethod", c.AnswerMethod);
        Set("ringUrl", c.RingUrl);
        Set("ringMethod", c.RingMethod);
        Set("hangupUrl", c.HangupUrl);
        Set("hangupMethod", c.HangupMethod);
        Set("timeLimit", c.TimeLimit);
        Set("ringTimeout", c.RingTimeout);
        Set("machineDetection", c.MachineDetection);
        Set("machineDetectionUrl", c.MachineDetectionUrl);
        Set("machineDetectionMethod", c.MachineDetectionMethod);
        return new JsonObject { ["op"] = "create", ["from"] = c.From, ["to"] = c.To, ["answerUrl"] = c.AnswerUrl, ["params"] = options };
    }

    [Theory]
    [InlineData(AnsweringMachineDetection.Off)]
    [InlineData(AnsweringMachineDetection.Enable)]
    public async Task MakeACall_SendsTheSameRequestAsTheNpmLibrary(AnsweringMachineDetection amd)
    {
        await using var capture = await PlivoCaptureServer.StartAsync();
        var create = PlivoProvider.CreateCallFor(new DialRequest("att_1", "call_1", "+15551234567", "+15550000100", 25, 600, false, amd),
            "https://outdial.example.com/base/");

        var answer = await Client(capture.BaseUrl).CreateCallAsync(create, CancellationToken.None);
        var ours = Assert.Single(capture.Take());
        var done = await PlivoNode.SendAsync(capture.BaseUrl, AuthId, AuthToken, LibraryCreate(create));
        var library = Assert.Single(capture.Take());

        Assert.True((bool)done[0]!["ok"]!, done[0]!.ToJsonString());
        Assert.Equal(RequestUuid, answer.RequestUuid);
        Assert.Equal($"/v1/Account/{AuthId}/Call/", ours.Path);
        AssertSameRequest(library, ours);
        var body = JsonNode.Parse(ours.Body)!;
        Assert.Equal("15551234567", (string?)body["to"]);
        Assert.Equal("15550000100", (string?)body["from"]);
        Assert.Equal("https://outdial.example.com/base/providers/plivo/calls/att_1/answer", (string?)body["answer_url"]);
        Assert.Equal("https://outdial.example.com/base/providers/plivo/calls/att_1/ring", (string?)body["ring_url"]);
        Assert.Equal("https://outdial.example.com/base/providers/plivo/calls/att_1/hangup", (string?)body["hangup_url"]);
        Assert.Equal(600, (int?)body["time_limit"]);
        Assert.Equal(25, (int?)body["ring_timeout"]);
        Assert.Equal(amd == AnsweringMachineDetection.Off ? null : "true", (string?)body["machine_detection"]);
        Assert.Equal(amd == AnsweringMachineDetection.Off ? null : "https://outdial.example.com/base/providers/plivo/calls/att_1/amd",
            (string?)body["machine_detection_url"]);
    }

    [Fact]
    public async Task HangUpCancelRetrieveListAndTransfer_SendTheSameRequestsAsTheNpmLibrary()
    {
        await using var capture = await PlivoCaptureServer.StartAsync();
        var client = Client(capture.BaseUrl);
        var since = new DateTimeOffset(2026, 11, 21, 11, 59, 50, TimeSpan.Zero);

        Assert.True(await client.HangUpCallAsync(CallUuid, CancellationToken.None));
        Assert.True(await client.CancelRequestAsync(RequestUuid, CancellationToken.None));
        var record = await client.GetCallAsync(CallUuid, CancellationToken.None);
        var live = await client.GetLiveCallAsync(CallUuid, CancellationToken.None);
        var liveIds = await client.ListLiveCallsAsync("15550000100", "15551234567", CancellationToken.None);
        await client.ListEndedCallsAsync("15550000100", "15551234567", since, CancellationToken.None);
        await client.TransferAsync(CallUuid, "https://outdial.example.com/providers/plivo/calls/att_1/answer?machine=true", CancellationToken.None);
        var recordings = await client.ListRecordingsAsync(CallUuid, CancellationToken.None);
        var ours = capture.Take();

        var done = await PlivoNode.SendAsync(capture.BaseUrl, AuthId, AuthToken,
            new JsonObject { ["op"] = "hangup", ["id"] = CallUuid },
            new JsonObject { ["op"] = "cancel", ["id"] = RequestUuid },
            new JsonObject { ["op"] = "get", ["id"] = CallUuid },
            new JsonObject { ["op"] = "getLive", ["id"] = CallUuid },
            new JsonObject { ["op"] = "listLive", ["params"] = new JsonObject { ["fromNumber"] = "15550000100", ["toNumber"] = "15551234567" } },
            new JsonObject
            {
                ["op"] = "list",
                ["params"] = new JsonObject { ["fromNumber"] = "15550000100", ["toNumber"] = "15551234567", ["end_time__gte"] = "2026-11-21 11:59", ["limit"] = 20 },
            },
            new JsonObject
            {
                ["op"] = "transfer", ["id"] = CallUuid,
                ["params"] = new JsonObject { ["legs"] = "aleg", ["alegUrl"] = "https://outdial.example.com/providers/plivo/calls/att_1/answer?machine=true", ["alegMethod"] = "POST" },
            },
            new JsonObject { ["op"] = "recordings", ["params"] = new JsonObject { ["callUuid"] = CallUuid } });
        var library = capture.Take();

        Assert.All(done, d => Assert.True((bool)d!["ok"]!, d.ToJsonString()));
        Assert.Equal(library.Count, ours.Count);
        foreach (var (lib, our) in library.Zip(ours))
        {
            AssertSameRequest(lib, our);
        }
        Assert.Equal(["DELETE", "DELETE", "GET", "GET", "GET", "GET", "POST", "GET"], ours.Select(r => r.Method));
        Assert.Equal($"/v1/Account/{AuthId}/Request/{RequestUuid}/", ours[1].Path);
        Assert.Equal(42, record!.CallDuration);
        Assert.Equal("in-progress", live!.CallStatus);
        Assert.Equal([CallUuid], liveIds);
        Assert.Equal(["r-old", "r-new"], recordings.Select(r => r.RecordingId));
    }

    [Fact]
    public async Task LookupRecording_TakesTheNewestListedRecording_OfTheCallUuidTheCallbacksGave()
    {
        await using var capture = await PlivoCaptureServer.StartAsync();
        var options = Options.Create(new PlivoOptions { AuthId = AuthId, AuthToken = AuthToken, BaseUrl = capture.BaseUrl });
        var provider = new PlivoProvider(Client(capture.BaseUrl), new PlivoHealth(TimeProvider.System), options,
            Options.Create(new Core.Accounts.OutdialOptions { PublicBaseUrl = "https://outdial.example.com" }), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<PlivoProvider>.Instance);
        var attempt = Attempts.New(RequestUuid, DateTimeOffset.UtcNow) with { Provider = "plivo" };

        Assert.Null(await provider.LookupRecordingAsync(attempt, CancellationToken.None));
        Assert.Empty(capture.Take());
        var url = await provider.LookupRecordingAsync(attempt with { ProviderRaw = new Dictionary<string, string> { [PlivoProvider.CallUuidKey] = CallUuid } },
            CancellationToken.None);

        Assert.Equal("https://media.plivo.com/v1/Account/x/Recording/r-new.mp3", url);
        Assert.Equal($"/v1/Account/{AuthId}/Recording/", Assert.Single(capture.Take()).Path);
    }
}
