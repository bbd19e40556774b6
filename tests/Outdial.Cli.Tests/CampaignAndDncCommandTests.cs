using System.Globalization;
using System.Text;
using Xunit;

namespace Outdial.Cli.Tests;

/// <summary><c>campaigns</c> and <c>dnc</c>.</summary>
[Collection(CliServerCollection.Name)]
public sealed class CampaignAndDncCommandTests(CliServer server) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("outdial-cli-files-").FullName;

    [Fact]
    public async Task CreateImportStartPauseStats_RunACampaignFromACsvFile()
    {
        var account = await server.NewAccountAsync("campaigns");
        var created = await server.RunWithAsync(account, "campaigns", "create", "--name", "Spring", "--time-zone", "America/New_York",
            "--days", "mon,tue,wed,thu,fri,sat,sun", "--hours", "00:00-23:59", "--calls-per-second", "50", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var id = created.Json["id"]!.GetValue<string>();
        Assert.Equal("draft", created.Json["status"]!.GetValue<string>());
        Assert.Equal("America/New_York", created.Json["callingWindow"]!["timeZone"]!.GetValue<string>());

        // 3,000 contacts and one bad row; numbers ending in 0004 fail at once on the sandbox (invalid_number).
        var csv = new StringBuilder("phone,firstName\n");
        for (var i = 0; i < 3000; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"+1212{i:D3}0004,N{i}\n");
        }
        csv.Append("not-a-number,X\n");
        var file = Path.Combine(_dir, "contacts.csv");
        await File.WriteAllTextAsync(file, csv.ToString());

        // Human output (piped): progress lines with rows/s, then the finished import.
        var import = await server.RunWithAsync(account, "campaigns", "import", id, file);
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains("rows/s", import.Stdout, StringComparison.Ordinal);
        Assert.Contains("completed", import.Stdout, StringComparison.Ordinal);
        var again = await server.RunWithAsync(account, "campaigns", "import", id, file, "--json");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal("completed", again.Json["status"]!.GetValue<string>());
        Assert.Equal(3001, again.Json["rowsRead"]!.GetValue<long>());
        Assert.Equal(3000, again.Json["duplicate"]!.GetValue<long>());
        Assert.Equal(1, again.Json["invalid"]!.GetValue<long>());

        var stats = await server.RunWithAsync(account, "campaigns", "stats", id, "--json");
        Assert.Equal(3000, stats.Json["contacts"]!.GetValue<long>());

        var started = await server.RunWithAsync(account, "campaigns", "start", id, "--json");
        Assert.True(started.ExitCode == 0, started.ToString());
        Assert.Equal("active", started.Json["status"]!.GetValue<string>());
        var paused = await server.RunWithAsync(account, "campaigns", "pause", id, "--json");
        Assert.Equal("paused", paused.Json["status"]!.GetValue<string>());
        var resumed = await server.RunWithAsync(account, "campaigns", "start", id, "--json");
        Assert.Equal("active", resumed.Json["status"]!.GetValue<string>());
        var list = await server.RunWithAsync(account, "campaigns", "list", "--json");
        Assert.Equal(id, Assert.Single(list.Json["data"]!.AsArray())!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task DncAddImportCheck_ListTheNumbersAndReportTheInvalidOnes()
    {
        var account = await server.NewAccountAsync("dnc");
        var added = await server.RunWithAsync(account, "dnc", "add", "+15551238001", "--reason", "asked", "--opt-out", "--json");
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Equal("added", added.Json["result"]!.GetValue<string>());

        var file = Path.Combine(_dir, "dnc.csv");
        await File.WriteAllTextAsync(file, "number,reason\n+15551238002,\"complained, twice\"\n+15551238003,\nbad,x\n+15551238001,again\n");
        var import = await server.RunWithAsync(account, "dnc", "import", file, "--json");
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Equal(2, import.Json["added"]!.GetValue<long>());
        Assert.Equal(1, import.Json["kept"]!.GetValue<long>());
        var invalid = Assert.Single(import.Json["invalid"]!.AsArray())!;
        Assert.Equal(2, invalid["index"]!.GetValue<int>());

        var check = await server.RunWithAsync(account, "dnc", "check", "+15551238002", "+15551238009", "--json");
        var results = check.Json["results"]!.AsArray();
        Assert.True(results[0]!["listed"]!.GetValue<bool>());
        Assert.Equal("complained, twice", results[0]!["entry"]!["reason"]!.GetValue<string>());
        Assert.False(results[1]!["listed"]!.GetValue<bool>());
        var table = await server.RunWithAsync(account, "dnc", "check", "+15551238001");
        Assert.Contains("yes", table.Stdout, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
