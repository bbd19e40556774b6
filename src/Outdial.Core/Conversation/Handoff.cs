using System.Text.Json;
using Outdial.Core.Common;

namespace Outdial.Core.Conversation;

/// <summary>
/// What Outdial puts in an <see cref="RelayEnd"/>'s <c>handoffData</c> (JSON <c>{"reason", "transferTo"?}</c>), read back when
/// Twilio requests the <c>&lt;Connect action&gt;</c> URL: a <see cref="TransferTo"/> number is dialed (<c>&lt;Dial&gt;</c>),
/// anything else hangs up. <see cref="Reason"/> is a <see cref="ConversationEndReason"/> wire name.
/// </summary>
public sealed record Handoff(string Reason, string? TransferTo = null)
{
    /// <summary>The JSON text.</summary>
    public string Serialize() => JsonSerializer.Serialize(this, Json.Options);

    /// <summary>Reads <c>handoffData</c>; null when absent or not Outdial's JSON.</summary>
    public static Handoff? Parse(string? handoffData)
    {
        if (string.IsNullOrWhiteSpace(handoffData))
        {
            return null;
        }
        try
        {
            var handoff = JsonSerializer.Deserialize<Handoff>(handoffData, Json.Options);
            return handoff is { Reason.Length: > 0 } ? handoff : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
