namespace Outdial.Telephony.Twilio;

/// <summary>
/// The URLs under Outdial's public base URL (<c>Outdial:PublicBaseUrl</c>) that Twilio requests for one attempt. The
/// attempt id in the path ties every request to its attempt even before Twilio's call SID is known to us. The same
/// string is used to sign-check Twilio's request (X-Twilio-Signature covers the full URL).
/// </summary>
public static class TwilioUrls
{
    /// <summary>Route prefix, relative to the public base URL.</summary>
    public const string Prefix = "/providers/twilio/calls";

    /// <summary><c>{base}/providers/twilio/calls/{attemptId}/twiml</c>: Twilio fetches what to say when the call connects.</summary>
    public static string Twiml(string publicBaseUrl, string attemptId) => Build(publicBaseUrl, attemptId, "twiml");

    /// <summary><c>{base}/providers/twilio/calls/{attemptId}/status</c>: status callbacks (initiated, ringing, answered, completed).</summary>
    public static string Status(string publicBaseUrl, string attemptId) => Build(publicBaseUrl, attemptId, "status");

    /// <summary><c>{base}/providers/twilio/calls/{attemptId}/recording</c>: recording status callbacks.</summary>
    public static string Recording(string publicBaseUrl, string attemptId) => Build(publicBaseUrl, attemptId, "recording");

    /// <summary><c>{base}/providers/twilio/calls/{attemptId}/amd</c>: asynchronous answering-machine detection result.</summary>
    public static string Amd(string publicBaseUrl, string attemptId) => Build(publicBaseUrl, attemptId, "amd");

    private static string Build(string publicBaseUrl, string attemptId, string leaf) =>
        $"{publicBaseUrl.TrimEnd('/')}{Prefix}/{Uri.EscapeDataString(attemptId)}/{leaf}";
}
