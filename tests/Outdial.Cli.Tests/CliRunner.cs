using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Outdial.Tests.Shared;

namespace Outdial.Cli.Tests;

/// <summary>What one run of <c>outdial</c> printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Stdout parsed as one JSON document (the <c>--json</c> output).</summary>
    public JsonNode Json => JsonNode.Parse(Stdout) ?? throw new InvalidOperationException("stdout is JSON null");

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// Runs the built CLI (<c>dotnet src/Outdial.Cli/bin/{Configuration}/net10.0/Outdial.Cli.dll</c>) as a child process, as
/// a user would, with the environment given (a null value removes a variable).
/// </summary>
public static class CliRunner
{
    public static string Dll { get; } = ServerProcess.BuiltDll("Outdial.Cli");

    public static ProcessStartInfo StartInfo(IEnumerable<string> args, IDictionary<string, string?> env)
    {
        var info = new ProcessStartInfo("dotnet", [Dll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in env)
        {
            if (v is null)
            {
                info.Environment.Remove(k);
            }
            else
            {
                info.Environment[k] = v;
            }
        }
        return info;
    }

    /// <summary>Runs to completion (at most 60 s) and returns what it printed.</summary>
    public static async Task<CliResult> RunAsync(IDictionary<string, string?> env, params string[] args)
    {
        using var process = Process.Start(StartInfo(args, env))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"outdial {string.Join(' ', args)} did not finish within 60 s");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
