using Outdial.Core.Agents;

namespace Outdial.Core.Conversation;

/// <summary>
/// The agent's fixed lines, said without the model (configuration <c>Outdial:Conversation:Lines:{language}</c> replaces
/// any of them). Built in for English and Spanish; another language falls back to English unless configured.
/// </summary>
public sealed class ConversationLines
{
    /// <summary>Said once when the model fails a turn (timeout or error).</summary>
    public string? Fallback { get; set; }
    /// <summary>Said before hanging up on the second model failure.</summary>
    public string? FailureClose { get; set; }
    /// <summary>Said after an opt-out was recorded, before hanging up.</summary>
    public string? OptOutClose { get; set; }
    /// <summary>Said when the agent ends without a goodbye of its own.</summary>
    public string? Goodbye { get; set; }
    /// <summary>Said when the call reaches its maximum duration.</summary>
    public string? MaxDurationClose { get; set; }
    /// <summary>Said when the conversation reaches its maximum number of turns.</summary>
    public string? MaxTurnsClose { get; set; }
    /// <summary>Said before a transfer.</summary>
    public string? Transfer { get; set; }
    /// <summary>The last word after the closing disclosure, when the agent's own goodbye came before it.</summary>
    public string? Bye { get; set; }
    /// <summary>The scripted agent's acknowledgement before its next question.</summary>
    public string? Acknowledge { get; set; }
    /// <summary>The scripted agent's closing once every question is asked.</summary>
    public string? ScriptedClose { get; set; }

    private static readonly ConversationLines English = new()
    {
        Fallback = "Sorry, give me just a moment. Could you say that again?",
        FailureClose = "I'm sorry, I'm having technical difficulties, so I'll let you go. We'll try you another time. Goodbye.",
        OptOutClose = "Understood. I've removed your number from our list, and you won't get any more calls from us. Goodbye.",
        Goodbye = "Thank you for your time. Goodbye.",
        MaxDurationClose = "I'm sorry, we're out of time for this call. Thank you, and goodbye.",
        MaxTurnsClose = "Thank you for your time. I'll let you go now. Goodbye.",
        Transfer = "Please hold while I transfer you.",
        Bye = "Goodbye.",
        Acknowledge = "Thank you.",
        ScriptedClose = "Thank you, that's everything I needed.",
    };

    private static readonly ConversationLines Spanish = new()
    {
        Fallback = "Disculpe, deme un momento. ¿Podría repetirlo?",
        FailureClose = "Lo siento, tengo dificultades técnicas, así que lo dejo ir. Le llamaremos en otro momento. Adiós.",
        OptOutClose = "Entendido. He quitado su número de nuestra lista y no recibirá más llamadas nuestras. Adiós.",
        Goodbye = "Gracias por su tiempo. Adiós.",
        MaxDurationClose = "Lo siento, se nos acabó el tiempo de esta llamada. Gracias y adiós.",
        MaxTurnsClose = "Gracias por su tiempo. Lo dejo ir ahora. Adiós.",
        Transfer = "Por favor, espere mientras le transfiero.",
        Bye = "Adiós.",
        Acknowledge = "Gracias.",
        ScriptedClose = "Gracias, eso es todo lo que necesitaba.",
    };

    /// <summary>The lines for <paramref name="language"/>: configured ones first (by full tag, then primary language), then built-in.</summary>
    public static ConversationLines For(string language, IReadOnlyDictionary<string, ConversationLines>? configured)
    {
        var primary = Languages.Primary(language);
        var builtIn = primary == "es" ? Spanish : English;
        var custom = configured is null ? null : configured.GetValueOrDefault(language) ?? configured.GetValueOrDefault(primary);
        return new ConversationLines
        {
            Fallback = custom?.Fallback ?? builtIn.Fallback,
            FailureClose = custom?.FailureClose ?? builtIn.FailureClose,
            OptOutClose = custom?.OptOutClose ?? builtIn.OptOutClose,
            Goodbye = custom?.Goodbye ?? builtIn.Goodbye,
            MaxDurationClose = custom?.MaxDurationClose ?? builtIn.MaxDurationClose,
            MaxTurnsClose = custom?.MaxTurnsClose ?? builtIn.MaxTurnsClose,
            Transfer = custom?.Transfer ?? builtIn.Transfer,
            Bye = custom?.Bye ?? builtIn.Bye,
            Acknowledge = custom?.Acknowledge ?? builtIn.Acknowledge,
            ScriptedClose = custom?.ScriptedClose ?? builtIn.ScriptedClose,
        };
    }
}

/// <summary>BCP-47 helpers.</summary>
public static class Languages
{
    /// <summary>The primary language subtag in lower case: <c>en-US</c> → <c>en</c>.</summary>
    public static string Primary(string tag)
    {
        var dash = tag.IndexOfAny(['-', '_']);
        return (dash < 0 ? tag : tag[..dash]).ToLowerInvariant();
    }
}

/// <summary>
/// The built-in wording of the disclosures an AI voice call makes (47 CFR 64.1200(b)(1)–(2): at the beginning, the identity of
/// the business; during or after the message, a telephone number of it; the FCC's declaratory ruling FCC 24-17 (2024) treats
/// AI-generated voices as artificial voices under the TCPA). Agents may replace the wording per language
/// (<see cref="AgentDisclosures"/>).
/// </summary>
public static class DisclosureDefaults
{
    private static readonly DisclosureTexts English = new(
        "This is an automated call from {businessName}, and I'm an AI voice assistant.",
        "This call is recorded.",
        "You can reach {businessName} at {callbackNumber}.");

    private static readonly DisclosureTexts Spanish = new(
        "Esta es una llamada automatizada de {businessName} y soy un asistente de voz con inteligencia artificial.",
        "Esta llamada está siendo grabada.",
        "Puede comunicarse con {businessName} al {callbackNumber}.");

    /// <summary>The wording for <paramref name="language"/>: the agent's (full tag, then primary language) over the built-in one.</summary>
    public static DisclosureTexts For(string language, AgentDisclosures disclosures)
    {
        var primary = Languages.Primary(language);
        var builtIn = primary == "es" ? Spanish : English;
        var custom = disclosures.Texts is { } texts ? texts.GetValueOrDefault(language) ?? texts.GetValueOrDefault(primary) : null;
        return new DisclosureTexts(custom?.Identity ?? builtIn.Identity, custom?.Recording ?? builtIn.Recording,
            custom?.CallbackNumber ?? builtIn.CallbackNumber);
    }

    /// <summary>An E.164 number as text-to-speech reads it well: NANP numbers as <c>555-123-4567</c>, others as given.</summary>
    public static string Spoken(string e164) =>
        e164.Length == 12 && e164.StartsWith("+1", StringComparison.Ordinal) ? $"{e164[2..5]}-{e164[5..8]}-{e164[8..]}" : e164;
}
