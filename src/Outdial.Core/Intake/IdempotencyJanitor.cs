using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Outdial.Core.Storage;

namespace Outdial.Core.Intake;

/// <summary>Deletes Idempotency-Key records older than <see cref="CallIntake.IdempotencyWindow"/> (24 h), once an hour.</summary>
public sealed partial class IdempotencyJanitor(ICallStore calls, TimeProvider clock, ILogger<IdempotencyJanitor> log) : BackgroundService
{
    /// <summary>How often expired keys are purged.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, clock, stoppingToken);
                var purged = await calls.PurgeIdempotencyKeysAsync(clock.GetUtcNow() - CallIntake.IdempotencyWindow, stoppingToken);
                LogPurged(log, purged);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFailed(log, ex);
            }
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Purged {Count} expired Idempotency-Key records")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Purging expired Idempotency-Key records failed; retrying in an hour")]
    private static partial void LogFailed(ILogger logger, Exception ex);
}
