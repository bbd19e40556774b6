namespace Outdial.Core.Common;

/// <summary>
/// Wakes a worker in this process when work for it became due, so it starts without waiting for its next poll; polling
/// remains the guarantee (retries that come due, a lost signal). <see cref="Notify"/> also raises <see cref="Notified"/>,
/// which a multi-node engine relays to the other nodes (PostgreSQL <c>NOTIFY</c>); what they receive is a <see cref="Wake"/>.
/// </summary>
public abstract class WorkSignal : IDisposable
{
    private readonly SemaphoreSlim _kick = new(0, 1);

    /// <summary>Raised by <see cref="Notify"/> (not by <see cref="Wake"/>): work became due on this node.</summary>
    public event Action? Notified;

    /// <summary>Work became due here: wakes this process's worker and tells the relay, if any. Repeated signals before the worker wakes count once.</summary>
    public void Notify()
    {
        Wake();
        Notified?.Invoke();
    }

    /// <summary>Wakes this process's worker only (work that became due on another node).</summary>
    public void Wake()
    {
        try
        {
            if (_kick.CurrentCount == 0)
            {
                _kick.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Another thread signalled first; one wake-up is enough.
        }
    }

    public void Dispose()
    {
        _kick.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Waits until signalled or until <paramref name="timeout"/> elapses on <paramref name="clock"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(timeout, clock, cts.Token);
        var kick = _kick.WaitAsync(cts.Token);
        await Task.WhenAny(delay, kick);
        await cts.CancelAsync();
        ct.ThrowIfCancellationRequested();
    }
}

/// <summary>Wakes the dispatcher: a call became due now (accepted for now, released, requeued), or will be before it looks again.</summary>
public sealed class DispatchSignal : WorkSignal
{
    private long _sleepingUntilTicks = DateTimeOffset.MaxValue.UtcTicks;

    /// <summary>Set by the dispatcher while it sleeps: when (UTC) it will look again; <see cref="DateTimeOffset.MaxValue"/> when awake.</summary>
    public DateTimeOffset SleepingUntil
    {
        get => new(Interlocked.Read(ref _sleepingUntilTicks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _sleepingUntilTicks, value.UtcTicks);
    }

    /// <summary>
    /// A call was accepted for <paramref name="dueAt"/> (UTC): wakes this node's dispatcher if it would otherwise look
    /// after that time, so the call is not late by up to a poll interval. Not relayed to other nodes: theirs look within
    /// one poll interval and then sleep until the earliest due time.
    /// </summary>
    public void NotifyDue(DateTimeOffset dueAt)
    {
        if (dueAt < SleepingUntil)
        {
            Wake();
        }
    }
}
