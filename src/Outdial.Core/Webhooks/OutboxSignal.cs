namespace Outdial.Core.Webhooks;

/// <summary>
/// Wakes the webhook deliverer in this process when deliveries were written or an attempt finished, so a call's next
/// event goes out without waiting for the next poll. Polling remains the guarantee (other nodes, retries that come due).
/// </summary>
public sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim _kick = new(0, 1);

    /// <summary>Signals the deliverer; repeated signals before it wakes count once.</summary>
    public void Notify()
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

    public void Dispose() => _kick.Dispose();

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
