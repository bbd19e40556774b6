using Outdial.Core.Conversation;

namespace Outdial.Core.Storage;

/// <summary>Transcripts, stored turn by turn as conversations go.</summary>
public interface ITranscriptStore
{
    /// <summary>
    /// Writes <paramref name="turn"/> of call <paramref name="callId"/>, replacing the stored turn with the same
    /// <see cref="TranscriptTurn.Index"/> (an interrupted agent turn is rewritten with what the callee heard). Durable when the
    /// task completes.
    /// </summary>
    Task SaveTurnAsync(string callId, TranscriptTurn turn, CancellationToken ct);

    /// <summary>The call's turns in index order; empty when none.</summary>
    Task<IReadOnlyList<TranscriptTurn>> ListTurnsAsync(string callId, CancellationToken ct);

    /// <summary>How many turns the call has (the next turn's index, as turns are written in order).</summary>
    Task<int> CountTurnsAsync(string callId, CancellationToken ct);
}
