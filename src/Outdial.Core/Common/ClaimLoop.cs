using Microsoft.Extensions.Hosting;

namespace Outdial.Core.Common;

/// <summary>
/// The loop of a background worker that claims work in rounds (dispatcher, webhook deliverer, insight worker): it starts
/// once the host has started, runs rounds back to back while they claim something, waits when a round claims nothing, and
/// survives a failed round (logged; the round's claims return to the pool when their leases expire). Ends when
/// <c>stoppingToken</c> is cancelled.
/// </summary>
public static class ClaimLoop
{
    /// <summary>
    /// Runs <paramref name="round"/> (returns how much it claimed) until <paramref name="stoppingToken"/> is cancelled;
    /// <paramref name="idle"/> waits after an empty or failed round; <paramref name="roundFailed"/> logs a failed round.
    /// </summary>
    public static async Task RunAsync(IHostApplicationLifetime lifetime, Func<CancellationToken, Task<int>> round,
        Func<CancellationToken, Task> idle, Action<Exception> roundFailed, CancellationToken stoppingToken)
    {
        if (!await lifetime.WaitForStartedAsync(stoppingToken))
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var claimed = 0;
            try
            {
                claimed = await round(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                roundFailed(ex);
            }
            if (claimed > 0)
            {
                continue;
            }
            try
            {
                await idle(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
