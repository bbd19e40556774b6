using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Outdial.Tests.Shared;

/// <summary>
/// Starts and stops a Prism mock through one of the repository's mock scripts (<c>twilio-mock.sh</c>, <c>telnyx-mock.sh</c>):
/// the script installs Prism, starts it in the background, waits until it answers and prints <c>PRISM_PID=</c> and
/// <c>PRISM_URL=</c>. Shared by <see cref="TwilioMock"/> and <see cref="TelnyxMock"/>.
/// </summary>
public static class PrismScript
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Runs <c>bash <paramref name="script"/> --port {a free loopback port} <paramref name="arguments"/></c> and returns the
    /// mock's URL (no trailing slash) and Prism's process id (null when the script printed none).
    /// </summary>
    /// <exception cref="InvalidOperationException">bash is missing, or the script failed (its stderr is in the message).</exception>
    /// <exception cref="TimeoutException">The script did not finish within 5 minutes; it is killed.</exception>
    public static async Task<(string Url, int? Pid)> StartAsync(string script, string name, params string[] arguments)
    {
        var port = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var info = new ProcessStartInfo("bash", [script, "--port", port, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("bash did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Cannot run {script}: bash is not on PATH.", e);
        }
        using (process)
        {
            using var timeout = new CancellationTokenSource(StartTimeout);
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
                await Task.WhenAll(stdout, stderr);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{script} did not start the {name} mock within {StartTimeout.TotalMinutes} minutes.");
            }
            var output = await stdout;
            var values = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            int? pid = values.TryGetValue("PRISM_PID", out var text) && int.TryParse(text, out var id) ? id : null;
            if (process.ExitCode != 0 || !values.TryGetValue("PRISM_URL", out var url))
            {
                Stop(pid);
                throw new InvalidOperationException(
                    $"{script} failed to start the {name} mock (exit code {process.ExitCode}; needs node and npm). Output: {output} Errors: {await stderr}");
            }
            return (url.TrimEnd('/'), pid);
        }
    }

    /// <summary>Kills Prism (and its children) when <paramref name="pid"/> is set and still running.</summary>
    public static void Stop(int? pid)
    {
        if (pid is not { } id)
        {
            return;
        }
        try
        {
            using var prism = Process.GetProcessById(id);
            prism.Kill(entireProcessTree: true);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
