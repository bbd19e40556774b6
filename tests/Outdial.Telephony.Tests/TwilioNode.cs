using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Telephony.Twilio;

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
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>The npm library's request for the same arguments as <paramref name="call"/> (camelCase names of <c>CallListInstanceCreateOptions</c>).</summary>
    /// <exception cref="InvalidOperationException">node is not on PATH, the packages are not installed, or the script failed.</exception>
    /// <exception cref="TimeoutException">The script did not finish within 60 seconds.</exception>
    public static async Task<CapturedRequest> CreateCallAsync(string accountSid, TwilioCreateCall call)
    {
        var root = RepositoryRoot();
        var jsDir = Path.Combine(root, "tests", "js");
        if (!File.Exists(Path.Combine(jsDir, "node_modules", "twilio", "package.json")))
        {
            throw new InvalidOperationException($"The twilio npm package is not installed in {jsDir}/node_modules: run `npm ci --prefix tests/js`.");
        }
        var info = new ProcessStartInfo("node", [Path.Combine(jsDir, "twilio-create-call.mjs")])
        {
            WorkingDirectory = root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
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
            throw new InvalidOperationException("node is not on PATH; it is needed to compare with the twilio npm library.", e);
        }
        using (process)
        {
            using var timeout = new CancellationTokenSource(Timeout);
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.StandardInput.WriteAsync(Input(accountSid, call).AsMemory(), timeout.Token);
                process.StandardInput.Close();
                await process.WaitForExitAsync(timeout.Token);
                await Task.WhenAll(stdout, stderr);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"node twilio-create-call.mjs did not finish within {Timeout.TotalSeconds} s.");
            }
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"node twilio-create-call.mjs exited with code {process.ExitCode}: {await stderr}");
            }
            return JsonSerializer.Deserialize<CapturedRequest>(await stdout, Web)
                ?? throw new InvalidOperationException($"node twilio-create-call.mjs answered nothing: {await stdout}");
        }
    }

    private static string Input(string accountSid, TwilioCreateCall c)
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
        return new JsonObject { ["accountSid"] = accountSid, ["authToken"] = "test-token", ["args"] = args }.ToJsonString();
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
