using Microsoft.Extensions.DependencyInjection;
using Outdial.Core.Agents;
using Outdial.Core.Calls;

namespace Outdial.Core.Telephony;

/// <summary>What the dispatcher asks a provider to dial. Durations are seconds; numbers E.164.</summary>
/// <param name="AttemptId">Our attempt id; providers keep it as their client reference so a lost answer can be looked up.</param>
/// <param name="Amd">Answering-machine detection the call's agent asks for.</param>
public sealed record DialRequest(
    string AttemptId,
    string CallId,
    string To,
    string From,
    int RingTimeoutSec,
    int MaxDurationSec,
    bool Record,
    AnsweringMachineDetection Amd = AnsweringMachineDetection.Off);

/// <summary>The provider's answer to a dial request.</summary>
public abstract record DialResult
{
    private DialResult() { }

    /// <summary>The provider accepted the call; progress follows as <see cref="ProviderEvent"/>s.</summary>
    public sealed record Placed(string ProviderCallId) : DialResult;

    /// <summary>The provider definitively refused the call (e.g. an invalid number); no call exists.</summary>
    public sealed record Refused(CallOutcome Outcome, string ProviderStatus, int? SipCode, int? Q850Code, string Error) : DialResult;
}

/// <summary>Kinds of progress a provider reports.</summary>
public enum ProviderEventKind
{
    Initiated,
    Ringing,
    Answered,
    Completed,
}

/// <summary>
/// One progress report from a provider (a status callback, or a sandbox timer). Reports are hints: they may
/// repeat or arrive out of order; <see cref="CallProgress"/> applies them through the state machine, which never
/// moves backwards. <see cref="At"/> is UTC; <see cref="Sequence"/> is the provider's per-call counter.
/// </summary>
public sealed record ProviderEvent
{
    public required string Provider { get; init; }
    public required string ProviderCallId { get; init; }
    public string? AttemptId { get; init; }
    public required ProviderEventKind Kind { get; init; }
    public required long Sequence { get; init; }
    public required DateTimeOffset At { get; init; }
    /// <summary>For <see cref="ProviderEventKind.Answered"/> (and completed answered calls): AMD's verdict.</summary>
    public AnsweredBy? AnsweredBy { get; init; }
    /// <summary>
    /// For <see cref="ProviderEventKind.Completed"/>: how the provider says the attempt ended. <see cref="CallProgress"/>
    /// maps it, with the SIP and Q.850 codes and who answered (this report's verdict, else the attempt's earlier one),
    /// through <see cref="OutcomeMapper"/>, the one outcome mapping. Null is read as <see cref="CallEndStatus.Failed"/>.
    /// </summary>
    public CallEndStatus? EndStatus { get; init; }
    /// <summary>
    /// For <see cref="ProviderEventKind.Completed"/>: set only when the provider names the outcome itself rather than a
    /// status and codes — a refusal at dial time mapped from its error code (e.g. Twilio 21211 → <c>invalid_number</c>).
    /// Otherwise null, and the outcome comes from <see cref="EndStatus"/> through <see cref="OutcomeMapper"/>.
    /// </summary>
    public CallOutcome? Outcome { get; init; }
    public string? ProviderStatus { get; init; }
    public int? SipCode { get; init; }
    public int? Q850Code { get; init; }
    /// <summary>Connected seconds, on completion.</summary>
    public int? DurationSec { get; init; }
    /// <summary>For <see cref="ProviderEventKind.Completed"/>: the provider's error text, e.g. why it refused the dial.</summary>
    public string? Error { get; init; }
    /// <summary>URL of the call's recording, when the provider reports one (may arrive after completion).</summary>
    public string? RecordingUrl { get; init; }
    /// <summary>
    /// The provider's raw values behind this report (e.g. Twilio's <c>CallStatus</c>, <c>AnsweredBy</c>,
    /// <c>SipResponseCode</c>, <c>CallDuration</c>), kept on the attempt as <see cref="Attempt.ProviderRaw"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Raw { get; init; }
}

