namespace Outdial.Telephony;

/// <summary>A configuration problem a provider reported (bad credentials, a caller ID the account does not own, geo permissions...).</summary>
/// <param name="HttpStatus">The provider's HTTP status, e.g. 401.</param>
/// <param name="Code">The provider's error code (Twilio 20003, Telnyx 10009); null when it has none (Plivo has no codes).</param>
/// <param name="Error">Human-readable text including the code; contains no secret, but may quote phone numbers.</param>
/// <param name="At">When it was seen (UTC, from the injected clock).</param>
public sealed record ProviderConfigurationProblem(int HttpStatus, int? Code, string Error, DateTimeOffset At);

/// <summary>
/// A provider account's health as its last dial saw it: the latest configuration error, cleared by the next accepted dial.
/// Thread-safe; one singleton per configured provider (<see cref="Twilio.TwilioHealth"/>, <see cref="Plivo.PlivoHealth"/>,
/// <see cref="Telnyx.TelnyxHealth"/>), also registered as <see cref="ProviderHealth"/> so <c>/health</c> and
/// <c>/health/ready</c> list every one without knowing them by name.
/// </summary>
public abstract class ProviderHealth(string provider, TimeProvider clock)
{
    private ProviderConfigurationProblem? _problem;

    /// <summary>The provider's name, as on phone numbers and attempts (<c>twilio</c>, <c>plivo</c>, <c>telnyx</c>).</summary>
    public string Provider { get; } = provider;

    /// <summary>The latest configuration error since the last accepted dial, or null when none.</summary>
    public ProviderConfigurationProblem? LastConfigurationError => Volatile.Read(ref _problem);

    /// <summary>Records a configuration error the provider answered (replaces any earlier one); <paramref name="code"/> null when it has none.</summary>
    public void RecordConfigurationError(int httpStatus, int? code, string error) =>
        Volatile.Write(ref _problem, new ProviderConfigurationProblem(httpStatus, code, error, clock.GetUtcNow()));

    /// <summary>Records that the provider accepted a request: the configuration works, so any recorded error is cleared.</summary>
    public void RecordSuccess() => Volatile.Write(ref _problem, null);
}
