namespace Outdial.Telephony.Twilio;

/// <summary>A configuration problem Twilio reported (bad credentials, unverified caller ID, geo permissions...).</summary>
/// <param name="HttpStatus">Twilio's HTTP status, e.g. 401.</param>
/// <param name="Code">Twilio's error code, e.g. 20003; null when the body had none.</param>
/// <param name="Error">Human-readable text including the code; contains no secret.</param>
/// <param name="At">When it was seen (UTC, from the injected clock).</param>
public sealed record TwilioConfigurationProblem(int HttpStatus, int? Code, string Error, DateTimeOffset At);

/// <summary>
/// The Twilio account's health as the last dial saw it: the latest configuration error, cleared by the next accepted
/// dial. Thread-safe; a singleton the server can show in <c>/health</c>.
/// </summary>
public sealed class TwilioHealth(TimeProvider clock)
{
    private TwilioConfigurationProblem? _problem;

    /// <summary>The latest configuration error since the last accepted dial, or null when none.</summary>
    public TwilioConfigurationProblem? LastConfigurationError => Volatile.Read(ref _problem);

    /// <summary>Records a configuration error Twilio answered (replaces any earlier one).</summary>
    public void RecordConfigurationError(int httpStatus, int? code, string error) =>
        Volatile.Write(ref _problem, new TwilioConfigurationProblem(httpStatus, code, error, clock.GetUtcNow()));

    /// <summary>Records that Twilio accepted a request: the configuration works, so any recorded error is cleared.</summary>
    public void RecordSuccess() => Volatile.Write(ref _problem, null);
}
