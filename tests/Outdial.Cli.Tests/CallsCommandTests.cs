using System.Text.Json.Nodes;
using Outdial.Cli.Infrastructure;
using Xunit;

namespace Outdial.Cli.Tests;

[Collection(CliServerCollection.Name)]
public sealed class CallsCommandTests(CliServer server)
{
    [Fact]
    public async Task CreateGetListWatchTranscript_OnAnAnsweredSandboxCall_ShowTheCallAndItsConversation()
    {
        var account = await server.NewAccountAsync("calls");
        var created = await server.RunWithAsync(account, "calls", "create", "--to", "+15551230123", "--consent", "web_form",
            "--sandbox-reply", "Hi, this is Ada.", "--metadata", "crmId=42", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var id = created.Json["id"]!.GetValue<string>();
        Assert.Equal(42, created.Json["metadata"]!["crmId"]!.GetValue<int>());

        // watch --until-settled --json: one compact JSON line per change of status or outcome, the last one terminal.
        var watch = await server.RunWithAsync(account, "calls", "watch", "--until-settled", "--interval", "0.2", "--json");
        Assert.True(watch.ExitCode == 0, watch.ToString());
        var changes = watch.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.All(changes, c => Assert.Equal(id, c["id"]!.GetValue<string>()));
        Assert.Equal("ended", changes[^1]["status"]!.GetValue<string>());
        Assert.Equal("answered", changes[^1]["outcome"]!.GetValue<string>());

        var get = await server.RunWithAsync(account, "calls", "get", id, "--json");
        Assert.Equal("answered", get.Json["outcome"]!.GetValue<string>());
        var list = await server.RunWithAsync(account, "calls", "list", "--status", "ended", "--json");
        Assert.Equal(id, Assert.Single(list.Json["data"]!.AsArray())!["id"]!.GetValue<string>());

        // Human output: a table naming the call, and the transcript as a readable script.
        var table = await server.RunWithAsync(account, "calls", "list");
        Assert.Contains(id, table.Stdout, StringComparison.Ordinal);
        Assert.Contains("answered", table.Stdout, StringComparison.Ordinal);
        var script = await server.RunWithAsync(account, "calls", "transcript", id);
        Assert.True(script.ExitCode == 0, script.ToString());
        Assert.Contains("Callee: Hi, this is Ada.", script.Stdout, StringComparison.Ordinal);
        var turns = await server.RunWithAsync(account, "calls", "transcript", id, "--json");
        Assert.Contains(turns.Json["turns"]!.AsArray(), t => t!["text"]!.GetValue<string>() == "Hi, this is Ada.");
    }

    [Fact]
    public async Task Cancel_AScheduledCall_LeavesItCanceled()
    {
        var account = await server.NewAccountAsync("cancel");
        var later = DateTimeOffset.UtcNow.AddHours(2).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var created = await server.RunWithAsync(account, "calls", "create", "--to", "+15551230150", "--consent", "web_form", "--not-before", later, "--json");
        Assert.Equal("scheduled", created.Json["status"]!.GetValue<string>());
        var canceled = await server.RunWithAsync(account, "calls", "cancel", created.Json["id"]!.GetValue<string>(), "--json");
        Assert.True(canceled.ExitCode == 0, canceled.ToString());
        Assert.Equal("canceled", canceled.Json["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_WithoutConsent_PrintsTheProblemDetailsOnStderrAndExits1()
    {
        var result = await server.RunAsync("calls", "create", "--to", "+15551230160");
        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.StartsWith("error: 422 The request has invalid fields. (validation_failed)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  consent: is required", result.Stderr, StringComparison.Ordinal);

        // With --json the problem document is also on stdout, for scripts to switch on its code.
        var json = await server.RunAsync("calls", "create", "--to", "+15551230160", "--json");
        Assert.Equal(ExitCodes.Refused, json.ExitCode);
        Assert.Equal("validation_failed", json.Json["code"]!.GetValue<string>());
        Assert.NotNull(json.Json["errors"]!["consent"]);
    }

    [Fact]
    public async Task Get_AnotherAccountsCall_Exits1WithNotFound()
    {
        var result = await server.RunAsync("calls", "get", "call_01m96p4ew75r9p5k47fxyccj2p");
        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.StartsWith("error: 404", result.Stderr, StringComparison.Ordinal);
    }
}
