using Microsoft.Extensions.Hosting;

namespace Outdial.Core.Common;

/// <summary>Background loops start only once the host has started (the store is migrated by then), as Quartz's hosted service does.</summary>
public static class HostStart
{
    /// <summary>Completes true when the application has started, false when <paramref name="stoppingToken"/> fires first.</summary>
    public static async Task<bool> WaitForStartedAsync(this IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStopping = stoppingToken.Register(() => started.TrySetCanceled());
        try
        {
            await started.Task;
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
