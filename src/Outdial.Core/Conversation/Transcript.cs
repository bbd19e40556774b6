using System.Text;

namespace Outdial.Core.Conversation;

/// <summary>Who spoke a transcript turn.</summary>
public enum TranscriptSpeaker
{
    /// <summary>Outdial's agent (greeting, replies, voicemail message).</summary>
    Agent,
    /// <summary>The person (or machine) called.</summary>
    Callee,
}

/// <summary>A disclosure an agent turn made (47 CFR 64.1200(b); FCC 24-17 for AI voices). Wire names snake_case.</summary>
public enum Disclosure
{
    /// <summary>The business on whose behalf the call is made (64.1200(b)(1)).</summary>
    Identity,
    /// <summary>That the caller is an AI (artificial) voice (FCC 24-17).</summary>
    ArtificialVoice,
    /// <summary>That the call is recorded.</summary>
    Recording,
    /// <summary>A telephone number at which the business can be reached (64.1200(b)(2)).</summary>
    CallbackNumber,
}

/// <summary>
/// One turn of a call's transcript, stored as the conversation goes. <see cref="Index"/> counts from 0 across the whole call
/// (all attempts), so evidence can cite it. <see cref="StartMs"/> and <see cref="EndMs"/> are milliseconds since the attempt's
/// conversation began, as Outdial observed them: an agent turn from its first token sent to its last (to the interruption
/// when interrupted); a callee turn when its transcription arrived. An interrupted agent turn holds only what the callee
/// heard (the relay's <c>utteranceUntilInterrupt</c>). A key press is a callee turn with <see cref="Dtmf"/>; a key sent by
/// the agent is an agent turn with <see cref="Dtmf"/>. Content is never written to logs.
/// </summary>
public sealed record TranscriptTurn
{
    public required int Index { get; init; }
    /// <summary>The attempt's number (1 for the first dial of the call).</summary>
    public required int Attempt { get; init; }
    public required TranscriptSpeaker Speaker { get; init; }
    public required string Text { get; init; }
    public required long StartMs { get; init; }
    public required long EndMs { get; init; }
    public bool Interrupted { get; init; }
    /// <summary>Digits pressed (callee) or sent (agent) in this turn.</summary>
    public string? Dtmf { get; init; }
    /// <summary>Disclosures this turn made.</summary>
    public IReadOnlyList<Disclosure>? Disclosures { get; init; }
}

/// <summary>Renders a transcript as a readable script (<c>Accept: text/plain</c>).</summary>
public static class TranscriptScript
{
    /// <summary>
    /// One line per turn: <c>[mm:ss] Agent: text</c> / <c>[mm:ss] Callee: text</c>, with <c>(pressed 1)</c>,
    /// <c>(sent 1#)</c>, <c>(interrupted)</c> notes; an <c>-- attempt N --</c> line before each attempt's turns when the call
    /// has several.
    /// </summary>
    public static string Render(IReadOnlyList<TranscriptTurn> turns)
    {
        var text = new StringBuilder();
        var several = turns.Select(t => t.Attempt).Distinct().Count() > 1;
        int? attempt = null;
        foreach (var turn in turns)
        {
            if (several && turn.Attempt != attempt)
            {
                text.Append("-- attempt ").Append(turn.Attempt).Append(" --\n");
            }
            attempt = turn.Attempt;
            var at = TimeSpan.FromMilliseconds(turn.StartMs);
            text.Append('[').Append(((int)at.TotalMinutes).ToString("00", System.Globalization.CultureInfo.InvariantCulture)).Append(':')
                .Append(at.Seconds.ToString("00", System.Globalization.CultureInfo.InvariantCulture)).Append("] ")
                .Append(turn.Speaker == TranscriptSpeaker.Agent ? "Agent" : "Callee").Append(": ").Append(turn.Text);
            if (turn.Dtmf is { } digits)
            {
                text.Append(turn.Text.Length > 0 ? " " : "").Append(turn.Speaker == TranscriptSpeaker.Agent ? "(sent " : "(pressed ").Append(digits).Append(')');
            }
            if (turn.Interrupted)
            {
                text.Append(" (interrupted)");
            }
            text.Append('\n');
        }
        return text.ToString();
    }
}
