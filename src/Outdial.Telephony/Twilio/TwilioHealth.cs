namespace Outdial.Telephony.Twilio;

/// <summary>The Twilio account's health (see <see cref="ProviderHealth"/>); error codes are Twilio's, e.g. 20003.</summary>
public sealed class TwilioHealth(TimeProvider clock) : ProviderHealth("twilio", clock);
