using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Net;
using Outdial.Core.PhoneNumbers;
using Outdial.Core.Storage;
using Outdial.Core.Webhooks;
using Outdial.Storage.Sqlite;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// The deliverer's side of per-call webhook formats, one claim round at a time on a manual clock: a real SQLite outbox,
/// a real receiver on loopback, and a test format.
/// </summary>
public sealed class WebhookFormatDeliveryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 15, 0, 10, TimeSpan.Zero);
    private const string Secret = "per-call-secret";

    /// <summary>A migrated SQLite store in a temp folder with one account, and a receiver on loopback.</summary>
    private sealed class Outbox : IAsyncDisposable
    {
        private readonly string _dir;
        private readonly SqliteWriter _writer;
        private readonly SqliteDatabase _db;

        private Outbox(string dir, SqliteDatabase db, SqliteWriter writer, SqliteStore store, WebhookReceiver receiver, string accountId)
        {
            _db = db;
            _dir = dir;
            _writer = writer;
            Store = store;
            Receiver = receiver;
            AccountId = accountId;
        }

        public SqliteStore Store { get; }

        public WebhookReceiver Receiver { get; }

        public string AccountId { get; }

        public static async Task<Outbox> StartAsync()
        {
            var dir = Path.Combine(Path.GetTempPath(), "outdial-whfmt-" + Guid.NewGuid().ToString("N"));
            var db = new SqliteDatabase(Path.Combine(dir, "test.db"));
            await db.MigrateAsync(CancellationToken.None);
            var writer = new SqliteWriter(db, "FULL", 256);
            var store = new SqliteStore(db, writer);
            var accountId = Ids.New("acc", T0);
            var secret = ApiKeySecrets.Generate();
            var number = new PhoneNumber { Id = Ids.New("pn", T0), AccountId = accountId, Number = "+15550000100", Provider = "sandbox", CallsPerSecond = 5, CreatedAt = T0, UpdatedAt = T0 };
            var agent = new Agent { Id = Ids.New("agt", T0), AccountId = accountId, Key = "default", Name = "Default", IsDefault = true, PhoneNumberId = number.Id, CreatedAt = T0, UpdatedAt = T0 };
            await store.CreateAccountAsync(new Account(accountId, "Formats", true, 10, T0), agent, number,
                new ApiKey(Ids.New("key", T0), accountId, "k", ApiKeySecrets.VisiblePrefix(secret), ApiKeySecrets.Hash(secret), T0, null), CancellationToken.None);
            return new Outbox(dir, db, writer, store, await WebhookReceiver.StartAsync(), accountId);
        }

        public async ValueTask DisposeAsync()
        {
            await Receiver.DisposeAsync();
            await _writer.DisposeAsync();
            _db.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
                // A pooled handle may linger; the OS cleans the temp folder.
            }
        }

        public WebhookDeliverer Deliverer(TimeProvider clock) => new(Store, new OutboundUrlGuard(["127.0.0.0/8"]), new OutboxSignal(),
            Options.Create(new WebhookOptions()), new Lifetime(), clock, NullLogger<WebhookDeliverer>.Instance, [new IdsFormatter()], new Core.Nodes.NodeIdentity(clock));

        /// <summary>Stores a queued call (its <c>call.queued</c> event at <see cref="T0"/> plans the deliveries).</summary>
        public async Task<Call> CallAsync(string to, params CallWebhook[] hooks)
        {
            var call = new Call
            {
                Id = Ids.New("call", T0),
                AccountId = AccountId,
                Status = CallStatus.Queued,
                To = to,
                From = "+15550000100",
                Provider = "sandbox",
                AgentId = "agt_1",
                AgentSource = AgentSource.Request,
                Retry = RetryPolicy.Single,
                Decision = new IntakeDecision("queued", T0, null),
                DueAt = T0,
                Webhooks = hooks,
                CreatedAt = T0,
                UpdatedAt = T0,
            };
            Assert.IsType<CreateCallResult.Created>(await Store.CreateCallAsync(
                NewCall.Plan(call, [new NewCallEvent(CallEventTypes.Queued, new JsonObject { ["status"] = "queued" })], [], null), CancellationToken.None));
            return call;
        }

        public async Task<IReadOnlyList<WebhookDelivery>> DeliveriesAsync(string callId) =>
            await Store.ListDeliveriesAsync(new WebhookDeliveryQuery(AccountId, 50, CallId: callId), CancellationToken.None);
    }

    /// <summary>Test format <c>ids</c>: <c>{"ids": [data.id, ...]}</c>; refuses a call to a number ending in 9999.</summary>
    private sealed class IdsFormatter : ICallWebhookFormatter
    {
        public string Format => "ids";

        public string Render(IReadOnlyList<WebhookDelivery> deliveries)
        {
            var ids = new JsonArray();
            foreach (var delivery in deliveries)
            {
                var call = JsonNode.Parse(delivery.Body)!["data"]!;
                if (((string)call["to"]!).EndsWith("9999", StringComparison.Ordinal))
                {
                    throw new JsonException("this call cannot be rendered");
                }
                ids.Add((string)call["id"]!);
            }
            return new JsonObject { ["ids"] = ids }.ToJsonString();
        }
    }

    private sealed class Lifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }

    /// <summary>One claim round, then waits for the attempts it started (StopAsync lets attempts in flight finish).</summary>
    private static async Task<int> RoundAsync(WebhookDeliverer deliverer)
    {
        var claimed = await deliverer.RunOnceAsync(CancellationToken.None);
        await deliverer.StopAsync(CancellationToken.None);
        return claimed;
    }

    /// <summary>
    /// Runs further rounds, moving the fake clock past each retry, until every path has accepted a POST (at most 3 more); fails
    /// with the deliveries' recorded attempts otherwise, so a lost send says why.
    /// </summary>
    private static async Task RetryUntilAcceptedAsync(Outbox o, WebhookDeliverer deliverer, ManualClock clock, string[] paths, IEnumerable<Call> calls)
    {
        for (var round = 0; round < 3 && !paths.All(p => o.Receiver.Accepted.Any(r => r.Path == p)); round++)
        {
            clock.Advance(TimeSpan.FromMinutes(10));
            await RoundAsync(deliverer);
        }
        if (!paths.All(p => o.Receiver.Accepted.Any(r => r.Path == p)))
        {
            var attempts = new List<string>();
            foreach (var call in calls)
            {
                foreach (var delivery in await o.DeliveriesAsync(call.Id))
                {
                    attempts.AddRange(delivery.Attempts.Select(a => $"{delivery.Id} {delivery.Status}: {a.StatusCode} {a.Error}"));
                }
            }
            Assert.Fail($"not every path accepted a POST; attempts: {string.Join("; ", attempts)}");
        }
    }

    [Fact]
    public async Task DeliveryWithAnUnregisteredFormat_IsRecordedFailedWithTheReason_AndNotSent()
    {
        await using var o = await Outbox.StartAsync();
        var call = await o.CallAsync("+15551230001",
            new CallWebhook(o.Receiver.Url("/unknown"), [CallEventTypes.Queued], Secret, "no_such_format"),
            new CallWebhook(o.Receiver.Url("/known"), [CallEventTypes.Queued], Secret, "ids"));
        using var deliverer = o.Deliverer(new ManualClock(T0));

        Assert.Equal(2, await RoundAsync(deliverer));

        var sent = Assert.Single(o.Receiver.Received);
        Assert.Equal("/known", sent.Path);
        Assert.Equal($$"""{"ids":["{{call.Id}}"]}""", sent.Body);
        var deliveries = await o.DeliveriesAsync(call.Id);
        var unknown = deliveries.Single(d => d.Destination == "call:0");
        Assert.Equal("no_such_format", unknown.Format);
        Assert.Equal(WebhookDeliveryStatus.Failed, unknown.Status);
        var attempt = Assert.Single(unknown.Attempts);
        Assert.Null(attempt.StatusCode);
        Assert.Equal("no formatter is registered for format 'no_such_format'; not sent", attempt.Error);
        Assert.Equal(WebhookDeliveryStatus.Succeeded, deliveries.Single(d => d.Destination == "call:1").Status);
    }

    [Fact]
    public async Task BatchedDeliveries_WaitForTheTick_ThenGoOutInOnePostPerDestination_RenderedByTheirFormat()
    {
        await using var o = await Outbox.StartAsync();
        var batch = o.Receiver.Url("/batch");
        var calls = new List<Call>();
        for (var i = 0; i < 3; i++)
        {
            calls.Add(await o.CallAsync($"+1555123010{i}", new CallWebhook(batch, [CallEventTypes.Queued], Secret, "ids", 60)));
        }
        var other = await o.CallAsync("+15551230200", new CallWebhook(o.Receiver.Url("/other"), [CallEventTypes.Queued], Secret, "ids", 60));
        var clock = new ManualClock(T0);
        using var deliverer = o.Deliverer(clock);

        // Due at the next whole minute of Unix time (T0 is 15:00:10), not at the event.
        Assert.Equal(0, await deliverer.RunOnceAsync(CancellationToken.None));
        Assert.All(await o.DeliveriesAsync(other.Id), d => Assert.Equal(new DateTimeOffset(2026, 11, 21, 15, 1, 0, TimeSpan.Zero), d.NextAttemptAt));
        clock.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal(4, await RoundAsync(deliverer));
        // An attempt that failed on the network (a loaded CI machine) is retried with the same batch: at least once, as designed.
        await RetryUntilAcceptedAsync(o, deliverer, clock, ["/batch", "/other"], calls.Append(other));

        var grouped = Assert.Single(o.Receiver.Accepted, r => r.Path == "/batch");
        Assert.Equal(calls.Select(c => c.Id).Order(), grouped.Json["ids"]!.AsArray().Select(n => (string)n!).Order());
        var batchDeliveries = (await Task.WhenAll(calls.Select(c => o.DeliveriesAsync(c.Id)))).Select(Assert.Single).ToList();
        Assert.StartsWith("batch_whd_", grouped.Id);
        Assert.Contains(grouped.Id["batch_".Length..], batchDeliveries.Select(d => d.Id));
        Assert.All(batchDeliveries, d => Assert.True(d.Batched));
        Assert.All(batchDeliveries, d => Assert.Equal(WebhookDeliveryStatus.Succeeded, d.Status));
        var alone = Assert.Single(o.Receiver.Accepted, r => r.Path == "/other");
        Assert.Equal($$"""{"ids":["{{other.Id}}"]}""", alone.Body);
        Assert.Equal(Assert.Single(await o.DeliveriesAsync(other.Id)).EventId, alone.Id); // a lone delivery keeps its event id
    }

    [Fact]
    public async Task OneUnrenderableDeliveryInABatch_FailsAlone_AndTheRestIsSent()
    {
        await using var o = await Outbox.StartAsync();
        var batch = o.Receiver.Url("/batch");
        var good = await o.CallAsync("+15551230301", new CallWebhook(batch, [CallEventTypes.Queued], Secret, "ids", 60));
        var bad = await o.CallAsync("+15551239999", new CallWebhook(batch, [CallEventTypes.Queued], Secret, "ids", 60));
        var alsoGood = await o.CallAsync("+15551230302", new CallWebhook(batch, [CallEventTypes.Queued], Secret, "ids", 60));
        var clock = new ManualClock(T0);
        using var deliverer = o.Deliverer(clock);
        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(3, await RoundAsync(deliverer));

        var sent = Assert.Single(o.Receiver.Received);
        Assert.Equal(new[] { good.Id, alsoGood.Id }.Order(), sent.Json["ids"]!.AsArray().Select(n => (string)n!).Order());
        Assert.Equal(WebhookDeliveryStatus.Succeeded, Assert.Single(await o.DeliveriesAsync(good.Id)).Status);
        Assert.Equal(WebhookDeliveryStatus.Succeeded, Assert.Single(await o.DeliveriesAsync(alsoGood.Id)).Status);
        var refused = Assert.Single(await o.DeliveriesAsync(bad.Id));
        Assert.Equal(WebhookDeliveryStatus.Failed, refused.Status);
        Assert.Equal("format 'ids' could not render the body: this call cannot be rendered; not sent", Assert.Single(refused.Attempts).Error);
    }
}
