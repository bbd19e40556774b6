using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Outdial.Tests.Shared;

/// <summary>
/// Runs a Node.js script from <c>tests/js</c> that checks our output with an official npm package (versions pinned in
/// <c>tests/js/package-lock.json</c>): the input goes to the script's stdin as one UTF-8 document (no BOM, which
/// <c>JSON.parse</c> rejects) and the answer is read from its stdout. Missing node or packages, a failing script and
/// malformed output all fail loudly: a comparison that silently skipped would prove nothing.
/// <para>
/// The scripts' shape is <c>stdin: {...}</c> → <c>stdout: {...}</c>; batch scripts take <c>{"cases":[...]}</c> and answer
/// <c>{"results":[...]}</c> with one result per case, in the same order (see <see cref="RunResultsAsync"/>).
/// </para>
/// Use from a test project: compile this file in (<c>&lt;Compile Include="..\Shared\NodeScript.cs" /&gt;</c>) and install
/// the packages with <c>npm ci --prefix tests/js</c> (the test projects do it on first build; so does <c>.ci/run</c>).
/// </summary>
public static class NodeScript
{
    /// <summary>How long a script may run, from start to exit, unless the caller says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The repository root: the first folder above the test assembly holding <c>Outdial.slnx</c>.</summary>
    /// <exception cref="InvalidOperationException">No folder above the test assembly holds <c>Outdial.slnx</c>.</exception>
    public static string RepositoryRoot()
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

    /// <summary>
    /// Runs <c>node tests/js/<paramref name="script"/></c> in the repository root, writes <paramref name="input"/> to its
    /// stdin, closes it and returns everything the script wrote to stdout once it has exited with code 0.
    /// </summary>
    /// <param name="script">File name of the script in <c>tests/js</c>, e.g. <c>twilio-sign.mjs</c>.</param>
    /// <param name="package">The npm package the script needs, e.g. <c>twilio</c>: its folder in <c>tests/js/node_modules</c> must hold a <c>package.json</c>.</param>
    /// <param name="input">The text written to stdin (UTF-8, no BOM).</param>
    /// <param name="timeout">Limit for the whole run; <see cref="DefaultTimeout"/> when null.</param>
    /// <exception cref="InvalidOperationException">
    /// The repository root is not found, <paramref name="package"/> is not installed in <c>tests/js/node_modules</c> (the
    /// message says to run <c>npm ci --prefix tests/js</c>), node is not on PATH, or the script exited with a non-zero
    /// code (the message holds the code and its stderr).
    /// </exception>
    /// <exception cref="TimeoutException">The script did not finish within the timeout; it is killed with its child processes.</exception>
    public static async Task<string> RunAsync(string script, string package, string input, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var root = RepositoryRoot();
        var jsDir = Path.Combine(root, "tests", "js");
        if (!File.Exists(Path.Combine(jsDir, "node_modules", package, "package.json")))
        {
            throw new InvalidOperationException(
                $"The {package} npm package is not installed in {jsDir}/node_modules (needed by tests/js/{script}): "
                + "run `npm ci --prefix tests/js` (done by .ci/run and on the test projects' first build).");
        }

        var info = new ProcessStartInfo("node", [Path.Combine(jsDir, script)])
        {
            WorkingDirectory = root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = Utf8NoBom,
            StandardOutputEncoding = Utf8NoBom,
            StandardErrorEncoding = Utf8NoBom,
        };
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"node did not start for tests/js/{script}.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"node is not on PATH; it is needed to run tests/js/{script} with the {package} npm package. "
                + "Install Node.js and npm, then run `npm ci --prefix tests/js` (done by .ci/run).", e);
        }

        using (process)
        {
            using var cancel = new CancellationTokenSource(limit);
            var stdout = process.StandardOutput.ReadToEndAsync(cancel.Token);
            var stderr = process.StandardError.ReadToEndAsync(cancel.Token);
            try
            {
                try
                {
                    await process.StandardInput.WriteAsync(input.AsMemory(), cancel.Token);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // node exited before reading everything; its exit code and stderr below say why.
                }
                await process.WaitForExitAsync(cancel.Token);
                await Task.WhenAll(stdout, stderr);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"node {script} did not finish within {limit.TotalSeconds} s.");
            }
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"node {script} exited with code {process.ExitCode}: {await stderr}");
            }
            return await stdout;
        }
    }

    /// <summary>
    /// As <see cref="RunAsync"/>, with <paramref name="input"/> sent as compact JSON and stdout parsed as one JSON document.
    /// </summary>
    /// <returns>The parsed answer; never null (a bare <c>null</c> answer is an error).</returns>
    /// <exception cref="InvalidOperationException">As <see cref="RunAsync"/>, or stdout is not JSON or is <c>null</c> (the message holds the output).</exception>
    /// <exception cref="TimeoutException">As <see cref="RunAsync"/>.</exception>
    public static async Task<JsonNode> RunJsonAsync(string script, string package, JsonNode input, TimeSpan? timeout = null)
    {
        var stdout = await RunAsync(script, package, input.ToJsonString(), timeout);
        try
        {
            return JsonNode.Parse(stdout) ?? throw new InvalidOperationException($"node {script} answered null: {stdout}");
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"node {script} answered non-JSON output: {stdout}", e);
        }
    }

    /// <summary>
    /// Runs a batch script: sends <c>{"cases": <paramref name="cases"/>}</c> and returns the <c>"results"</c> array of its
    /// answer <c>{"results":[...]}</c>, checked to hold exactly one result per case (in the same order, by the scripts' contract).
    /// </summary>
    /// <exception cref="InvalidOperationException">As <see cref="RunJsonAsync"/>, or the answer has no <c>"results"</c> array of <c>cases.Count</c> items.</exception>
    /// <exception cref="TimeoutException">As <see cref="RunAsync"/>.</exception>
    public static async Task<JsonArray> RunResultsAsync(string script, string package, JsonArray cases, TimeSpan? timeout = null)
    {
        var expected = cases.Count;
        var answer = await RunJsonAsync(script, package, new JsonObject { ["cases"] = cases }, timeout);
        return answer["results"] is JsonArray results && results.Count == expected
            ? results
            : throw new InvalidOperationException($"node {script} answered no \"results\" array of {expected}: {answer.ToJsonString()}");
    }

    /// <summary>The error for one result of <paramref name="script"/> that lacks a field or has one of the wrong type.</summary>
    public static InvalidOperationException Malformed(string script, JsonNode? result) =>
        new($"node {script} answered a malformed result: {result?.ToJsonString() ?? "null"}");
}
