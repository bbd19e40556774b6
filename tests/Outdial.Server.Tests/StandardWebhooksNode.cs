using System.Text.Json.Nodes;
using Outdial.Tests.Shared;

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
    private const string Script = "verify-webhooks.mjs";

    /// <summary>The verdicts for <paramref name="cases"/>, in the same order.</summary>
    /// <exception cref="InvalidOperationException">node is not on PATH, the npm packages are not installed, or the script failed or answered malformed output.</exception>
    /// <exception cref="TimeoutException">The script did not finish within 60 seconds.</exception>
    public static async Task<IReadOnlyList<NodeVerdict>> VerifyAsync(IEnumerable<NodeCase> cases)
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
        var results = await NodeScript.RunResultsAsync(Script, "standardwebhooks", array);
        return [.. results.Select(r => new NodeVerdict(
            r?["ok"] is JsonValue ok && ok.TryGetValue<bool>(out var isOk) ? isOk : throw NodeScript.Malformed(Script, r),
            r["error"] is JsonValue error ? error.ToString() : null))];
    }
}
