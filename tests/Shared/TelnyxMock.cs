using System.Net;

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
        (Url, _pid) = await PrismScript.StartAsync(script, "Telnyx");
        await ProbeAsync(Url);
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        PrismScript.Stop(_pid);
        _pid = null;
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
}

/// <summary>The xunit collection whose tests share one <see cref="TelnyxMock"/>.</summary>
[Xunit.CollectionDefinition(TelnyxMock.Collection)]
public sealed class TelnyxMockCollection : Xunit.ICollectionFixture<TelnyxMock>;
