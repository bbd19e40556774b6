using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;
using Dapper;
using Microsoft.Data.Sqlite;
using Outdial.Core.Telemetry;

namespace Outdial.Storage.Sqlite;

/// <summary>
/// The one writer of the SQLite file (ARCHITECTURE §6). Every write — intake, claims, transitions — is queued here;
/// a single loop takes whatever has queued up (up to <see cref="SqliteOptions.MaxBatch"/>), runs each piece inside
/// its own savepoint of one <c>BEGIN IMMEDIATE</c> transaction, commits once, and only then completes the callers'
/// tasks. Many requests therefore share one fsync (group commit), a failing piece rolls back only its savepoint, and
/// no caller is told "done" before its write is durable. The connection compiles each distinct SQL text once
/// (<see cref="PreparedConnection"/>), the writer's own <c>BEGIN</c>, savepoints and <c>COMMIT</c> included.
/// </summary>
public sealed class SqliteWriter : IAsyncDisposable
{
    private readonly Channel<WriteOp> _queue = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly PreparedConnection _conn;
    private readonly int _maxBatch;
    private readonly Task _loop;

    /// <summary>Opens the writer connection with <c>PRAGMA synchronous=<paramref name="synchronous"/></c> and starts the loop.</summary>
    public SqliteWriter(SqliteDatabase db, string synchronous, int maxBatch)
    {
        if (synchronous is not ("FULL" or "NORMAL" or "EXTRA"))
        {
            throw new ArgumentException("synchronous must be FULL, NORMAL or EXTRA", nameof(synchronous));
        }
        var conn = new SqliteConnection(db.ConnectionString);
        conn.Open();
        _conn = new PreparedConnection(conn);
        _conn.Execute($"PRAGMA synchronous={synchronous};");
        // Each write runs in its own savepoint, and SQLite journals a page's old content once per savepoint that changes it,
        // into one sub-journal per transaction that spills to a temporary file past 64 KiB (SQLITE_STMTJRNL_SPILL). A batch of
        // a few intakes (about a dozen pages each) passed that, so most of the writer's pwrite calls went to that file: measured
        // 65 KB written per accepted call with it, 18 KB without (bench/README.md). In memory the sub-journal is at most
        // MaxBatch writes × their pages, freed at each commit; durability does not depend on it (the WAL does).
        _conn.Execute("PRAGMA temp_store=MEMORY;");
        _maxBatch = maxBatch;
        _loop = Task.Factory.StartNew(LoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Number of transactions committed so far (tests check that concurrent writes share commits).</summary>
    public long Commits { get; private set; }

    /// <summary>Number of distinct SQL texts the writer's connection has compiled (<see cref="PreparedConnection.Compiled"/>).</summary>
    public long CompiledStatements => _conn.Compiled;

    /// <summary>
    /// Runs <paramref name="work"/> on the writer connection inside a transaction and completes after the commit.
    /// Exceptions thrown by <paramref name="work"/> roll back only its own changes and are rethrown to the caller.
    /// Once queued a write is not withdrawn: cancelling <paramref name="ct"/> stops waiting, not the write.
    /// </summary>
    /// <param name="operation">The store operation, recorded with the write's duration (<c>outdial.store.write.duration</c>).</param>
    public Task<T> WriteAsync<T>(Func<DbConnection, T> work, CancellationToken ct = default, [System.Runtime.CompilerServices.CallerMemberName] string operation = "")
    {
        var op = new WriteOp<T>(work) { Operation = operation };
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(op), this);
        return ct.CanBeCanceled ? op.Task.WaitAsync(ct) : op.Task;
    }

    private async Task LoopAsync()
    {
        var batch = new List<WriteOp>(_maxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _maxBatch && reader.TryRead(out var op))
            {
                batch.Add(op);
            }
            var started = Stopwatch.GetTimestamp();
            foreach (var op in batch)
            {
                OutdialTelemetry.StoreWriteWaited(Stopwatch.GetElapsedTime(op.QueuedAt, started).TotalSeconds);
            }
            try
            {
                _conn.Execute("BEGIN IMMEDIATE;");
                foreach (var op in batch)
                {
                    _conn.Execute("SAVEPOINT w;");
                    var ran = Stopwatch.GetTimestamp();
                    try
                    {
                        op.Run(_conn);
                        _conn.Execute("RELEASE w;");
                        OutdialTelemetry.StoreWriteRan(op.Operation, Stopwatch.GetElapsedTime(ran).TotalSeconds);
                    }
                    catch (Exception ex)
                    {
                        _conn.Execute("ROLLBACK TO w; RELEASE w;");
                        op.Failed = ex;
                    }
                }
                _conn.Execute("COMMIT;");
                Commits++;
                OutdialTelemetry.StoreCommitted(batch.Count, Stopwatch.GetElapsedTime(started).TotalSeconds);
                foreach (var op in batch)
                {
                    op.Complete();
                }
            }
            catch (Exception ex)
            {
                try
                {
                    _conn.Execute("ROLLBACK;");
                }
                catch (SqliteException)
                {
                    // No transaction was open (BEGIN itself failed); nothing to undo.
                }
                foreach (var op in batch)
                {
                    op.Fail(ex);
                }
            }
        }
    }

    /// <summary>Stops accepting writes, finishes those queued, and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        await _conn.DisposeAsync();
    }

    private abstract class WriteOp
    {
        /// <summary>When the write was queued (<see cref="Stopwatch.GetTimestamp"/>).</summary>
        public long QueuedAt { get; } = Stopwatch.GetTimestamp();

        /// <summary>The store operation that queued it.</summary>
        public string Operation { get; init; } = "";

        public Exception? Failed { get; set; }

        public abstract void Run(DbConnection conn);

        public abstract void Complete();

        public abstract void Fail(Exception ex);
    }

    private sealed class WriteOp<T>(Func<DbConnection, T> work) : WriteOp
    {
        private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Task => _tcs.Task;

        public override void Run(DbConnection conn) => _result = work(conn);

        public override void Complete()
        {
            if (Failed is { } ex)
            {
                _tcs.TrySetException(ex);
            }
            else
            {
                _tcs.TrySetResult(_result!);
            }
        }

        public override void Fail(Exception ex) => _tcs.TrySetException(ex);
    }
}
