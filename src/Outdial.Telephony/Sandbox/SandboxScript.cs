using Outdial.Core.Calls;
using Outdial.Core.Compliance;
using Outdial.Core.Telephony;

namespace Outdial.Telephony.Sandbox;

/// <summary>
/// One scripted report: <see cref="AtSec"/> simulated seconds after the dial. A completion carries the end status and
/// carrier codes a real provider would report; its <see cref="Outcome"/> is what <see cref="OutcomeMapper"/> makes of them.
/// </summary>
public sealed record SandboxStep(double AtSec, ProviderEventKind Kind, string Status, CallEndStatus? EndStatus = null,
    AnsweredBy? AnsweredBy = null, int? SipCode = null, int? Q850Code = null, int? DurationSec = null)
{
    /// <summary>The outcome the one mapping gives this completion; null for other steps.</summary>
    public CallOutcome? Outcome => Kind == ProviderEventKind.Completed
        ? OutcomeMapper.Map(EndStatus ?? CallEndStatus.Failed, AnsweredBy, SipCode, Q850Code)
        : null;
}

/// <summary>
/// The sandbox's deterministic behaviour, chosen by the destination's last four digits (documented in docs/providers.md):
/// 0001 busy, 0002 no answer, 0003 rejected, 0004 invalid number, 0005 unreachable, 0006 voicemail (a machine answers), 0007
/// provider error; anything else is answered by a person. In the fictional NANP range <c>NXX-555-0100…0199</c> the last two
/// digits choose the same way (<c>555-0101</c> is busy like <c>…0001</c>). Times are simulated seconds (divided by the speed factor
/// in real time); SIP and Q.850 codes are the ones a real carrier would send for each case (RFC 3261 §21, ITU-T Q.850 Table 1).
/// An answered call lasts until it is hung up — at the end of its conversation or message (<see cref="SandboxRelay"/>) — or at
/// most its maximum duration, the sandbox's time limit.
/// </summary>
public static class SandboxScript
{
    /// <summary>The full timeline of a call to <paramref name="to"/>, ending in one <see cref="ProviderEventKind.Completed"/> step.</summary>
    public static IReadOnlyList<SandboxStep> For(string to, int ringTimeoutSec, int maxDurationSec)
    {
        var initiated = new SandboxStep(0, ProviderEventKind.Initiated, "queued");
        var ringing = new SandboxStep(1, ProviderEventKind.Ringing, "ringing");
        var suffix = FictionalNumbers.IsFictionalNanp(to) ? "00" + to[^2..] : to.Length >= 4 ? to[^4..] : to;
        return suffix switch
        {
            "0001" => [initiated, new(2, ProviderEventKind.Completed, "busy", CallEndStatus.Busy, SipCode: 486, Q850Code: 17)],
            "0002" => [initiated, ringing, new(1 + ringTimeoutSec, ProviderEventKind.Completed, "no-answer", CallEndStatus.NoAnswer, SipCode: 487, Q850Code: 19)],
            "0003" => [initiated, ringing, new(4, ProviderEventKind.Completed, "rejected", CallEndStatus.Failed, SipCode: 603, Q850Code: 21)],
            "0004" => [initiated, new(0.5, ProviderEventKind.Completed, "failed", CallEndStatus.Failed, SipCode: 404, Q850Code: 1)],
            "0005" => [initiated, new(1.5, ProviderEventKind.Completed, "failed", CallEndStatus.Failed, SipCode: 480, Q850Code: 20)],
            "0006" => Answered(initiated, ringing, AnsweredBy.Machine, maxDurationSec),
            "0007" => [initiated, new(0.5, ProviderEventKind.Completed, "failed", CallEndStatus.Failed, SipCode: 500, Q850Code: 41)],
            _ => Answered(initiated, ringing, AnsweredBy.Human, maxDurationSec),
        };
    }

    /// <summary>
    /// The timeline cut short by a hang-up at <paramref name="hangUpSec"/>: steps before it, then a completion —
    /// <c>canceled</c> (<c>no_answer</c>, SIP 487) before answer, or the answered outcome with the time connected so far.
    /// </summary>
    public static IReadOnlyList<SandboxStep> HungUp(IReadOnlyList<SandboxStep> script, double hangUpSec)
    {
        var done = script.Where(s => s.AtSec <= hangUpSec).ToList();
        if (done.Count > 0 && done[^1].Kind == ProviderEventKind.Completed)
        {
            return done;
        }
        var answered = done.FirstOrDefault(s => s.Kind == ProviderEventKind.Answered);
        done.Add(answered is null
            ? new SandboxStep(hangUpSec, ProviderEventKind.Completed, "canceled", CallEndStatus.Canceled, SipCode: 487, Q850Code: 16)
            : new SandboxStep(hangUpSec, ProviderEventKind.Completed, "completed", CallEndStatus.Completed,
                answered.AnsweredBy, 200, 16, (int)Math.Round(hangUpSec - answered.AtSec, MidpointRounding.AwayFromZero)));
        return done;
    }

    private static SandboxStep[] Answered(SandboxStep initiated, SandboxStep ringing, AnsweredBy by, int talkSec)
    {
        var answerAt = by == AnsweredBy.Machine ? 4 : 5;
        return
        [
            initiated,
            ringing,
            new(answerAt, ProviderEventKind.Answered, "in-progress", AnsweredBy: by),
            new(answerAt + talkSec, ProviderEventKind.Completed, "completed", CallEndStatus.Completed, by, 200, 16, talkSec),
        ];
    }
}
