using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Outdial.Bench;

/// <summary>
/// Outdial.Server running as a child process (<c>dotnet Outdial.Server.dll</c>) on a free loopback port with a fresh
/// data directory, the bench endpoint on, rate limiting effectively off and webhooks allowed to reach 127.0.0.0/8.
/// Disposing kills it and deletes the directory.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    /// <summary>API key the server is bootstrapped with (<c>Outdial:BootstrapApiKey</c>).</summary>
    public const string ApiKey = "od_live_benchbenchbenchbenchbenchbench1";

    private const int KeptOutputLines = 40;
    private readonly Process _process;
    private readonly string _dataDirectory;
    private readonly bool _ownsDataDirectory;
    private readonly ConcurrentQueue<string> _output = new();

    private ServerProcess(Process process, string dataDirectory, bool ownsDataDirectory, Uri baseAddress)
    {
        _process = process;
        _dataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
        BaseAddress = baseAddress;
    }

    /// <summary>Root address of the server, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Process id of the server (<c>dotnet</c> runs the app in its own process, so this is the app's).</summary>
    public int ProcessId => _process.Id;

    /// <summary>The server's data directory (SQLite database, spooled imports).</summary>
    public string DataDirectory => _dataDirectory;

    /// <summary>
    /// Starts the server from <paramref name="serverDll"/> and waits until <c>GET /health</c> answers 200;
    /// <paramref name="extraArgs"/> are appended to its command line (e.g. <c>--Outdial:Api:MaxRequestBodyBytes=…</c>);
    /// <paramref name="environment"/> is set in its environment after the bench's defaults (so it overrides them and the
    /// bench's own environment); <paramref name="dataDirectory"/> is an existing directory to use, which is then kept on
    /// dispose (by default a fresh temporary one, deleted on dispose).
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string serverDll, TimeSpan startTimeout, CancellationToken ct, IEnumerable<string>? extraArgs = null,
        int? port = null, IReadOnlyDictionary<string, string>? environment = null, string? dataDirectory = null)
    {
        if (!File.Exists(serverDll))
        {
            throw new FileNotFoundException(
                $"{serverDll} not found; build the server first: dotnet build src/Outdial.Server -c Release", serverDll);
        }
        var ownsDataDirectory = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("outdial-bench-").FullName;
        port ??= FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");

        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(serverDll);
        foreach (var arg in extraArgs ?? [])
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment["Outdial__DataDirectory"] = dataDirectory;
        psi.Environment["Outdial__BootstrapApiKey"] = ApiKey;
        psi.Environment["Outdial__Api__EnableBenchEndpoint"] = "true";
        psi.Environment["Outdial__Api__RateLimitPerMinute"] = "100000000";
        psi.Environment["Outdial__Sandbox__SpeedFactor"] = "1000";
        // The webhook receiver of --webhook-endpoints listens on loopback, which the SSRF guard refuses unless allow-listed.
        psi.Environment["Outdial__Webhooks__AllowedNetworks__0"] = "127.0.0.0/8";
        psi.Environment["Urls"] = $"http://127.0.0.1:{port}";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Outdial__Compliance__LegalFloorEnabled"] = "false";
        psi.Environment["Outdial__Compliance__FrequencyCapMaxAttempts"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        var process = new Process { StartInfo = psi };
        ServerProcess? server = null;
        try
        {
            process.Start();
            server = new ServerProcess(process, dataDirectory, ownsDataDirectory, baseAddress);
            process.OutputDataReceived += (_, e) => server.Keep(e.Data);
            process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await server.WaitHealthyAsync(startTimeout, ct);
            return server;
        }
        catch
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
            else
            {
                process.Dispose();
                if (ownsDataDirectory)
                {
                    TryDelete(dataDirectory);
                }
            }
            throw;
        }
    }

    /// <summary>The last lines the server wrote to stdout/stderr, for error messages.</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _output);

    /// <summary>Whether the child has exited (it should not during a run).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Kills the child (and its tree), waits for it, and deletes the data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            await Console.Error.WriteLineAsync($"warning: could not stop the server cleanly: {ex.Message}");
        }
        finally
        {
            _process.Dispose();
            if (_ownsDataDirectory)
            {
                TryDelete(_dataDirectory);
            }
        }
    }

    private async Task WaitHealthyAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"the server exited with code {_process.ExitCode} before answering /health:{Environment.NewLine}{RecentOutput}");
            }
            try
            {
                using var response = await http.GetAsync(new Uri("health", UriKind.Relative), ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // Not listening yet.
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"the server did not answer GET /health with 200 within {timeout.TotalSeconds:0} s:{Environment.NewLine}{RecentOutput}");
            }
            await Task.Delay(100, ct);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _output.Enqueue(line);
        while (_output.Count > KeptOutputLines && _output.TryDequeue(out _))
        {
        }
    }

    /// <summary>A free TCP port on 127.0.0.1.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Deletes <paramref name="directory"/> and everything in it, retrying briefly; warns instead of throwing.</summary>
    public static void TryDelete(string directory)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
                return;
            }
            catch (IOException) when (attempt < 4)
            {
                Thread.Sleep(200);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"warning: could not delete {directory}: {ex.Message}");
                return;
            }
        }
    }
}
