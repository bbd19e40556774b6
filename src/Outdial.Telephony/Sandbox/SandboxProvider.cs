using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Outdial.Core.Calls;
using Outdial.Core.Telephony;

namespace Outdial.Telephony.Sandbox;

/// <summary>Sandbox settings (configuration section <c>Outdial:Sandbox</c>).</summary>
public sealed class SandboxOptions
{
    /// <summary>How much faster than real time simulated calls run: 50 makes a 35-second call take 0.7 s. Must be &gt; 0.</summary>
    public double SpeedFactor { get; set; } = 1;

    /// <summary>Path of the sandbox's ledger; default <c>{DataDirectory}/sandbox-ledger.jsonl</c>. Nodes on one host may share one (the provider account they share).</summary>
    public string? LedgerPath { get; set; }
}

/// <summary>
/// The built-in telephony provider (the default): simulates calls with the deterministic outcomes of
/// <see cref="SandboxScript"/>, reports their progress through <see cref="IProviderEventSink"/> — the path real
/// provider callbacks take — on timers of the injected <see cref="TimeProvider"/>, and remembers its calls in a
/// <see cref="SandboxLedger"/> so lookups after a crash answer as a real provider would.
/// </summary>
public sealed partial class SandboxProvider(
    SandboxLedger ledger,
    IProviderEventSink sink,
    SandboxRelay relay,
    IOptions<SandboxOptions> options,
    TimeProvider clock,
    ILogger<SandboxProvider> log) : ITelephonyProvider, IHostedService, IDisposable
{
    private readonly Dictionary<string, Feed> _feeds = new(StringComparer.Ordinal);
    private readonly HashSet<string> _answered = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    /// <inheritdoc />
    public string Name => "sandbox";

    private double Speed => options.Value.SpeedFactor;

    /// <inheritdoc />
    public Task<DialResult> DialAsync(DialRequest request, CancellationToken ct)
    {
        var dial = ledger.RecordDial(new SandboxDial("SB" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), request.AttemptId,
            request.To, request.From, clock.GetUtcNow().ToUnixTimeMilliseconds(), request.RingTimeoutSec, request.MaxDurationSec));
        Arm(dial);
        return Task.FromResult<DialResult>(new DialResult.Placed(dial.CallSid));
    }

    /// <inheritdoc />
    public Task HangUpAsync(string providerCallId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var dial = ledger.Find("", providerCallId);
        if (dial is null || Elapsed(dial, now) >= Timeline(dial)[^1].AtSec || !ledger.RecordHangUp(providerCallId, now.ToUnixTimeMilliseconds()))
        {
            return Task.CompletedTask; // Unknown, already over, or already hung up: nothing to do (idempotent).
        }
        Disarm(providerCallId);
        Arm(dial);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<ProviderCallSnapshot?> LookupAsync(Attempt attempt, CancellationToken ct)
    {
        var dial = ledger.Find(attempt.Id, attempt.ProviderCallId);
        if (dial is null)
        {
            return Task.FromResult<ProviderCallSnapshot?>(null);
        }
        var elapsed = Elapsed(dial, clock.GetUtcNow());
        var events = Timeline(dial).Select((s, i) => (s, i)).Where(x => x.s.AtSec <= elapsed).Select(x => ToEvent(dial, x.s, x.i)).ToList();
        return Task.FromResult<ProviderCallSnapshot?>(new ProviderCallSnapshot(dial.CallSid, events));
    }

    /// <summary>
    /// On start, re-arms the timers of calls that are still "live" on the simulated network (they kept going while Outdial was
    /// down). A call that was answered before the restart has lost its conversation with the process: the simulated callee hangs
    /// up now, so it completes instead of waiting for its time limit.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        foreach (var dial in ledger.All())
        {
            var timeline = Timeline(dial);
            var elapsed = Elapsed(dial, now);
            if (elapsed >= timeline[^1].AtSec)
            {
                continue;
            }
            if (dial.HungUpAtMs is null && timeline.Any(s => s.Kind == ProviderEventKind.Answered && s.AtSec <= elapsed))
            {
                ledger.RecordHangUp(dial.CallSid, now.ToUnixTimeMilliseconds());
            }
            Arm(dial);
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        lock (_feeds)
        {
            foreach (var feed in _feeds.Values)
            {
                feed.Dispose();
            }
            _feeds.Clear();
        }
    }

    private IReadOnlyList<SandboxStep> Timeline(SandboxDial dial)
    {
        var script = SandboxScript.For(dial.To, dial.RingTimeoutSec, dial.MaxDurationSec);
        return dial.HungUpAtMs is { } h ? SandboxScript.HungUp(script, (h - dial.DialedAtMs) / 1000.0 * Speed) : script;
    }

    /// <summary>Simulated seconds since the dial.</summary>
    private double Elapsed(SandboxDial dial, DateTimeOffset now) => (now.ToUnixTimeMilliseconds() - dial.DialedAtMs) / 1000.0 * Speed;

    /// <summary>
    /// Schedules a timer per step of the call's timeline. Reports of one call are delivered one at a time and in
    /// order (as a provider sends a call's callbacks): a timer delivers every earlier step not yet delivered first.
    /// </summary>
    private void Arm(SandboxDial dial)
    {
        var now = clock.GetUtcNow();
        var events = Timeline(dial).Select((step, i) => ToEvent(dial, step, i)).ToList();
        var feed = new Feed(events);
        lock (_feeds)
        {
            if (_feeds.Remove(dial.CallSid, out var old))
            {
                feed.Delivered = Math.Min(old.Delivered, events.Count - 2);
                old.Dispose();
            }
            _feeds[dial.CallSid] = feed;
        }
        for (var i = 0; i < events.Count; i++)
        {
            var index = i;
            var due = events[i].At - now;
            feed.Timers.Add(clock.CreateTimer(_ => Deliver(dial.CallSid, feed, index), null, due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        }
    }

    private void Disarm(string callSid)
    {
        lock (_feeds)
        {
            if (_feeds.Remove(callSid, out var feed))
            {
                feed.Dispose();
            }
        }
    }

    private void Deliver(string callSid, Feed feed, int upTo) => _ = Task.Run(async () =>
    {
        await feed.Gate.WaitAsync();
        try
        {
            while (feed.Delivered < upTo && !feed.Disposed)
            {
                var report = feed.Events[feed.Delivered + 1];
                await sink.ApplyAsync(report, CancellationToken.None);
                feed.Delivered++;
                if (report is { Kind: ProviderEventKind.Answered, AnsweredBy: { } by })
                {
                    OnAnswered(callSid, by);
                }
            }
        }
        catch (Exception ex)
        {
            // The next step's timer retries; after the last, the reconciler reads the same state through LookupAsync.
            LogReportFailed(log, ex, callSid);
        }
        finally
        {
            feed.Gate.Release();
        }
        if (feed.Delivered == feed.Events.Count - 1)
        {
            lock (_answered)
            {
                _answered.Remove(callSid);
            }
            lock (_feeds)
            {
                if (_feeds.TryGetValue(callSid, out var current) && current == feed)
                {
                    _feeds.Remove(callSid);
                    feed.Dispose();
                }
            }
        }
    });

    /// <summary>
    /// Hands an answered call to the relay (conversation, voicemail or message) once per process, unless it was hung up
    /// meanwhile; the relay hangs the call up when it is over, which cuts the timeline short of its time limit.
    /// </summary>
    private void OnAnswered(string callSid, AnsweredBy by)
    {
        var dial = ledger.Find("", callSid);
        lock (_answered)
        {
            if (dial is null || dial.HungUpAtMs is not null || !_answered.Add(callSid))
            {
                return;
            }
        }
        _ = Task.Run(() => relay.OnAnsweredAsync(dial, by, () => HangUpAsync(callSid, CancellationToken.None), _stopping.Token));
    }

    /// <inheritdoc />
    public void Dispose() => _stopping.Dispose();

    /// <summary>One armed call: its reports, the index of the last one delivered, its timers.</summary>
    private sealed class Feed(IReadOnlyList<ProviderEvent> events) : IDisposable
    {
        public IReadOnlyList<ProviderEvent> Events { get; } = events;

        public int Delivered { get; set; } = -1;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public List<ITimer> Timers { get; } = [];

        public bool Disposed { get; private set; }

        public void Dispose()
        {
            Disposed = true;
            foreach (var t in Timers)
            {
                t.Dispose();
            }
        }
    }

    private ProviderEvent ToEvent(SandboxDial dial, SandboxStep step, int index) => new()
    {
        Provider = Name,
        ProviderCallId = dial.CallSid,
        AttemptId = dial.AttemptId,
        Kind = step.Kind,
        Sequence = index,
        At = DateTimeOffset.FromUnixTimeMilliseconds(dial.DialedAtMs + (long)(step.AtSec / Speed * 1000)),
        AnsweredBy = step.AnsweredBy,
        EndStatus = step.EndStatus,
        ProviderStatus = step.Status,
        SipCode = step.SipCode,
        Q850Code = step.Q850Code,
        DurationSec = step.DurationSec,
    };

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Applying sandbox report for {CallSid} failed")]
    private static partial void LogReportFailed(ILogger logger, Exception ex, string callSid);
}
