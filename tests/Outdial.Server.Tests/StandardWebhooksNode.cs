using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Outdial.Server.Tests;

/// <summary>One delivery for the npm verifier: the secret as the receiver holds it, the three <c>webhook-*</c> header values and the exact body.</summary>
/// <param name="Raw">True to construct <c>new Webhook(secret, { format: "raw" })</c>; false for the default (optional <c>whsec_</c> + base64).</param>
/// <param name="Timestamp">The <c>webhook-timestamp</c> header text (Unix seconds); the package rejects values more than 5 minutes from the real clock.</param>
public sealed record NodeCase(string Secret, bool Raw, string Id, string Timestamp, string Signature, string Body);

/// <summary>The npm package's verdict on one <see cref="NodeCase"/>: <paramref name="Error"/> is <c>"{name}: {message}"</c> of what <c>verify()</c> threw, null when ok.</summary>
public sealed record NodeVerdict(bool Ok, string? Error);

/// <summary>
/// Runs <c>tests/js/verify-webhooks.mjs</c>, which verifies deliveries with the official <c>standardwebhooks</c> npm
/// package (version pinned in <c>tests/js/package-lock.json</c>). Missing node or packages fail loudly: a receiver-side
/// check that silently skipped would prove nothing.
/// </summary>
public static class StandardWebhooksNode
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The verdicts for <paramref name="cases"/>, in the same order.</summary>
    /// <exception cref="InvalidOperationException">node is not on PATH, the npm packages are not installed, or the script failed or answered malformed output.</exception>
    /// <exception cref="TimeoutException">The script did not finish within 60 seconds.</exception>
    public static async Task<IReadOnlyList<NodeVerdict>> VerifyAsync(IEnumerable<NodeCase> cases)
    {
        var list = cases.ToList();
        var root = RepositoryRoot();
        var jsDir = Path.Combine(root, "tests", "js");
        if (!File.Exists(Path.Combine(jsDir, "node_modules", "standardwebhooks", "package.json")))
        {
            throw new InvalidOperationException(
                $"The standardwebhooks npm package is not installed in {jsDir}/node_modules: run `npm ci --prefix tests/js` (done by .ci/run).");
        }

        var info = new ProcessStartInfo("node", [Path.Combine(jsDir, "verify-webhooks.mjs")])
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
                "node is not on PATH; it is needed to verify webhooks with the standardwebhooks npm package. "
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
                    await process.StandardInput.WriteAsync(Input(list).AsMemory(), timeout.Token);
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
                throw new TimeoutException($"node verify-webhooks.mjs did not finish within {Timeout.TotalSeconds} s.");
            }
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"node verify-webhooks.mjs exited with code {process.ExitCode}: {await stderr}");
            }
            return Verdicts(await stdout, list.Count);
        }
    }

    private static string Input(List<NodeCase> cases)
    {
        var array = new JsonArray();
        foreach (var c in cases)
        {
            array.Add(new JsonObject
            {
                ["secret"] = c.Secret,
                ["format"] = c.Raw ? "raw" : "base64",
                ["headers"] = new JsonObject
                {
                    ["webhook-id"] = c.Id,
                    ["webhook-timestamp"] = c.Timestamp,
                    ["webhook-signature"] = c.Signature,
                },
                ["body"] = c.Body,
            });
        }
        return new JsonObject { ["cases"] = array }.ToJsonString();
    }

    private static List<NodeVerdict> Verdicts(string stdout, int expected)
    {
        JsonNode? answer;
        try
        {
            answer = JsonNode.Parse(stdout);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"node verify-webhooks.mjs answered non-JSON output: {stdout}", e);
        }
        var verdicts = new List<NodeVerdict>();
        foreach (var result in answer?["results"] as JsonArray ?? [])
        {
            if (result?["ok"] is not JsonValue ok || !ok.TryGetValue<bool>(out var isOk))
            {
                throw new InvalidOperationException($"node verify-webhooks.mjs answered a result without a boolean \"ok\": {stdout}");
            }
            verdicts.Add(new NodeVerdict(isOk, result["error"] is JsonValue error ? error.ToString() : null));
        }
        return verdicts.Count == expected
            ? verdicts
            : throw new InvalidOperationException($"node verify-webhooks.mjs answered {verdicts.Count} results for {expected} cases: {stdout}");
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
