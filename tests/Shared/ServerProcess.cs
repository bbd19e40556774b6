using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Outdial.Tests.Shared;

/// <summary>
/// The real server as a separate OS process (<c>dotnet Outdial.Server.dll</c>, or another entry point that serves it such as
/// <c>dotnet Outdial.Cli.dll serve</c>), so it can be SIGKILLed.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>
    /// Starts the server with <paramref name="env"/> (<c>Outdial__*</c> variables) on <paramref name="port"/> and waits for
    /// <c>/health</c>. <paramref name="setUrls"/> false leaves the address to <paramref name="env"/> and <paramref name="args"/>
    /// (command-line arguments), which must then name <paramref name="port"/> on loopback. <paramref name="entryDll"/> replaces
    /// the server's own dll (e.g. the CLI's, with <c>serve</c> as the first argument).
    /// </summary>
    public static async Task<ServerProcess> StartAsync(int port, IDictionary<string, string> env, bool setUrls = true, string[]? args = null, string? entryDll = null)
    {
        var info = new ProcessStartInfo("dotnet", [entryDll ?? ServerDll(), .. args ?? []])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (setUrls)
        {
            info.Environment["Urls"] = $"http://127.0.0.1:{port}";
        }
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Outdial__Compliance__LegalFloorEnabled"] = "false";
        info.Environment["Outdial__Compliance__FrequencyCapMaxAttempts"] = "0";
        foreach (var (k, v) in env)
        {
            info.Environment[k] = v;
        }
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"));
        using var probe = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"server exited with code {process.ExitCode}");
            }
            try
            {
                if ((await probe.GetAsync("/health")).StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("server did not become healthy");
    }

    /// <summary>A client sending <c>Authorization: Bearer <paramref name="apiKey"/></c> to this server.</summary>
    public HttpClient NewClient(string apiKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    /// <summary>SIGSTOP: the process freezes (as a VM paused or a node stuck in a long GC would), its sockets stay open.</summary>
    public void Pause() => Signal("-STOP");

    /// <summary>SIGCONT: a paused process runs on, unaware it was away.</summary>
    public void Resume() => Signal("-CONT");

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill {signal} failed");
        }
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing — as a power cut or the OOM killer would.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The server build next to this test build (same configuration).</summary>
    private static string ServerDll() => BuiltDll("Outdial.Server");

    /// <summary>
    /// <c>src/{project}/bin/{Configuration}/net10.0/{project}.dll</c> of the repository this test build is in, built with the
    /// test's configuration. Throws <see cref="FileNotFoundException"/> when it was not built.
    /// </summary>
    public static string BuiltDll(string project)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = dir.Parent!.Name; // .../bin/{Configuration}/net10.0/
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Outdial.slnx")))
        {
            dir = dir.Parent;
        }
        var dll = Path.Combine(dir!.FullName, "src", project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"build {project} first", dll);
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
        }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
