using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Webhooks;

namespace Outdial.Server.Dialects.Ivr;

/// <summary>
/// Renders seed 002's result push (<see cref="IvrResultPush"/>, format <see cref="IvrResultPush.Format"/>): each
/// delivery's standard payload → one row <c>{"UniqueId": data.id, "CallRequestId": data.metadata.ivr.conversationId or "",
/// "CallState": <see cref="IvrCallStates.Of(CallStatus, CallOutcome?)"/> of data.status and data.outcome}</c>; the rows of
/// all deliveries, in the order given, → <c>{"CallResults": [rows]}</c>. The same rows as <c>/v2/callresult</c> answers for
/// the call as of its final event. A body written before deliveries kept the standard payload — already
/// <c>{"CallResults": [rows]}</c> — passes its rows through.
/// </summary>
public sealed class IvrResultFormatter : ICallWebhookFormatter
{
    /// <inheritdoc />
    public string Format => IvrResultPush.Format;

    /// <inheritdoc />
    /// <exception cref="JsonException">A body is neither a standard payload with a call (<c>data.id</c>, <c>data.status</c>) nor a <c>CallResults</c> body.</exception>
    public string Render(IReadOnlyList<WebhookDelivery> deliveries)
    {
        var rows = new JsonArray();
        foreach (var delivery in deliveries)
        {
            var body = JsonNode.Parse(delivery.Body) as JsonObject ?? throw new JsonException("the body is not a JSON object");
            if (body["CallResults"] is JsonArray legacy)
            {
                foreach (var row in legacy.ToList())
                {
                    legacy.Remove(row);
                    rows.Add(row);
                }
            }
            else
            {
                rows.Add(Row(body["data"] as JsonObject ?? throw new JsonException("the body has neither data (a call) nor CallResults")));
            }
        }
        return new JsonObject { ["CallResults"] = rows }.ToJsonString();
    }

    /// <summary>The row of a call resource (a standard payload's <c>data</c>).</summary>
    /// <exception cref="JsonException"><c>id</c> or <c>status</c> is not a string.</exception>
    public static JsonObject Row(JsonObject call)
    {
        var id = Text(call, "id") ?? throw new JsonException("data.id is not a string");
        var status = Text(call, "status") ?? throw new JsonException("data.status is not a string");
        // A status or outcome this version does not know reads as Error, as an unmapped one does.
        var state = WireNames.TryParse<CallStatus>(status, out var s)
            ? IvrCallStates.Of(s, WireNames.TryParse<CallOutcome>(Text(call, "outcome"), out var o) ? o : null)
            : IvrCallStates.Error;
        return new JsonObject
        {
            ["UniqueId"] = id,
            ["CallRequestId"] = IvrResultPush.CallRequestId(call["metadata"] as JsonObject),
            ["CallState"] = state,
        };
    }

    private static string? Text(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
}
