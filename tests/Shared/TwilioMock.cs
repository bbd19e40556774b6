using System.Net;
using System.Text;

namespace Outdial.Tests.Shared;

/// <summary>
/// A mock of Twilio's 2010-04-01 REST API for tests: Stoplight Prism serving Twilio's official OpenAPI spec
/// (<c>shared/tools/twilio-mock.sh</c>). Prism rejects requests that break the spec with 422 and answers valid ones with
/// the spec's examples (CreateCall: a <c>queued</c> outbound call, by <c>--queued-example</c>); a request header
/// <c>Prefer: code=404</c> or <c>Prefer: example=name</c> selects another response.
/// <para>
/// Uses the mock at env <c>TWILIO_MOCK_URL</c> when set (e.g. started once by CI); else starts one on a free loopback
/// port with the script found at env <c>TWILIO_MOCK_SCRIPT</c>, else <c>shared/tools/twilio-mock.sh</c> in a folder above
/// the test assembly, else <c>tests/twilio-mock/tools/twilio-mock.sh</c> in the repository (a copy, beside the spec in <c>tests/twilio-mock/specs/</c>); stops it on dispose. A mock that
/// cannot be reached or started fails the tests (never skips them).
/// </para>
/// Use from a test project: compile this file in (<c>&lt;Compile Include="..\Shared\TwilioMock.cs" /&gt;</c>) and mark
/// test classes <c>[Collection(TwilioMock.Collection)]</c> with a constructor parameter <c>TwilioMock mock</c>.
/// </summary>
public sealed class TwilioMock : Xunit.IAsyncLifetime
{
    /// <summary>Name of the xunit collection sharing one mock.</summary>
    public const string Collection = "twilio-mock";

    /// <summary>An account SID the spec accepts (<c>^AC[0-9a-fA-F]{32}$</c>); Prism checks no credentials.</summary>
    public const string AccountSid = "AC00000000000000000000000000000000";

    /// <summary>Any token: Prism does not check Basic credentials.</summary>
    public const string AuthToken = "mock-auth-token";

    /// <summary>Twilio's timestamp format (RFC 2822 with a numeric zone), in UTC: <c>Sat, 21 Nov 2026 11:53:29 +0000</c>.</summary>
    public static string Rfc2822(DateTimeOffset at) =>
        at.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", System.Globalization.CultureInfo.InvariantCulture);

    private int? _pid;

    /// <summary>Base URL of the mock, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash); set after initialisation.</summary>
    public string Url { get; private set; } = "";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable("TWILIO_MOCK_URL");
        if (!string.IsNullOrWhiteSpace(external))
        {
            Url = external.TrimEnd('/');
            await ProbeAsync(Url);
            return;
        }
        (Url, _pid) = await PrismScript.StartAsync(FindScript(), "Twilio", "--queued-example");
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
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{url}/2010-04-01/Accounts/{AccountSid}/Calls.json");
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:{AuthToken}")));
        try
        {
            using var response = await http.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"The Twilio mock at {url} answered {(int)response.StatusCode} to GET Calls.json; expected 200.");
            }
        }
        catch (HttpRequestException e)
        {
            throw new InvalidOperationException($"The Twilio mock at {url} cannot be reached (TWILIO_MOCK_URL or the started Prism).", e);
        }
    }

    private static string FindScript()
    {
        var fromEnv = Environment.GetEnvironmentVariable("TWILIO_MOCK_SCRIPT");
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return File.Exists(fromEnv) ? fromEnv : throw new InvalidOperationException($"TWILIO_MOCK_SCRIPT={fromEnv} does not exist.");
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var shared = Path.Combine(dir.FullName, "shared", "tools", "twilio-mock.sh");
            if (File.Exists(shared))
            {
                return shared;
            }
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var inRepo = Path.Combine(dir.FullName, "tests", "twilio-mock", "tools", "twilio-mock.sh");
            if (File.Exists(Path.Combine(dir.FullName, "Outdial.slnx")) && File.Exists(inRepo))
            {
                return inRepo;
            }
        }
        throw new InvalidOperationException(
            $"No twilio-mock.sh found (env TWILIO_MOCK_SCRIPT, shared/tools/ above {AppContext.BaseDirectory}, tests/twilio-mock/tools/); "
            + "or set TWILIO_MOCK_URL to a running mock.");
    }
}

/// <summary>The xunit collection whose tests share one <see cref="TwilioMock"/>.</summary>
[Xunit.CollectionDefinition(TwilioMock.Collection)]
public sealed class TwilioMockCollection : Xunit.ICollectionFixture<TwilioMock>;
