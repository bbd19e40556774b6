namespace Outdial.Telephony.Plivo;

/// <summary>The Plivo account's health (see <see cref="ProviderHealth"/>); Plivo has no error codes, so a problem's code is null.</summary>
public sealed class PlivoHealth(TimeProvider clock) : ProviderHealth("plivo", clock);
