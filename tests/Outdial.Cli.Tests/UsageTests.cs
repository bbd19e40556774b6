using Outdial.Cli.Infrastructure;
using Outdial.Tests.Shared;
using Xunit;

namespace Outdial.Cli.Tests;

/// <summary>Exit codes 2 (usage) and 3 (unreachable), and migrate on a fresh database; none needs the shared server.</summary>
public sealed class UsageTests
{
    private static readonly Dictionary<string, string?> NoSettings = new(StringComparer.Ordinal)
    {
        ["OUTDIAL_URL"] = null,
        ["OUTDIAL_API_KEY"] = null,
        ["OUTDIAL_ADMIN_KEY"] = null,
    };

    [Theory]
    [InlineData("calls")]                              // a group without a command
    [InlineData("calls", "get")]                       // a missing argument
    [InlineData("calls", "list", "--no-such-option")]  // an unknown option
    [InlineData("calls", "watch", "--interval", "0")]  // a value out of range
    [InlineData("calls", "list")]                      // no API key
    public async Task UsageErrors_Exit2WithAMessageOnStderr(params string[] args)
    {
        var result = await CliRunner.RunAsync(NoSettings, args);
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("error: ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerThatIsNotThere_Exits3()
    {
        var url = $"http://127.0.0.1:{ServerProcess.FreePort()}";
        var result = await CliRunner.RunAsync(NoSettings, "calls", "list", "--url", url, "--api-key", "od_live_whatever");
        Assert.Equal(ExitCodes.Unavailable, result.ExitCode);
        Assert.StartsWith($"error: cannot reach the Outdial server at {url}/", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_OnAnAddressInUse_Exits2WithOneLine()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var dir = Path.Combine(Path.GetTempPath(), "outdial-cli-serve-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = await CliRunner.RunAsync(NoSettings, "serve", "--urls", $"http://127.0.0.1:{port}", $"--Outdial:DataDirectory={dir}");
            Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
            Assert.StartsWith("error: cannot listen: ", result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Migrate_OnAFreshSqliteFile_AppliesEveryMigrationOnceAndPrintsTheVersion()
    {
        var dir = Path.Combine(Path.GetTempPath(), "outdial-cli-migrate-" + Guid.NewGuid().ToString("N"));
        try
        {
            var first = await CliRunner.RunAsync(NoSettings, "migrate", "--json", $"--Outdial:DataDirectory={dir}");
            Assert.True(first.ExitCode == 0, first.ToString());
            Assert.Equal("SQLite", first.Json["engine"]!.GetValue<string>());
            Assert.Equal(0, first.Json["previousVersion"]!.GetValue<int>());
            var version = first.Json["schemaVersion"]!.GetValue<int>();
            Assert.True(version >= 12, first.ToString());
            Assert.True(File.Exists(Path.Combine(dir, "outdial.db")));

            var again = await CliRunner.RunAsync(NoSettings, "migrate", $"--Outdial:DataDirectory={dir}");
            Assert.True(again.ExitCode == 0, again.ToString());
            Assert.Contains($"schema version {version} (up to date)", again.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Migrate_WhenTheDatabaseCannotBeReached_Exits3()
    {
        var port = ServerProcess.FreePort();
        var result = await CliRunner.RunAsync(NoSettings, "migrate", "--Outdial:Database:Provider=postgres",
            $"--ConnectionStrings:Outdial=Host=127.0.0.1;Port={port};Username=nobody;Timeout=2");
        Assert.True(result.ExitCode == ExitCodes.Unavailable, result.ToString());
        Assert.StartsWith("error: cannot open 127.0.0.1:", result.Stderr, StringComparison.Ordinal);
    }
}
