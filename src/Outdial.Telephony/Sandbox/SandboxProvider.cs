using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Outdial.Core.Telephony;

namespace Outdial.Telephony.Sandbox;

/// <summary>Sandbox settings (configuration section <c>Outdial:Sandbox</c>).</summary>
public sealed class SandboxOptions
{
    /// <summary>How much faster than real time simulated calls run: 50 makes a 35-second call take 0.7 s. Must be &gt; 0.</summary>
    public double SpeedFactor { get; set; } = 1;

    /// <summary>Path of the sandbox's ledger; default <c>{DataDirectory}/sandbox-ledger.jsonl</c>.</summary>
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
    IOptions<SandboxOptions> options,
    TimeProvider clock,
    ILogger<SandboxProvider> log) : ITelephonyProvider, IHostedService
{
    private readonly ConcurrentDictionary<string, List<ITimer>> _timers = new(StringComparer.Ordinal);

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
    public Task<ProviderCallSnapshot?> LookupAsync(string attemptId, string? providerCallId, CancellationToken ct)
    {
        var dial = ledger.Find(attemptId, providerCallId);
        if (dial is null)
        {
            return Task.FromResult<ProviderCallSnapshot?>(null);
        }
        var elapsed = Elapsed(dial, clock.GetUtcNow());
        var events = Timeline(dial).Select((s, i) => (s, i)).Where(x => x.s.AtSec <= elapsed).Select(x => ToEvent(dial, x.s, x.i)).ToList();
        return Task.FromResult<ProviderCallSnapshot?>(new ProviderCallSnapshot(dial.CallSid, events));
    }

    /// <summary>On start, re-arms the timers of calls that are still "live" on the simulated network (they kept going while Outdial was down).</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        foreach (var dial in ledger.All())
        {
            if (Elapsed(dial, now) < Timeline(dial)[^1].AtSec)
            {
                Arm(dial);
            }
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var sid in _timers.Keys)
        {
            Disarm(sid);
        }
        return Task.CompletedTask;
    }

    private IReadOnlyList<SandboxStep> Timeline(SandboxDial dial)
    {
        var script = SandboxScript.For(dial.To, dial.RingTimeoutSec, dial.MaxDurationSec);
        return dial.HungUpAtMs is { } h ? SandboxScript.HungUp(script, (h - dial.DialedAtMs) / 1000.0 * Speed) : script;
    }

    /// <summary>Simulated seconds since the dial.</summary>
    private double Elapsed(SandboxDial dial, DateTimeOffset now) => (now.ToUnixTimeMilliseconds() - dial.DialedAtMs) / 1000.0 * Speed;

    private void Arm(SandboxDial dial)
    {
        var now = clock.GetUtcNow();
        var timeline = Timeline(dial);
        var timers = new List<ITimer>();
        var existing = _timers.GetOrAdd(dial.CallSid, timers);
        lock (existing)
        {
            for (var i = 0; i < timeline.Count; i++)
            {
                var report = ToEvent(dial, timeline[i], i);
                var due = report.At - now;
                var timer = clock.CreateTimer(_ => Report(report), null, due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
                existing.Add(timer);
            }
        }
    }

    private void Disarm(string callSid)
    {
        if (_timers.TryRemove(callSid, out var timers))
        {
            lock (timers)
            {
                foreach (var t in timers)
                {
                    t.Dispose();
                }
            }
        }
    }

    private void Report(ProviderEvent report)
    {
        _ = Task.Run(async () =>
        {
            try
            {
                await sink.ApplyAsync(report, CancellationToken.None);
            }
            catch (Exception ex)
            {
                // The reconciler will read the same state through LookupAsync.
                LogReportFailed(log, ex, report.ProviderCallId);
            }
            if (report.Kind == ProviderEventKind.Completed)
            {
                Disarm(report.ProviderCallId);
            }
        });
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
        Outcome = step.Outcome,
        ProviderStatus = step.Status,
        SipCode = step.SipCode,
        Q850Code = step.Q850Code,
        DurationSec = step.DurationSec,
    };

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Applying sandbox report for {CallSid} failed")]
    private static partial void LogReportFailed(ILogger logger, Exception ex, string callSid);
}
