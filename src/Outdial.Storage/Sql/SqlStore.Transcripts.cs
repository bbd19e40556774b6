using Dapper;
using Outdial.Core.Conversation;
using Outdial.Core.Storage;

namespace Outdial.Storage.Sql;

public abstract partial class SqlStore : ITranscriptStore
{
    /// <inheritdoc />
    public Task SaveTurnAsync(string callId, TranscriptTurn turn, CancellationToken ct) =>
        engine.WriteAsync(conn => conn.Execute("""
            INSERT INTO transcript_turns (call_id, turn_index, doc) VALUES (@callId, @Index, @doc)
            ON CONFLICT (call_id, turn_index) DO UPDATE SET doc = excluded.doc
            """, new { callId, turn.Index, doc = ToDoc(turn) }), ct);

    /// <inheritdoc />
    public async Task<IReadOnlyList<TranscriptTurn>> ListTurnsAsync(string callId, CancellationToken ct) =>
        [.. (await QueryAsync<string>("SELECT doc FROM transcript_turns WHERE call_id = @callId ORDER BY turn_index;", new { callId }, ct))
            .Select(FromDoc<TranscriptTurn>)];

    /// <inheritdoc />
    public async Task<int> CountTurnsAsync(string callId, CancellationToken ct) =>
        (int)await QuerySingleAsync<long>("SELECT COUNT(*) FROM transcript_turns WHERE call_id = @callId;", new { callId }, ct);
}
