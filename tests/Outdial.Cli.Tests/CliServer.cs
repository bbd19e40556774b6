using System.Text.Json.Nodes;
using Outdial.Tests.Shared;
using Xunit;

namespace Outdial.Cli.Tests;

/// <summary>
/// One real server for the test collection, started as <c>outdial serve</c> (so <c>serve</c> is exercised by every test) on a
/// free loopback port with a fresh SQLite data folder, fast sandbox timers, loopback webhooks allowed, a known account key
/// and operator key.
/// </summary>
public sealed class CliServer : IAsyncLifetime
{
    public const string ApiKey = "od_live_clitestclitestclitestcli01";
    public const string AdminKey = "od_admin_clitestclitestclitest01";

    private ServerProcess? _server;
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "outdial-cli-" + Guid.NewGuid().ToString("N"));

    public Uri BaseAddress => _server!.BaseAddress;

    public async Task InitializeAsync()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Outdial__DataDirectory"] = _dataDir,
            ["Outdial__BootstrapApiKey"] = ApiKey,
            ["Outdial__Admin__ApiKey"] = AdminKey,
            ["Outdial__Sandbox__SpeedFactor"] = "200",
            ["Outdial__Api__RateLimitPerMinute"] = "100000",
            ["Outdial__Dispatcher__PollInterval"] = "00:00:00.020",
            ["Outdial__Campaigns__PollInterval"] = "00:00:00.050",
            ["Outdial__Webhooks__AllowedNetworks__0"] = "127.0.0.0/8",
        };
        _server = await ServerProcess.StartAsync(ServerProcess.FreePort(), env, args: ["serve"], entryDll: CliRunner.Dll);
    }

    /// <summary>
    /// A new account of its own (through the operator API, not the CLI), so that a test sees only its own calls; returns
    /// the environment that makes the CLI act for it.
    /// </summary>
    public async Task<IDictionary<string, string?>> NewAccountAsync(string name)
    {
        using var admin = _server!.NewClient(AdminKey);
        using var response = await admin.PostAsync("/v1/admin/accounts", new StringContent(
            new JsonObject { ["name"] = name }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        return new Dictionary<string, string?>(StringComparer.Ordinal) { ["OUTDIAL_API_KEY"] = body["apiKey"]!["key"]!.GetValue<string>() };
    }

    /// <summary>Runs <c>outdial args</c> against this server with the bootstrap account's key.</summary>
    public Task<CliResult> RunAsync(params string[] args) => RunWithAsync(new Dictionary<string, string?>(), args);

    /// <summary>Runs <c>outdial args</c> against this server; <paramref name="env"/> adds or (null) removes variables.</summary>
    public Task<CliResult> RunWithAsync(IDictionary<string, string?> env, params string[] args)
    {
        var all = new Dictionary<string, string?>(Environment(), StringComparer.Ordinal);
        foreach (var (k, v) in env)
        {
            all[k] = v;
        }
        return CliRunner.RunAsync(all, args);
    }

    /// <summary><c>OUTDIAL_URL</c> and <c>OUTDIAL_API_KEY</c> for this server, operator key unset.</summary>
    public IDictionary<string, string?> Environment() => new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["OUTDIAL_URL"] = BaseAddress.ToString(),
        ["OUTDIAL_API_KEY"] = ApiKey,
        ["OUTDIAL_ADMIN_KEY"] = null,
    };

    /// <summary>Runs with <c>--json</c> appended, asserts exit 0 and returns the parsed output.</summary>
    public async Task<JsonNode> JsonAsync(params string[] args)
    {
        var result = await RunAsync([.. args, "--json"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Json;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by the killed process: the temp folder is cleaned by the OS.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class CliServerCollection : ICollectionFixture<CliServer>
{
    public const string Name = "outdial serve";
}