/// <summary>What a provider knows about one call now: every report up to now, in order.</summary>
public sealed record ProviderCallSnapshot(string ProviderCallId, IReadOnlyList<ProviderEvent> Events);

/// <summary>
/// A telephony provider (sandbox, Twilio, Telnyx, Plivo). Implementations report progress by calling
/// <see cref="IProviderEventSink.ApplyAsync"/>, the same path for real callbacks and simulated ones.
/// </summary>
public interface ITelephonyProvider
{
    /// <summary>Name stored on phone numbers and attempts, e.g. <c>sandbox</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Dials per second this provider account accepts across all its numbers (Twilio's default is 1), or null for
    /// no account-wide limit. The dispatcher paces below it so no call waits in the provider's own queue.
    /// </summary>
    double? CallsPerSecond => null;

    /// <summary>
    /// Whether an answered call can be handed to the conversation engine through this provider (<see cref="Conversation.AnswerPlan.Converse"/>).
    /// True for the sandbox, Twilio and Telnyx, whose relays do the speech-to-text and text-to-speech and exchange text
    /// frames; false for a provider that only streams raw audio (Plivo's <c>&lt;Stream&gt;</c>), since Outdial has no speech
    /// engine of its own. Intake refuses (<c>provider_cannot_converse</c>) and the dispatcher blocks a call whose agent
    /// holds a conversation on such a provider; message and voicemail drops work on every provider.
    /// </summary>
    bool CanConverse => true;

    /// <summary>
    /// Places a call. Throws (any exception, including a timeout) when the outcome of the request is unknown:
    /// the caller then leaves the attempt for the reconciler and never redials it blindly.
    /// </summary>
    Task<DialResult> DialAsync(DialRequest request, CancellationToken ct);

    /// <summary>Ends a call in any state (cancels it before answer). Idempotent: hanging up an ended call is not an error.</summary>
    Task HangUpAsync(string providerCallId, CancellationToken ct);

    /// <summary>
    /// What the provider knows about an attempt, by its provider id (<see cref="Attempt.ProviderCallId"/>) when known,
    /// else by what the provider can search on (our attempt id, or its numbers and creation time).
    /// Null means the provider has no such call: the dial request never reached it. Throws when the provider
    /// cannot tell yet; the reconciler then asks again on its next round.
    /// </summary>
    Task<ProviderCallSnapshot?> LookupAsync(Attempt attempt, CancellationToken ct);

    /// <summary>
    /// URL of the finished recording of an ended attempt whose recording the provider never reported (its recording
    /// callback was lost), or null when there is none (nothing was recorded, or the recording is absent or failed).
    /// Throws when the provider cannot tell yet (e.g. the recording is still processing); the reconciler then asks
    /// again on its next round. The default answers null: the provider reports recordings only with its events.
    /// </summary>
    Task<string?> LookupRecordingAsync(Attempt attempt, CancellationToken ct) => Task.FromResult<string?>(null);
}

/// <summary>Receives provider reports; implemented by <see cref="CallProgress"/>.</summary>
public interface IProviderEventSink
{
    /// <summary>Applies one report; unknown calls and stale reports are ignored. Safe to call concurrently and repeatedly.</summary>
    Task ApplyAsync(ProviderEvent report, CancellationToken ct);
}

/// <summary>
/// Looks up registered providers by name. The providers are resolved on first lookup, not when this is built: a provider
/// depends (through the sandbox's simulated callee, the conversation engine and its tools) on intake, which looks up
/// provider names, so resolving them eagerly would make a construction cycle.
/// </summary>
public sealed class TelephonyProviders(IServiceProvider services)
{
    private readonly Lazy<Dictionary<string, ITelephonyProvider>> _byName = new(() =>
        services.GetServices<ITelephonyProvider>().ToDictionary(p => p.Name, StringComparer.Ordinal));

    /// <summary>The provider called <paramref name="name"/>, or null when this server has none configured.</summary>
    public ITelephonyProvider? Find(string name) => _byName.Value.GetValueOrDefault(name);
}
