namespace Outdial.Telephony.Telnyx;

/// <summary>The Telnyx account's health (see <see cref="ProviderHealth"/>); error codes are Telnyx's, e.g. 10009.</summary>
public sealed class TelnyxHealth(TimeProvider clock) : ProviderHealth("telnyx", clock);
