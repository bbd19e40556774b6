using System.Net.WebSockets;
using Outdial.Core.Conversation;
using Outdial.Core.Storage;
using Outdial.Telephony.Twilio;

namespace Outdial.Server.Providers.Twilio;

// Twilio's ConversationRelay front (https://www.twilio.com/docs/voice/twiml/connect/conversationrelay): the WebSocket Twilio
// opens once the TwiML callback answered <Connect><ConversationRelay>, and the <Connect action> it requests when the session
// ends. The frames on the socket are the provider-neutral relay protocol (Core's RelayWire), run by the one conversation
// engine; only the URL, the signature and the TwiML here are Twilio's.
public static partial class TwilioCallbacksApi
{
    /// <summary>How long to wait for the relay's close frame after the engine closed the session, before the connection is dropped.</summary>
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Maps <c>GET /providers/twilio/relay/{attemptId}</c> (<see cref="RelayAsync"/>): anonymous, not rate limited, left out of
    /// the OpenAPI document, its upgrade request verified by <see cref="TwilioRequestVerification"/> over the <c>wss://</c> URL.
    /// </summary>
    private static void MapTwilioRelay(this IEndpointRouteBuilder app) =>
        app.MapGet(TwilioUrls.RelayPrefix + "/{attemptId}", RelayAsync)
            .WithName("TwilioConversationRelay")
            .AllowAnonymous()
            .DisableRateLimiting()
            .ExcludeFromDescription()
            .WithMetadata(new TwilioWebSocketRoute())
            .AddEndpointFilter<TwilioRequestVerification>();

    /// <summary>
    /// The ConversationRelay WebSocket of attempt <paramref name="attemptId"/>. Reached only once the upgrade request's
    /// <c>X-Twilio-Signature</c> holds for <c>{PublicBaseUrl as wss}/providers/twilio/relay/{attemptId}</c> with no parameters
    /// (else 403, or 404 when Twilio is not configured, and no socket). 400 for a request that is not a WebSocket upgrade.
    /// Otherwise accepts the socket and runs the attempt's session with <see cref="ConversationEngine.RunAsync"/> until it
    /// ends: an attempt that cannot be talked on gets an <c>end</c> frame at once. The engine closes the session; the close
    /// handshake is then awaited (at most 5 s) so the relay reads every frame before the connection goes.
    /// </summary>
    public static async Task<IResult> RelayAsync(string attemptId, HttpContext http, ConversationEngine engine)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            return TypedResults.BadRequest();
        }
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        await engine.RunAsync(attemptId, new WebSocketRelayChannel(socket), http.RequestAborted);
        await AwaitCloseAsync(socket, http.RequestAborted);
        return TypedResults.Empty;
    }

    /// <summary>
    /// 200 <c>text/xml</c>: what the call does after its ConversationRelay session ended (Twilio requests the
    /// <c>&lt;Connect action&gt;</c> URL with <c>HandoffData</c>, <c>SessionStatus</c>, <c>SessionId</c>, <c>CallSid</c>, ...).
    /// When <see cref="Handoff.Parse"/> reads a <see cref="Handoff.TransferTo"/> that the engine recorded on the attempt's
    /// conversation summary (<see cref="ConversationSummary.TransferredTo"/>, stored before the <c>end</c> frame was sent):
    /// <c>&lt;Dial callerId="{the attempt's From}"&gt;{number}&lt;/Dial&gt;</c>, the transfer. Anything else — no or unreadable
    /// handoff data, the session failed, a number the engine did not record — <c>&lt;Hangup/&gt;</c>.
    /// </summary>
    public static async Task<IResult> RelayEndedAsync(string attemptId, HttpContext http, ICallStore calls, ILoggerFactory loggers,
        CancellationToken ct)
    {
        var handoff = Handoff.Parse(Value(http.Request.Form, "HandoffData"));
        if (handoff?.TransferTo is not { Length: > 0 } number)
        {
            return Xml(Twiml.HangUp());
        }
        if (await calls.GetAttemptAsync(attemptId, ct) is { Conversation.TransferredTo: { } recorded } attempt && recorded == number)
        {
            return Xml(Twiml.Dial(number, attempt.From));
        }
        LogTransferNotRecorded(loggers.CreateLogger(typeof(TwilioCallbacksApi)), attemptId);
        return Xml(Twiml.HangUp());
    }

    /// <summary>Receives until the relay's close frame arrives after Outdial closed its side, for at most <see cref="CloseHandshakeTimeout"/>.</summary>
    private static async Task AwaitCloseAsync(WebSocket socket, CancellationToken aborted)
    {
        if (socket.State != WebSocketState.CloseSent)
        {
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timeout.CancelAfter(CloseHandshakeTimeout);
        var buffer = new byte[1024];
        try
        {
            while (socket.State == WebSocketState.CloseSent)
            {
                await socket.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The relay went away without closing: nothing is left to deliver.
        }
    }

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning,
        Message = "Twilio attempt {AttemptId}: the relay's handoff asks for a transfer the conversation did not record; hanging up")]
    private static partial void LogTransferNotRecorded(ILogger logger, string attemptId);
}
