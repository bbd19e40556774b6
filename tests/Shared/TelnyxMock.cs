using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Outdial.Tests.Shared;

/// <summary>
/// A mock of Telnyx's v2 REST API for tests: Stoplight Prism serving Telnyx's official OpenAPI spec
/// (<c>tests/telnyx-mock/tools/telnyx-mock.sh</c>, spec copy in <c>tests/telnyx-mock/specs/telnyx_spec3.yml</c>, paths served
/// under <c>/v2</c> as the real API has them). Prism rejects requests that break the spec with 422 and answers valid ones
/// with the spec's examples; a request header <c>Prefer: code=404</c> selects another response.
/// <para>
/// Uses the mock at env <c>TELNYX_MOCK_URL</c> when set (e.g. started once by CI); else starts one on a free loopback port
/// with the script at env <c>TELNYX_MOCK_SCRIPT</c>, else the repository's; stops it on dispose. A mock that cannot be
/// reached or started fails the tests (never skips them).
/// </para>
/// Use: compile this file in and mark test classes <c>[Collection(TelnyxMock.Collection)]</c> with a <c>TelnyxMock</c> parameter.
/// </summary>
public sealed class TelnyxMock : Xunit.IAsyncLifetime
{
    /// <summary>Name of the xunit collection sharing one mock.</summary>
    public const string Collection = "telnyx-mock";

    /// <summary>The <c>call_control_id</c> of the spec's example call (Dial and Retrieve answer it).</summary>
    public const string ExampleCallControlId = "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);
    private int? _pid;

    /// <summary>Base URL of the mock, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash, no <c>/v2</c>); set after initialisation.</summary>
    public string Url { get; private set; } = "";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable("TELNYX_MOCK_URL");
        if (!string.IsNullOrWhiteSpace(external))
        {
            Url = external.TrimEnd('/');
            await ProbeAsync(Url);
            return;
        }
        var script = Environment.GetEnvironmentVariable("TELNYX_MOCK_SCRIPT") is { Length: > 0 } fromEnv
            ? fromEnv
            : Path.Combine(NodeScript.RepositoryRoot(), "tests", "telnyx-mock", "tools", "telnyx-mock.sh");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"{script} does not exist; set TELNYX_MOCK_URL to a running mock.");
        }
        var port = FreePort().ToString(CultureInfo.InvariantCulture);
        var info = new ProcessStartInfo("bash", [script, "--port", port, "--pidfile", Path.Combine(Path.GetTempPath(), $"telnyx-prism-{port}.pid")])
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
                throw new TimeoutException($"{script} did not start the Telnyx mock within {StartTimeout.TotalMinutes} minutes.");
            }
            var values = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            if (values.TryGetValue("PRISM_PID", out var pid) && int.TryParse(pid, CultureInfo.InvariantCulture, out var id))
            {
                _pid = id;
            }
            if (process.ExitCode != 0 || !values.TryGetValue("PRISM_URL", out var url))
            {
                throw new InvalidOperationException(
                    $"{script} failed to start the Telnyx mock (exit code {process.ExitCode}; needs node and npm). Errors: {await stderr}");
            }
            Url = url.TrimEnd('/');
        }
        await ProbeAsync(Url);
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        if (_pid is { } pid)
        {
            try
            {
                using var prism = Process.GetProcessById(pid);
                prism.Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
            _pid = null;
        }
        return Task.CompletedTask;
    }

    private static async Task ProbeAsync(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{url}/v2/calls/{ExampleCallControlId}");
        request.Headers.Authorization = new("Bearer", "probe");
        try
        {
            using var response = await http.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"The Telnyx mock at {url} answered {(int)response.StatusCode} to GET /v2/calls/{{id}}; expected 200.");
            }
        }
        catch (HttpRequestException e)
        {
            throw new InvalidOperationException($"The Telnyx mock at {url} cannot be reached (TELNYX_MOCK_URL or the started Prism).", e);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The xunit collection whose tests share one <see cref="TelnyxMock"/>.</summary>
[Xunit.CollectionDefinition(TelnyxMock.Collection)]
public sealed class TelnyxMockCollection : Xunit.ICollectionFixture<TelnyxMock>;
