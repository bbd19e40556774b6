using System.Collections.Concurrent;

namespace Outdial.Core.Conversation;

/// <summary>
/// The relay sessions running on this node, by attempt id. A turn that happens outside a session while one is running —
/// the voicemail message Twilio plays after a late answering-machine verdict — is written through the session, which
/// numbers transcript turns, so it never takes the index of a turn the session has not written yet.
/// </summary>
public sealed class LiveConversations
{
    private readonly ConcurrentDictionary<string, ConversationSession?> _sessions = new(StringComparer.Ordinal);

    /// <summary>Sessions running (or starting) now.</summary>
    public int Count => _sessions.Count;

    /// <summary>Claims the attempt for one session on this node; false when another session of it runs already.</summary>
    internal bool TryReserve(string attemptId) => _sessions.TryAdd(attemptId, null);

    /// <summary>The reserved attempt's session, once it has started.</summary>
    internal void Attach(string attemptId, ConversationSession session) => _sessions[attemptId] = session;

    internal void Remove(string attemptId) => _sessions.TryRemove(attemptId, out _);

    /// <summary>
    /// Records an agent turn in the running session of <paramref name="attemptId"/> (after its own turns); false when no
    /// session of that attempt runs on this node.
    /// </summary>
    public bool TryRecordAgentTurn(string attemptId, string text, IReadOnlyList<Disclosure>? disclosures) =>
        _sessions.TryGetValue(attemptId, out var session) && session is not null && session.RecordAgentTurn(text, disclosures);
}
