using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Outdial.Core.Calls;
using Outdial.Core.Conversation;

namespace Outdial.Telephony.Sandbox;

/// <summary>
/// What the sandbox's simulated callee says next: the call's scripted <c>sandbox.replies</c> in order; then, when the call gives
/// a <c>persona</c> and a model is configured, the model speaking as that persona; else the default persona — it answers the
/// greeting with its name (the contact's <c>firstName</c>), a question with "Yes, that works for me.", anything else with "Okay.",
/// and hangs up after <see cref="DefaultRepliesBeforeHangUp"/> such answers. Null means the callee hangs up.
/// </summary>
internal sealed partial class SimulatedCalleeBrain(SimulatedCallee? script, JsonObject contact, LanguageModels models)
{
    /// <summary>Default-persona answers before the callee says goodbye and hangs up (bounds a conversation with a chatty model).</summary>
    public const int DefaultRepliesBeforeHangUp = 8;

    /// <summary>Persona answers (through the model) before the callee hangs up.</summary>
    public const int PersonaRepliesBeforeHangUp = 20;

    private readonly List<ChatMessage> _persona = [];
    private int _scripted;
    private int _defaults;
    private int _personaReplies;
    private bool _saidGoodbye;

    /// <summary>True while a scripted <c>sandbox.replies</c> entry is still to be said (a script answers even a goodbye).</summary>
    public bool HasScriptedReply => script is { Replies: var replies } && _scripted < replies.Count;

    /// <summary>True when <paramref name="heard"/> says goodbye ("goodbye", "bye"): the default callee waits for the hang-up instead of answering.</summary>
    public static bool IsFarewell(string heard) => Farewell().IsMatch(heard);

    [GeneratedRegex(@"\b(good[- ]?)?bye\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Farewell();

    /// <summary>The callee's answer to <paramref name="heard"/> (what the agent just said), or null to hang up.</summary>
    public async Task<SimulatedReply?> NextAsync(string heard, bool firstReply, CancellationToken ct)
    {
        if (_saidGoodbye)
        {
            return null;
        }
        if (script is { Replies: var replies } && _scripted < replies.Count)
        {
            return replies[_scripted++];
        }
        if (script?.Persona is { Length: > 0 } persona && models.Configured && _personaReplies < PersonaRepliesBeforeHangUp)
        {
            try
            {
                _personaReplies++;
                return new SimulatedReply(await AskPersonaAsync(persona, heard, ct));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The model is unavailable: the default persona answers instead.
            }
        }
        if (++_defaults > DefaultRepliesBeforeHangUp)
        {
            _saidGoodbye = true;
            return new SimulatedReply("Sorry, I have to go now. Goodbye.");
        }
        if (firstReply)
        {
            return new SimulatedReply(contact["firstName"] is JsonValue name && name.TryGetValue<string>(out var first) ? $"Hi, yes, this is {first}." : "Hello, yes?");
        }
        return new SimulatedReply(heard.Contains('?', StringComparison.Ordinal) ? "Yes, that works for me." : "Okay.");
    }

    private async Task<string> AskPersonaAsync(string persona, string heard, CancellationToken ct)
    {
        if (_persona.Count == 0)
        {
            _persona.Add(new ChatMessage(ChatRole.System,
                "You are role-playing the person who just answered this phone call, for a test. Persona: " + persona +
                " Reply with only the words you say aloud: one or two short sentences, no stage directions."));
        }
        _persona.Add(new ChatMessage(ChatRole.User, heard));
        var response = await models.For(models.ConversationModel(null)).GetResponseAsync(_persona, cancellationToken: ct);
        var text = response.Text.Trim();
        _persona.Add(new ChatMessage(ChatRole.Assistant, text));
        return text.Length > 0 ? text : "Okay.";
    }
}
