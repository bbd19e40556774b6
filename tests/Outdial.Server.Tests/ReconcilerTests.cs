using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Dispatch;
using Outdial.Core.Storage;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>The reconciler resolves attempts whose dial request's fate is unknown by asking the provider, never by guessing.</summary>
public sealed class ReconcilerTests
{
    [Fact]
    public async Task AttemptTheProviderNeverReceived_IsClosedNotPlaced_AndTheCallIsDialedOnce()
    {
        await using var host = await OutdialHost.StartAsync();
        var body = Calls.Body(Numbers.Next(), b => b["notBefore"] = DateTime.UtcNow.AddHours(1).ToString("O"));
        var id = (string)(await (await host.Client.PostCallAsync(body)).JsonAsync())["id"]!;
        var store = host.Services.GetRequiredService<ICallStore>();
        var call = (await store.GetCallByIdAsync(id, CancellationToken.None))!;
        var now = DateTimeOffset.UtcNow;
        // What a crash between "attempt written" and "provider asked" leaves behind: an attempt in dialing, no provider id.
        var orphan = new Attempt
        {
            Id = Ids.New("att", now), CallId = id, AccountId = call.AccountId, Number = 1, Provider = "sandbox",
            Status = AttemptStatus.Dialing, To = call.To, From = call.From, CreatedAt = now, UpdatedAt = now, Version = 1,
        };
        Assert.True(await host.Services.GetRequiredService<CallChanges>().TryApplyAsync(new CallChange
        {
            CallId = id, Expected = [CallStatus.Scheduled], Next = CallStatus.Dialing, Via = CallStatus.Queued, At = now, NewAttempt = orphan,
        }, CancellationToken.None));

        var reconciled = await host.Services.GetRequiredService<Reconciler>().RunOnceAsync(now.AddSeconds(1), CancellationToken.None);
        Assert.True(reconciled >= 1);

        var ended = await OutdialHost.WaitForStatusAsync(host, id, "ended");
        Assert.Equal("answered", (string?)ended["outcome"]);
        var attempts = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]!.AsArray();
        Assert.Equal(2, attempts.Count);
        Assert.Equal("not_placed", (string?)attempts[0]!["providerStatus"]);
        Assert.Null(attempts[0]!["providerCallId"]);
        Assert.Equal("answered", (string?)attempts[1]!["outcome"]);
        var ledger = File.ReadAllLines(Path.Combine(host.DataDirectory, "sandbox-ledger.jsonl"));
        Assert.DoesNotContain(ledger, l => l.Contains(orphan.Id, StringComparison.Ordinal));
        Assert.Single(ledger, l => l.Contains((string)attempts[1]!["id"]!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AttemptThatMissedItsReports_IsCompletedFromTheProvidersRecord()
    {
        await using var host = await OutdialHost.StartAsync();
        var id = (string)(await (await host.Client.PostCallAsync(Calls.Body(Numbers.Next("0001")))).JsonAsync())["id"]!;
        await OutdialHost.WaitForStatusAsync(host, id, "ended");
        // Replaying the provider's record changes nothing: reports are idempotent.
        var before = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/events"))!["data"]!.AsArray().Count;
        var store = host.Services.GetRequiredService<ICallStore>();
        var attempt = (await store.ListAttemptsAsync(id, CancellationToken.None))[0];
        Assert.True(await store.TryUpdateAttemptAsync(attempt with { Status = AttemptStatus.Ringing, Version = attempt.Version + 1 }, CancellationToken.None));
        await host.Services.GetRequiredService<Reconciler>().RunOnceAsync(DateTimeOffset.UtcNow.AddSeconds(1), CancellationToken.None);
        var repaired = (await store.ListAttemptsAsync(id, CancellationToken.None))[0];
        Assert.Equal(AttemptStatus.Completed, repaired.Status);
        Assert.Equal(CallOutcome.Busy, repaired.Outcome);
        Assert.Equal(before, (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/events"))!["data"]!.AsArray().Count);
    }
}
