using Outdial.Cli.Infrastructure;
using Xunit;

namespace Outdial.Cli.Tests;

/// <summary><c>admin accounts</c> and <c>keys</c>.</summary>
[Collection(CliServerCollection.Name)]
public sealed class AccountCommandTests(CliServer server)
{
    private readonly Dictionary<string, string?> _operator = new(StringComparer.Ordinal) { ["OUTDIAL_ADMIN_KEY"] = CliServer.AdminKey };

    [Fact]
    public async Task AdminAccountsCreateAndList_WithTheOperatorKey_GiveANewAccountWhoseKeyWorks()
    {
        var created = await server.RunWithAsync(_operator, "admin", "accounts", "create", "--name", "Acme CLI", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var accountId = created.Json["account"]!["id"]!.GetValue<string>();
        var key = created.Json["apiKey"]!["key"]!.GetValue<string>();
        Assert.StartsWith("od_live_", key, StringComparison.Ordinal);

        var list = await server.RunWithAsync(_operator, "admin", "accounts", "list", "--limit", "100", "--json");
        Assert.Contains(list.Json["data"]!.AsArray(), a => a!["id"]!.GetValue<string>() == accountId);
        var table = await server.RunWithAsync(_operator, "admin", "accounts", "list", "--limit", "100");
        Assert.Contains("Acme CLI", table.Stdout, StringComparison.Ordinal);

        // The new account's key acts for that account alone: it sees no calls.
        var calls = await server.RunAsync("calls", "list", "--api-key", key, "--json");
        Assert.Empty(calls.Json["data"]!.AsArray());
    }

    [Fact]
    public async Task AdminCommands_WithAnAccountKey_Exit1WithForbidden()
    {
        var result = await server.RunWithAsync(new Dictionary<string, string?> { ["OUTDIAL_ADMIN_KEY"] = CliServer.ApiKey }, "admin", "accounts", "list");
        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.StartsWith("error: 403", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysCreateListRevoke_ARevokedKeyIsRefused()
    {
        var account = await server.NewAccountAsync("keys");
        var created = await server.RunWithAsync(account, "keys", "create", "--name", "ci", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var id = created.Json["id"]!.GetValue<string>();
        var key = created.Json["key"]!.GetValue<string>();

        var list = await server.RunWithAsync(account, "keys", "list", "--json");
        var listed = Assert.Single(list.Json["data"]!.AsArray(), k => k!["id"]!.GetValue<string>() == id)!;
        Assert.Null(listed["key"]);
        Assert.Equal(0, (await server.RunAsync("calls", "list", "--api-key", key)).ExitCode);

        var revoke = await server.RunWithAsync(account, "keys", "revoke", id);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        var refused = await server.RunAsync("calls", "list", "--api-key", key);
        Assert.Equal(ExitCodes.Refused, refused.ExitCode);
        Assert.StartsWith("error: 401", refused.Stderr, StringComparison.Ordinal);
    }
}
