namespace Outdial.Telephony.Plivo;

/// <summary>A configuration problem Plivo reported (bad credentials, a caller ID the account does not own, geo permissions...).</summary>
/// <param name="HttpStatus">Plivo's HTTP status, e.g. 401.</param>
/// <param name="Error">Human-readable text with Plivo's error; contains no secret.</param>
/// <param name="At">When it was seen (UTC, from the injected clock).</param>
public sealed record PlivoConfigurationProblem(int HttpStatus, string Error, DateTimeOffset At);

/// <summary>
/// The Plivo account's health as the last dial saw it: the latest configuration error, cleared by the next accepted
/// dial. Thread-safe; a singleton the server shows in <c>/health</c> and <c>/health/ready</c>.
/// </summary>
public sealed class PlivoHealth(TimeProvider clock)
{
    private PlivoConfigurationProblem? _problem;

    /// <summary>The latest configuration error since the last accepted dial, or null when none.</summary>
    public PlivoConfigurationProblem? LastConfigurationError => Volatile.Read(ref _problem);

    /// <summary>Records a configuration error Plivo answered (replaces any earlier one).</summary>
    public void RecordConfigurationError(int httpStatus, string error) =>
        Volatile.Write(ref _problem, new PlivoConfigurationProblem(httpStatus, error, clock.GetUtcNow()));

    /// <summary>Records that Plivo accepted a dial: the configuration works, so any recorded error is cleared.</summary>
    public void RecordSuccess() => Volatile.Write(ref _problem, null);
}
