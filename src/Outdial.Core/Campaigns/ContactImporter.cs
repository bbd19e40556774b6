using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Common;
using Outdial.Core.Storage;

namespace Outdial.Core.Campaigns;

/// <summary>
/// Bulk contact imports (<c>POST /v1/campaigns/{id}/contacts</c>). The upload is first spooled to a file and
/// fsynced (so an acknowledged import is never lost), then read as a stream by <see cref="ContactRowReader"/> and
/// written in batches of <see cref="CampaignOptions.ImportBatchSize"/> rows, each batch in one transaction with the
/// import's counts and row cursor. After a crash, a running import resumes after its last committed row.
/// Each row is validated on its own; rows whose number is on the DNC list (opt-outs always; plain entries when the
/// campaign checks DNC) are stored as skipped contacts (<c>dnc_listed</c>) and counted as DNC-suppressed.
/// </summary>
public sealed partial class ContactImporter(
    ICampaignStore campaigns,
    IComplianceStore compliance,
    IOptions<CampaignOptions> options,
    IOptions<OutdialOptions> outdial,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<ContactImporter> log) : BackgroundService
{
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();

    private string Directory => options.Value.ImportDirectory ?? Path.Combine(outdial.Value.DataDirectory, "imports");

    private string SpoolPath(ContactImport import) => Path.Combine(Directory, $"{import.Id}.{import.Format}");

    /// <summary>
    /// Spools <paramref name="body"/> (format <c>csv</c> or <c>json</c>) and queues the import; returns it in state
    /// <c>running</c>. Throws <see cref="IOException"/> when the upload cannot be stored.
    /// </summary>
    public async Task<ContactImport> StartAsync(Campaign campaign, Stream body, string format, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var import = new ContactImport
        {
            Id = Ids.New("imp", now),
            AccountId = campaign.AccountId,
            CampaignId = campaign.Id,
            Status = ImportStatus.Running,
            Format = format,
            CreatedAt = now,
            UpdatedAt = now,
        };
        System.IO.Directory.CreateDirectory(Directory);
        var path = SpoolPath(import);
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            await body.CopyToAsync(file, 1 << 16, ct);
            await file.FlushAsync(ct);
            file.Flush(flushToDisk: true);
            import = import with { TotalBytes = file.Length };
        }
        try
        {
            await campaigns.CreateImportAsync(import, ct);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
        _queue.Writer.TryWrite(import.Id);
        return import;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await lifetime.WaitForStartedAsync(stoppingToken))
        {
            return;
        }
        try
        {
            // Resume the imports whose upload was spooled here; with several nodes, another node's import is its own.
            foreach (var running in await campaigns.ListRunningImportsAsync(stoppingToken))
            {
                if (File.Exists(SpoolPath(running)))
                {
                    _queue.Writer.TryWrite(running.Id);
                }
            }
            await foreach (var id in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await RunAsync(id, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogImportFailed(log, ex, id);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RunAsync(string importId, CancellationToken ct)
    {
        var import = (await campaigns.ListRunningImportsAsync(ct)).FirstOrDefault(i => i.Id == importId);
        if (import is null)
        {
            return;
        }
        var path = SpoolPath(import);
        if (!File.Exists(path))
        {
            await FailAsync(import, "the spooled upload is missing", ct);
            return;
        }
        var batchSize = Math.Max(1, options.Value.ImportBatchSize);
        var batch = new List<ContactRow>(batchSize);
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await foreach (var row in ContactRowReader.ReadAsync(file, import.Format, ct))
            {
                if (row.Row <= import.RowsRead)
                {
                    continue; // committed before a restart
                }
                batch.Add(row);
                if (batch.Count >= batchSize)
                {
                    var written = await WriteBatchAsync(import, batch, ct);
                    batch.Clear();
                    if (written is null)
                    {
                        return;
                    }
                    import = written;
                }
            }
            var last = await WriteBatchAsync(import, batch, ct);
            if (last is null)
            {
                return;
            }
            import = last;
        }
        catch (ContactFormatException ex)
        {
            if (batch.Count > 0 && await WriteBatchAsync(import, batch, ct) is { } partial)
            {
                import = partial;
            }
            await FailAsync(import, ex.Message, ct);
            return;
        }
        var done = clock.GetUtcNow();
        await campaigns.UpdateImportAsync(import with { Status = ImportStatus.Completed, BytesRead = import.TotalBytes, UpdatedAt = done, FinishedAt = done }, ct);
        File.Delete(path);
    }

    /// <summary>Validates a batch, suppresses DNC numbers, writes contacts and progress together; null when the campaign no longer takes contacts.</summary>
    private async Task<ContactImport?> WriteBatchAsync(ContactImport import, List<ContactRow> rows, CancellationToken ct)
    {
        var campaign = await campaigns.GetCampaignByIdAsync(import.CampaignId, ct);
        if (campaign is null || campaign.IsFinished)
        {
            await FailAsync(import, campaign is null ? "the campaign was deleted" : $"the campaign is {WireNames.Of(campaign.Status)}", ct);
            return null;
        }
        var now = clock.GetUtcNow();
        var errors = import.Errors.ToList();
        var invalid = import.Invalid;
        var suppressed = import.DncSuppressed;
        var valid = rows.Where(r => r.Error is null).ToList();
        var dnc = valid.Count == 0
            ? []
            : (await compliance.GetDncManyAsync(import.AccountId, [.. valid.Select(r => r.Phone!).Distinct(StringComparer.Ordinal)], ct))
                .ToDictionary(e => e.Number, StringComparer.Ordinal);
        var contacts = new List<CampaignContact>(valid.Count);
        foreach (var row in rows)
        {
            if (row.Error is { } error)
            {
                invalid++;
                if (errors.Count < ContactImport.MaxListedErrors)
                {
                    errors.Add(new ImportRowError(row.Row, error));
                }
                continue;
            }
            var listed = dnc.TryGetValue(row.Phone!, out var entry) && (entry.OptOut || campaign.DncEnabled);
            suppressed += listed ? 1 : 0;
            contacts.Add(new CampaignContact
            {
                Id = Ids.New("cont", now),
                AccountId = import.AccountId,
                CampaignId = import.CampaignId,
                Phone = row.Phone!,
                TimeZone = row.TimeZone,
                Fields = row.Fields,
                Status = listed ? ContactStatus.Skipped : ContactStatus.Pending,
                SkipReason = listed ? "dnc_listed" : null,
                ImportId = import.Id,
                CreatedAt = now,
            });
        }
        var progress = import with
        {
            RowsRead = rows.Count > 0 ? rows[^1].Row : import.RowsRead,
            BytesRead = rows.Count > 0 ? Math.Min(rows[^1].BytesConsumed, import.TotalBytes) : import.BytesRead,
            Invalid = invalid,
            DncSuppressed = suppressed,
            Errors = errors,
            UpdatedAt = now,
        };
        var result = await campaigns.AddContactsAsync(new ContactBatch(import.AccountId, import.CampaignId, contacts, progress), ct);
        return result.Import ?? progress;
    }

    private async Task FailAsync(ContactImport import, string reason, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await campaigns.UpdateImportAsync(import with { Status = ImportStatus.Failed, FailureReason = reason, UpdatedAt = now, FinishedAt = now }, ct);
        var path = SpoolPath(import);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Error, Message = "Contact import {ImportId} stopped with an error; it resumes at the next start")]
    private static partial void LogImportFailed(ILogger logger, Exception ex, string importId);
}
