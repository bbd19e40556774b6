using System.Text.Json.Nodes;
using Outdial.Tests.Shared;

namespace Outdial.Server.Tests;

/// <summary>One request for the npm signature check: the form pairs in POST order (repeats allowed) and the header value to check (null = none).</summary>
public sealed record TwilioSignCase(string AuthToken, string Url, IReadOnlyList<KeyValuePair<string, string>> Params, string? Signature);

/// <summary>The npm library's answers for one <see cref="TwilioSignCase"/>: <c>validateRequest</c> and <c>getExpectedTwilioSignature</c>.</summary>
public sealed record TwilioSignVerdict(bool Valid, string Expected);

/// <summary>One TwiML instruction for the npm <c>VoiceResponse</c>: <c>say</c> (text, attributes in order) or <c>hangup</c>.</summary>
public sealed record TwimlInstruction(string Verb, string? Text = null, IReadOnlyList<KeyValuePair<string, string>>? Attributes = null);

/// <summary>
/// Runs <c>tests/js/twilio-sign.mjs</c> and <c>tests/js/twilio-twiml.mjs</c>, which use the official <c>twilio</c> npm
/// library (version pinned in <c>tests/js/package-lock.json</c>) to sign/validate requests and to build TwiML. Missing node
/// or packages fail loudly: a comparison that silently skipped would prove nothing.
/// </summary>
public static class TwilioNode
{
    private const string Package = "twilio";

    /// <summary>The library's verdicts for <paramref name="cases"/>, in the same order.</summary>
    /// <exception cref="InvalidOperationException">node is not on PATH, the npm package is not installed, or the script failed or answered malformed output.</exception>
    /// <exception cref="TimeoutException">The script did not finish within 60 seconds.</exception>
    public static async Task<IReadOnlyList<TwilioSignVerdict>> SignAsync(IEnumerable<TwilioSignCase> cases)
    {
        var array = new JsonArray();
        foreach (var c in cases)
        {
            array.Add(new JsonObject
            {
                ["authToken"] = c.AuthToken,
                ["url"] = c.Url,
                ["signature"] = c.Signature,
                ["params"] = new JsonArray([.. c.Params.Select(p => (JsonNode)new JsonArray(p.Key, p.Value))]),
            });
        }
        var results = await NodeScript.RunResultsAsync("twilio-sign.mjs", Package, array);
        return [.. results.Select(r => new TwilioSignVerdict(
            r?["valid"] is JsonValue v && v.TryGetValue<bool>(out var valid) ? valid : throw NodeScript.Malformed("twilio-sign.mjs", r),
            r["expected"] is JsonValue e && e.TryGetValue<string>(out var expected) ? expected : throw NodeScript.Malformed("twilio-sign.mjs", r)))];
    }

    /// <summary><c>VoiceResponse.toString()</c> for each case's instructions, in the same order.</summary>
    /// <exception cref="InvalidOperationException">As <see cref="SignAsync"/>.</exception>
    /// <exception cref="TimeoutException">As <see cref="SignAsync"/>.</exception>
    public static async Task<IReadOnlyList<string>> TwimlAsync(IEnumerable<IReadOnlyList<TwimlInstruction>> cases)
    {
        var array = new JsonArray();
        foreach (var instructions in cases)
        {
            var one = new JsonArray();
            foreach (var i in instructions)
            {
                var attributes = new JsonObject();
                foreach (var (k, v) in i.Attributes ?? [])
                {
                    attributes[k] = v;
                }
                one.Add(new JsonObject { ["verb"] = i.Verb, ["text"] = i.Text, ["attributes"] = attributes });
            }
            array.Add(one);
        }
        var results = await NodeScript.RunResultsAsync("twilio-twiml.mjs", Package, array);
        return [.. results.Select(r => r is JsonValue v && v.TryGetValue<string>(out var xml) ? xml : throw NodeScript.Malformed("twilio-twiml.mjs", r))];
    }
}
