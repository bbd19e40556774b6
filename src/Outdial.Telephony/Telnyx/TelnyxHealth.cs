namespace Outdial.Telephony.Telnyx;

/// <summary>A configuration problem Telnyx reported (bad API key, unknown connection, caller ID not allowed...).</summary>
/// <param name="HttpStatus">Telnyx's HTTP status, e.g. 401.</param>
/// <param name="Code">Telnyx's error code (<c>errors[0].code</c>, e.g. 10009); null when the body had none or it is not a number.</param>
/// <param name="Error">Human-readable text including the code; contains no secret.</param>
/// <param name="At">When it was seen (UTC, from the injected clock).</param>
public sealed record TelnyxConfigurationProblem(int HttpStatus, int? Code, string Error, DateTimeOffset At);

/// <summary>
/// The Telnyx account's health as the last dial saw it: the latest configuration error, cleared by the next accepted
/// dial. Thread-safe; a singleton the server shows in <c>/health</c>.
/// </summary>
public sealed class TelnyxHealth(TimeProvider clock)
{
    private TelnyxConfigurationProblem? _problem;

    /// <summary>The latest configuration error since the last accepted dial, or null when none.</summary>
    public TelnyxConfigurationProblem? LastConfigurationError => Volatile.Read(ref _problem);

    /// <summary>Records a configuration error Telnyx answered (replaces any earlier one).</summary>
    public void RecordConfigurationError(int httpStatus, int? code, string error) =>
        Volatile.Write(ref _problem, new TelnyxConfigurationProblem(httpStatus, code, error, clock.GetUtcNow()));

    /// <summary>Records that Telnyx accepted a dial: the configuration works, so any recorded error is cleared.</summary>
    public void RecordSuccess() => Volatile.Write(ref _problem, null);
}
