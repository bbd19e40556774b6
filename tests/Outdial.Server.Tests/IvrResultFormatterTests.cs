using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Webhooks;
using Outdial.Server.Dialects.Ivr;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>Seed 002's result push as the webhook deliverer renders it: standard payloads (or legacy bodies) → <c>{"CallResults": [...]}</c>.</summary>
public sealed class IvrResultFormatterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 15, 0, 0, TimeSpan.Zero);
    private static readonly IvrResultFormatter Formatter = new();

    private static Call NewCall(string id, CallStatus status, CallOutcome? outcome, string? conversationId = "conv-1") => new()
    {
        Id = id,
        AccountId = "acc_1",
        Status = status,
        Outcome = outcome,
        To = "+15551230000",
        From = "+15550000100",
        Provider = "sandbox",
        AgentId = "agt_1",
        AgentSource = AgentSource.Request,
        Retry = RetryPolicy.Single,
        Decision = new IntakeDecision("queued", T0, null),
        DueAt = T0,
        Metadata = conversationId is null ? null : new JsonObject { ["ivr"] = new JsonObject { ["conversationId"] = conversationId } },
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    /// <summary>A delivery as the outbox plans it for the final event: the event's standard payload, in the IVR format.</summary>
    private static WebhookDelivery Delivery(Call call, string body) => new()
    {
        Id = "whd_" + call.Id,
        AccountId = call.AccountId,
        Destination = "call:0",
        CallId = call.Id,
        EventId = "evt_" + call.Id,
        EventType = CallEventTypes.Ended,
        Sequence = 7,
        Url = "https://results.example.com/ivr",
        Body = body,
        Format = IvrResultPush.Format,
        Status = WebhookDeliveryStatus.Pending,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    private static WebhookDelivery Delivery(Call call) =>
        Delivery(call, WebhookOutbox.Payload(new CallEvent("evt_" + call.Id, call.Id, call.AccountId, 7, CallEventTypes.Ended, T0, new JsonObject()), call, null));

    private static JsonArray Rows(string body)
    {
        var parsed = JsonNode.Parse(body)!.AsObject();
        Assert.Single(parsed); // nothing but CallResults
        return parsed["CallResults"]!.AsArray();
    }

    [Fact]
    public void Render_OneStandardPayload_IsOneRowOfTheCall()
    {
        var row = Assert.Single(Rows(Formatter.Render([Delivery(NewCall("call_a", CallStatus.Ended, CallOutcome.Busy, "conv-a"))])))!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"UniqueId":"call_a","CallRequestId":"conv-a","CallState":"Busy"}"""), row), row.ToJsonString());
    }

    [Fact]
    public void Render_SeveralDeliveries_IsOneBodyWithTheirRowsInTheGivenOrder()
    {
        var rows = Rows(Formatter.Render(
        [
            Delivery(NewCall("call_c", CallStatus.Ended, CallOutcome.Voicemail, "conv-c")),
            Delivery(NewCall("call_a", CallStatus.Canceled, null, conversationId: null)),
            Delivery(NewCall("call_b", CallStatus.Ended, CallOutcome.Unreachable, "conv-b")),
        ]));
        Assert.Equal(["call_c", "call_a", "call_b"], rows.Select(r => (string)r!["UniqueId"]!));
        Assert.Equal(["conv-c", "", "conv-b"], rows.Select(r => (string)r!["CallRequestId"]!));
        Assert.Equal([IvrCallStates.Answered, IvrCallStates.Canceled, IvrCallStates.TemporarilyUnavailable], rows.Select(r => (string)r!["CallState"]!));
    }

    [Fact]
    public void Render_LegacyCallResultsBody_PassesItsRowsThrough_BesideStandardPayloads()
    {
        // Rows written by the former code were stored already rendered; migration 0007 gave them this format.
        var legacy = Delivery(NewCall("call_old", CallStatus.Ended, CallOutcome.Answered),
            """{"CallResults":[{"UniqueId":"call_old","CallRequestId":"x","CallState":"Answered"},{"UniqueId":"call_old2","CallRequestId":"","CallState":"Error"}]}""");
        var rows = Rows(Formatter.Render([legacy, Delivery(NewCall("call_new", CallStatus.Expired, null, "conv-new"))]));
        Assert.Equal(["call_old", "call_old2", "call_new"], rows.Select(r => (string)r!["UniqueId"]!));
        Assert.Equal(["Answered", "Error", "Expired"], rows.Select(r => (string)r!["CallState"]!));
        Assert.Equal("x", (string?)rows[0]!["CallRequestId"]);
    }

    [Theory]
    [InlineData("""{"type":"call.ended"}""")]
    [InlineData("""{"data":{"status":"ended"}}""")]
    [InlineData("""[]""")]
    public void Render_RefusesBodiesItCannotRead(string body) =>
        Assert.ThrowsAny<JsonException>(() => Formatter.Render([Delivery(NewCall("call_x", CallStatus.Ended, CallOutcome.Busy), body)]));

    public static TheoryData<CallStatus, CallOutcome?> EveryStatusAndOutcome()
    {
        var data = new TheoryData<CallStatus, CallOutcome?>();
        foreach (var status in Enum.GetValues<CallStatus>())
        {
            data.Add(status, null);
            foreach (var outcome in Enum.GetValues<CallOutcome>())
            {
                data.Add(status, outcome);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryStatusAndOutcome))]
    public void PushedRow_EqualsWhatCallResultAnswersForTheCall(CallStatus status, CallOutcome? outcome)
    {
        // /v2/callresult reads the stored Call; the push reads the payload snapshot of it: one rule, the same row.
        var call = NewCall("call_s", status, outcome, "conv-s");
        var row = Assert.Single(Rows(Formatter.Render([Delivery(call)])))!;
        Assert.Equal(IvrCallStates.Of(call), (string?)row["CallState"]);
        Assert.Equal(IvrResultPush.CallRequestId(call), (string?)row["CallRequestId"]);
    }

    [Fact]
    public void CallStoredBeforeFormatsWereNames_ReadsAsTheIvrFormat()
    {
        // The former enum value CallWebhookFormat.IvrResult, as Json.Options wrote it into call documents.
        var hook = JsonSerializer.Deserialize<CallWebhook>(
            """{"url":"https://results.example.com/ivr","events":["call.ended"],"format":"ivr_result","batchIntervalSec":60}""", Json.Options)!;
        Assert.Equal(IvrResultPush.Format, hook.Format);
        Assert.Equal(60, hook.BatchIntervalSec);
        Assert.Equal(IvrResultPush.Format, Formatter.Format);
    }
}
