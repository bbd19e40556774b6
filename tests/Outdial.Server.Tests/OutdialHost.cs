using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Outdial.Core.Accounts;
using Outdial.Core.Common;
using Outdial.Core.Storage;

namespace Outdial.Server.Tests;

/// <summary>
/// A real Outdial server in this process: Kestrel on a free loopback port, a fresh SQLite file in a temp folder,
/// the sandbox provider. Settings are passed as command-line arguments, exactly as an operator would.
/// </summary>
public sealed class OutdialHost : IAsyncDisposable
{
    public const string BootstrapKey = "od_live_testtesttesttesttesttesttest01";

    private readonly WebApplication _app;

    private OutdialHost(WebApplication app, string dataDir)
    {
        _app = app;
        DataDirectory = dataDir;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        Client = NewClient(BootstrapKey);
    }

    public Uri BaseAddress { get; }

    public string DataDirectory { get; }

    /// <summary>Authenticated with the bootstrap account's key.</summary>
    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a server; <paramref name="settings"/> are <c>Section:Key=value</c> overrides; <paramref name="clock"/> replaces the system clock.</summary>
    public static async Task<OutdialHost> StartAsync(IDictionary<string, string>? settings = null, TimeProvider? clock = null)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "outdial-it-" + Guid.NewGuid().ToString("N"));
        var all = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Outdial:DataDirectory"] = dataDir,
            ["Outdial:BootstrapApiKey"] = BootstrapKey,
            ["Outdial:Sandbox:SpeedFactor"] = "200",
            ["Outdial:Api:RateLimitPerMinute"] = "100000",
            ["Outdial:Dispatcher:PollInterval"] = "00:00:00.020",
            ["Logging:LogLevel:Default"] = "Warning",
            // Most tests dial made-up +1 numbers at whatever hour CI runs: the legal floor and the account-wide frequency
            // cap are switched off here and switched on by the compliance and campaign tests that exercise them.
            ["Outdial:Compliance:LegalFloorEnabled"] = "false",
            ["Outdial:Compliance:FrequencyCapMaxAttempts"] = "0",
            ["Outdial:Campaigns:PollInterval"] = "00:00:00.050",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string>())
        {
            all[k] = v;
        }
        var args = all.Select(kv => $"--{kv.Key}={kv.Value}").ToArray();
        var app = OutdialServer.Build(args, b =>
        {
            if (clock is not null)
            {
                b.Services.AddSingleton(clock);
            }
        });
        await OutdialServer.PrepareAsync(app);
        await app.StartAsync();
        return new OutdialHost(app, dataDir);
    }

    public HttpClient NewClient(string? apiKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
        return client;
    }

    /// <summary>Creates another tenant directly in the store and returns a client holding its key.</summary>
    public async Task<(string AccountId, HttpClient Client)> NewTenantAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var id = Ids.New("acc", now);
        var secret = ApiKeySecrets.Generate();
        var number = new Core.PhoneNumbers.PhoneNumber { Id = Ids.New("pn", now), AccountId = id, Number = "+15550000200", Provider = "sandbox", CallsPerSecond = 50, CreatedAt = now, UpdatedAt = now };
        var agent = new Core.Agents.Agent { Id = Ids.New("agt", now), AccountId = id, Key = "default", Name = "Default", IsDefault = true, PhoneNumberId = number.Id, CreatedAt = now, UpdatedAt = now };
        await Services.GetRequiredService<IAccountStore>().CreateAccountAsync(new Account(id, "Other", true, 10, now), agent, number,
            new ApiKey(Ids.New("key", now), id, "k", ApiKeySecrets.VisiblePrefix(secret), ApiKeySecrets.Hash(secret), now, null), CancellationToken.None);
        return (id, NewClient(secret));
    }

    /// <summary>Polls <c>GET /v1/calls/{id}</c> until <paramref name="until"/> holds (a condition, not a sleep); fails after <paramref name="timeout"/>.</summary>
    /// <remarks>With a <see cref="ManualClock"/>, pass <paramref name="pump"/> to move it a little on every poll: a polling loop may register its next timer just after an advance.</remarks>
    public async Task<JsonObject> WaitForCallAsync(string id, Func<JsonObject, bool> until, TimeSpan? timeout = null, HttpClient? client = null, Action? pump = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await (client ?? Client).GetFromJsonAsync<JsonObject>($"/v1/calls/{id}");
            if (last is not null && until(last))
            {
                return last;
            }
            pump?.Invoke();
            await Task.Delay(25);
        }
        throw new TimeoutException($"call {id} never reached the expected state; last: {last?.ToJsonString()}");
    }

    /// <summary>
    /// Waits until the call has ended and, when a person answered, its insights were analysed (the analysis appends a
    /// <c>call.insights_ready</c> event after the end): from then on its event list is final. Returns the call.
    /// </summary>
    public async Task<JsonObject> WaitForSettledAsync(string id, TimeSpan? timeout = null, HttpClient? client = null, Action? pump = null)
    {
        var call = await WaitForCallAsync(id, c => (string?)c["status"] == "ended", timeout, client, pump);
        if ((string?)call["outcome"] != "answered")
        {
            return call;
        }
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            using var response = await (client ?? Client).GetAsync($"/v1/calls/{id}/insights");
            if (response.IsSuccessStatusCode && (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["status"] is "completed" or "failed")
            {
                return call;
            }
            pump?.Invoke();
            await Task.Delay(25);
        }
        throw new TimeoutException($"the insights of call {id} were never analysed");
    }

    public static Task<JsonObject> WaitForStatusAsync(OutdialHost host, string id, string status, TimeSpan? timeout = null) =>
        host.WaitForCallAsync(id, c => (string?)c["status"] == status, timeout);

    private bool _stopped;

    /// <summary>Stops the server as a shutdown would, keeping its data directory for a restart (pass it as <c>Outdial:DataDirectory</c>).</summary>
    public async Task StopKeepingDataAsync()
    {
        if (_stopped)
        {
            return;
        }
        _stopped = true;
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await StopKeepingDataAsync();
        }
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Leftover handles on slow disks; the temp folder is the OS's to clean.
        }
    }
}
