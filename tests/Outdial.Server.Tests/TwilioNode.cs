using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Outdial.Tests.Shared;

namespace Outdial.Server.Tests;

/// <summary>One request for the npm signature check: the form pairs in POST order (repeats allowed) and the header value to check (null = none).</summary>
public sealed record TwilioSignCase(string AuthToken, string Url, IReadOnlyList<KeyValuePair<string, string>> Params, string? Signature);

/// <summary>The npm library's answers for one <see cref="TwilioSignCase"/>: <c>validateRequest</c> and <c>getExpectedTwilioSignature</c>.</summary>
public sealed record TwilioSignVerdict(bool Valid, string Expected);

/// <summary>
/// One TwiML instruction for the npm <c>VoiceResponse</c>: <c>say</c> (text, attributes in order), <c>hangup</c>, <c>dial</c>
/// (text = the number) or <c>connectConversationRelay</c> (<see cref="Attributes"/> of <c>&lt;ConversationRelay&gt;</c>,
/// <see cref="Connect"/> those of <c>&lt;Connect&gt;</c>).
/// </summary>
public sealed record TwimlInstruction(string Verb, string? Text = null, IReadOnlyList<KeyValuePair<string, string>>? Attributes = null,
    IReadOnlyList<KeyValuePair<string, string>>? Connect = null);

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
                var connect = new JsonObject();
                foreach (var (k, v) in i.Connect ?? [])
                {
                    connect[k] = v;
                }
                one.Add(new JsonObject { ["verb"] = i.Verb, ["text"] = i.Text, ["attributes"] = attributes, ["connect"] = connect });
            }
            array.Add(one);
        }
        var results = await NodeScript.RunResultsAsync("twilio-twiml.mjs", Package, array);
        return [.. results.Select(r => r is JsonValue v && v.TryGetValue<string>(out var xml) ? xml : throw NodeScript.Malformed("twilio-twiml.mjs", r))];
    }

    private static readonly SemaphoreSlim SignerGate = new(1, 1);
    private static Process? _signer;

    /// <summary>
    /// <c>X-Twilio-Signature</c> as Twilio would send it for <paramref name="form"/> (pairs in POST order; none for a GET or a
    /// WebSocket upgrade) requested at <paramref name="url"/>: the npm library's <c>getExpectedTwilioSignature</c>, from one
    /// long-running <c>node tests/js/twilio-sign.mjs --lines</c> shared by the test run (one line per request, serialised).
    /// </summary>
    /// <exception cref="InvalidOperationException">As <see cref="SignAsync"/>, or the signer exited.</exception>
    /// <exception cref="TimeoutException">The signer did not answer within 60 seconds.</exception>
    public static async Task<string> SignatureAsync(string authToken, string url, IEnumerable<KeyValuePair<string, string>>? form = null)
    {
        var request = new JsonObject
        {
            ["authToken"] = authToken,
            ["url"] = url,
            ["params"] = new JsonArray([.. (form ?? []).Select(p => (JsonNode)new JsonArray(p.Key, p.Value))]),
        };
        await SignerGate.WaitAsync();
        try
        {
            var signer = _signer is { HasExited: false } running ? running : _signer = StartSigner();
            await signer.StandardInput.WriteLineAsync(request.ToJsonString());
            await signer.StandardInput.FlushAsync();
            using var timeout = new CancellationTokenSource(NodeScript.DefaultTimeout);
            var line = await signer.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException($"node twilio-sign.mjs --lines exited: {await signer.StandardError.ReadToEndAsync()}");
            return JsonNode.Parse(line)?["expected"] is JsonValue v && v.TryGetValue<string>(out var signature)
                ? signature
                : throw NodeScript.Malformed("twilio-sign.mjs", JsonNode.Parse(line));
        }
        catch (OperationCanceledException e)
        {
            throw new TimeoutException("node twilio-sign.mjs --lines did not answer within 60 s.", e);
        }
        finally
        {
            SignerGate.Release();
        }
    }

    private static Process StartSigner()
    {
        var root = NodeScript.RepositoryRoot();
        if (!File.Exists(Path.Combine(root, "tests", "js", "node_modules", Package, "package.json")))
        {
            throw new InvalidOperationException("The twilio npm package is not installed: run `npm ci --prefix tests/js`.");
        }
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        var process = Process.Start(new ProcessStartInfo("node", [Path.Combine(root, "tests", "js", "twilio-sign.mjs"), "--lines"])
        {
            WorkingDirectory = root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = utf8,
            StandardOutputEncoding = utf8,
            StandardErrorEncoding = utf8,
        }) ?? throw new InvalidOperationException("node did not start for tests/js/twilio-sign.mjs.");
        // The signer ends with the test run: its stdin closes when this process exits; killed here too in case it lingers.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        };
        return process;
    }
}
