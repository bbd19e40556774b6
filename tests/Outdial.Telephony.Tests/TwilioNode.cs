using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Telephony.Twilio;
using Outdial.Tests.Shared;

namespace Outdial.Telephony.Tests;

/// <summary>What the npm library sent: method, path and query, Content-Type and the raw form body.</summary>
public sealed record CapturedRequest(string Method, string Path, string? ContentType, string Body);

/// <summary>
/// Runs <c>tests/js/twilio-create-call.mjs</c>, which captures the form body the official <c>twilio</c> npm library
/// (version pinned in <c>tests/js/package-lock.json</c>) sends for <c>client.calls.create(args)</c>. Missing node or
/// packages fail loudly: a comparison that silently skipped would prove nothing.
/// </summary>
public static class TwilioNode
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>The npm library's request for the same arguments as <paramref name="call"/> (camelCase names of <c>CallListInstanceCreateOptions</c>).</summary>
    /// <exception cref="InvalidOperationException">node is not on PATH, the packages are not installed, or the script failed or answered malformed output.</exception>
    /// <exception cref="TimeoutException">The script did not finish within 60 seconds.</exception>
    public static async Task<CapturedRequest> CreateCallAsync(string accountSid, TwilioCreateCall call)
    {
        var answer = await NodeScript.RunJsonAsync("twilio-create-call.mjs", "twilio", Input(accountSid, call));
        try
        {
            return answer.Deserialize<CapturedRequest>(Web) ?? throw NodeScript.Malformed("twilio-create-call.mjs", answer);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"node twilio-create-call.mjs answered a malformed request: {answer.ToJsonString()}", e);
        }
    }

    private static JsonObject Input(string accountSid, TwilioCreateCall c)
    {
        var args = new JsonObject { ["to"] = c.To, ["from"] = c.From };
        void Set(string key, JsonNode? value)
        {
            if (value is not null)
            {
                args[key] = value;
            }
        }
        Set("url", c.Url);
        Set("statusCallback", c.StatusCallback);
        Set("statusCallbackEvent", c.StatusCallbackEvent is null ? null : new JsonArray([.. c.StatusCallbackEvent.Select(e => JsonValue.Create(e))]));
        Set("statusCallbackMethod", c.StatusCallbackMethod);
        Set("timeout", c.Timeout);
        Set("record", c.Record);
        Set("recordingStatusCallback", c.RecordingStatusCallback);
        Set("machineDetection", c.MachineDetection);
        // CallListInstanceCreateOptions.asyncAmd is a string ("true"/"false") in the library's typings.
        Set("asyncAmd", c.AsyncAmd is { } amd ? (amd ? "true" : "false") : null);
        Set("asyncAmdStatusCallback", c.AsyncAmdStatusCallback);
        Set("timeLimit", c.TimeLimit);
        return new JsonObject { ["accountSid"] = accountSid, ["authToken"] = "test-token", ["args"] = args };
    }
}
