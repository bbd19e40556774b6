using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Outdial.Core.Conversation;

/// <summary>
/// The tools the model may call during a conversation (function calling). They are declared only — the engine carries them
/// out itself, since each has effects on the call (ending it, a DNC entry, DTMF, a transfer, a new call).
/// </summary>
public static class ConversationTools
{
    /// <summary><c>end_call {reason}</c>: the agent says goodbye (in the same reply) and the call ends.</summary>
    public const string EndCall = "end_call";
    /// <summary><c>opt_out {}</c>: the callee asked not to be called again: a sticky DNC entry, a polite close.</summary>
    public const string OptOut = "opt_out";
    /// <summary><c>send_dtmf {digits}</c>: press keys (0-9, *, #, w for a half-second pause), e.g. in an automated menu.</summary>
    public const string SendDtmf = "send_dtmf";
    /// <summary><c>transfer_call {}</c>: hand the call to the agent's transfer number.</summary>
    public const string TransferCall = "transfer_call";
    /// <summary><c>schedule_callback {at, timeZone?}</c>: a new call to the callee at the time asked for.</summary>
    public const string ScheduleCallback = "schedule_callback";

    private static readonly AITool End = Declare(EndCall,
        "End the call. Say your goodbye in the same reply before calling this.",
        """{"type":"object","properties":{"reason":{"type":"string","description":"Why the call ends, e.g. completed, not interested, wrong person."}},"required":["reason"]}""");

    private static readonly AITool OptOutTool = Declare(OptOut,
        "The callee asked not to be called again: add them to the do-not-call list and end the call politely.",
        """{"type":"object","properties":{}}""");

    private static readonly AITool Dtmf = Declare(SendDtmf,
        "Press keys on the phone keypad, e.g. to navigate an automated menu.",
        """{"type":"object","properties":{"digits":{"type":"string","description":"Keys to press: 0-9, * and #; w pauses half a second.","pattern":"^[0-9*#wW]{1,32}$"}},"required":["digits"]}""");

    private static readonly AITool Transfer = Declare(TransferCall,
        "Transfer the call to a person on the business's team.",
        """{"type":"object","properties":{}}""");

    private static readonly AITool Callback = Declare(ScheduleCallback,
        "Schedule a call back to the callee at the time they asked for.",
        """{"type":"object","properties":{"at":{"type":"string","description":"When to call back: ISO-8601 local date and time, e.g. 2026-12-07T15:00, or with an offset."},"timeZone":{"type":"string","description":"The callee's IANA time zone if they said it, e.g. America/Chicago."}},"required":["at"]}""");

    /// <summary>The tools offered: all of them, <c>transfer_call</c> only when the agent has a transfer number.</summary>
    public static IList<AITool> For(bool canTransfer) => canTransfer ? [End, OptOutTool, Dtmf, Transfer, Callback] : [End, OptOutTool, Dtmf, Callback];

    /// <summary>A string argument of a tool call, or null when absent or not a string.</summary>
    public static string? Argument(FunctionCallContent call, string name) =>
        call.Arguments is { } args && args.TryGetValue(name, out var value) ? value switch
        {
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            JsonElement e => e.GetRawText(),
            null => null,
            _ => value.ToString(),
        } : null;

    private static AITool Declare(string name, string description, string schema) =>
        AIFunctionFactory.CreateDeclaration(name, description, JsonDocument.Parse(schema).RootElement.Clone(), returnJsonSchema: null);
}
