namespace Outdial.Telephony.Plivo;

/// <summary>
/// The URLs under Outdial's public base URL (<c>Outdial:PublicBaseUrl</c>) that Plivo requests for one attempt:
/// <c>{base}/providers/plivo/calls/{attemptId}/{answer|ring|hangup|amd|recording}</c>. The attempt id in the path ties every
/// request to its attempt before Plivo's CallUUID is known; the same string is what <c>X-Plivo-Signature-V3</c> signs.
/// </summary>
public static class PlivoUrls
{
    /// <summary>Route prefix, relative to the public base URL.</summary>
    public const string Prefix = "/providers/plivo/calls";

    /// <summary>Plivo fetches the call's Plivo XML here when it is answered (<c>answer_url</c>).</summary>
    public static string Answer(string publicBaseUrl, string attemptId) => Build(publicBaseUrl, attemptId, "answer");

    /// <summary>
    /// The answer URL with <c>?machine=true</c>: where an answered call is transferred (Plivo "Transfer a call",
    /// <c>aleg_url</c>) once asynchronous machine detection found a machine, to leave the voicemail message.
    /// </summary>
    public static string AnswerForMachine(string publicBaseUrl, string attemptId) => Answer(publicBaseUrl, attemptId) + "?machine=true";

    /// <summary>Plivo notifies here when the call starts ringing (<c>ring_url</c>).</summary>
    public static string Ring(string publicBaseUrl, string attemptId) => Build(publicBaseUrl, attemptId, "ring");

    /// <summary>Plivo notifies here when the call ends, answered or not (<c>hangup_url</c>).</summary>
    public static string Hangup(string publicBaseUrl, string attemptId) => Build(publicBaseUrl, attemptId, "hangup");

    /// <summary>Plivo posts the asynchronous machine-detection verdict here (<c>machine_detection_url</c>).</summary>
    public static string Amd(string publicBaseUrl, string attemptId) => Build(publicBaseUrl, attemptId, "amd");

    /// <summary>Plivo posts here when the session recording is ready (<c>&lt;Record callbackUrl&gt;</c>).</summary>
    public static string Recording(string publicBaseUrl, string attemptId) => Build(publicBaseUrl, attemptId, "recording");

    private static string Build(string publicBaseUrl, string attemptId, string leaf) =>
        $"{publicBaseUrl.TrimEnd('/')}{Prefix}/{Uri.EscapeDataString(attemptId)}/{leaf}";
}
