using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

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
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The library's verdicts for <paramref name="cases"/>, in the same order.</summary>
    /// <exception cref="InvalidOperationException">node is not on PATH, the npm package is not installed, or the script failed or answered malformed output.</exception>
    /// <exception cref="TimeoutException">The script did not finish within 60 seconds.</exception>
    public static async Task<IReadOnlyList<TwilioSignVerdict>> SignAsync(IEnumerable<TwilioSignCase> cases)
    {
        var list = cases.ToList();
        var array = new JsonArray();
        foreach (var c in list)
        {
            array.Add(new JsonObject
            {
                ["authToken"] = c.AuthToken,
                ["url"] = c.Url,
                ["signature"] = c.Signature,
                ["params"] = new JsonArray([.. c.Params.Select(p => (JsonNode)new JsonArray(p.Key, p.Value))]),
            });
        }
        var results = await RunAsync("twilio-sign.mjs", new JsonObject { ["cases"] = array }, list.Count);
        return [.. results.Select(r => new TwilioSignVerdict(
            r?["valid"] is JsonValue v && v.TryGetValue<bool>(out var valid) ? valid : throw Malformed("twilio-sign.mjs", r),
            r["expected"] is JsonValue e && e.TryGetValue<string>(out var expected) ? expected : throw Malformed("twilio-sign.mjs", r)))];
    }

    /// <summary><c>VoiceResponse.toString()</c> for each case's instructions, in the same order.</summary>
    /// <exception cref="InvalidOperationException">As <see cref="SignAsync"/>.</exception>
    /// <exception cref="TimeoutException">As <see cref="SignAsync"/>.</exception>
    public static async Task<IReadOnlyList<string>> TwimlAsync(IEnumerable<IReadOnlyList<TwimlInstruction>> cases)
    {
        var list = cases.ToList();
        var array = new JsonArray();
        foreach (var instructions in list)
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
        var results = await RunAsync("twilio-twiml.mjs", new JsonObject { ["cases"] = array }, list.Count);
        return [.. results.Select(r => r is JsonValue v && v.TryGetValue<string>(out var xml) ? xml : throw Malformed("twilio-twiml.mjs", r))];
    }

    private static InvalidOperationException Malformed(string script, JsonNode? result) =>
        new($"node {script} answered a malformed result: {result?.ToJsonString()}");

    private static async Task<JsonArray> RunAsync(string script, JsonObject input, int expected)
    {
        var root = RepositoryRoot();
        var jsDir = Path.Combine(root, "tests", "js");
        if (!File.Exists(Path.Combine(jsDir, "node_modules", "twilio", "package.json")))
        {
            throw new InvalidOperationException(
                $"The twilio npm package is not installed in {jsDir}/node_modules: run `npm ci --prefix tests/js` (done by .ci/run).");
        }
        var info = new ProcessStartInfo("node", [Path.Combine(jsDir, script)])
        {
            WorkingDirectory = root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // No BOM: JSON.parse rejects one.
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("node did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                "node is not on PATH; it is needed to check Twilio signatures and TwiML against the twilio npm package. "
                + "Install Node.js and npm, then run `npm ci --prefix tests/js` (done by .ci/run).", e);
        }
        using (process)
        {
            using var timeout = new CancellationTokenSource(Timeout);
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                try
                {
                    await process.StandardInput.WriteAsync(input.ToJsonString().AsMemory(), timeout.Token);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // node exited before reading everything; its exit code and stderr below say why.
                }
                await process.WaitForExitAsync(timeout.Token);
                await Task.WhenAll(stdout, stderr);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"node {script} did not finish within {Timeout.TotalSeconds} s.");
            }
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"node {script} exited with code {process.ExitCode}: {await stderr}");
            }
            JsonNode? answer;
            try
            {
                answer = JsonNode.Parse(await stdout);
            }
            catch (JsonException e)
            {
                throw new InvalidOperationException($"node {script} answered non-JSON output: {await stdout}", e);
            }
            return answer?["results"] is JsonArray results && results.Count == expected
                ? results
                : throw new InvalidOperationException($"node {script} answered no \"results\" array of {expected}: {await stdout}");
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Outdial.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No Outdial.slnx above {AppContext.BaseDirectory}; cannot find tests/js.");
    }
}
