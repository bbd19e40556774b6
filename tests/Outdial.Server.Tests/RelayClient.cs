using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Outdial.Telephony.Twilio;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// Plays Twilio's ConversationRelay against Outdial's relay WebSocket, as the tests need it: connects to
/// <c>/providers/twilio/relay/{attemptId}</c> on the server's loopback address with an <c>X-Twilio-Signature</c> the npm
/// library computed over the public <c>wss://</c> URL with no parameters (what Twilio signs), sends the frames Twilio
/// documents (https://www.twilio.com/docs/voice/conversationrelay/websocket-messages: <c>setup</c>, <c>prompt</c>,
/// <c>interrupt</c>, <c>dtmf</c>) and reads Outdial's (<c>text</c>, <c>sendDigits</c>, <c>end</c>, ...). Frames are written and
/// read as plain JSON by their documented field names, independently of Outdial's own frame code.
/// </summary>
public sealed class RelayClient : IAsyncDisposable
{
    /// <summary>How long a read waits for the next frame unless told otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    private readonly ClientWebSocket _socket;

    private RelayClient(ClientWebSocket socket) => _socket = socket;

    /// <summary>The socket's state (e.g. <see cref="WebSocketState.CloseReceived"/> once Outdial closed the session).</summary>
    public WebSocketState State => _socket.State;

    /// <summary>The public URL Twilio would open for <paramref name="attemptId"/>: <c>wss://{public host and path}/providers/twilio/relay/{id}</c>.</summary>
    public static string PublicUrl(string publicBaseUrl, string attemptId) => TwilioUrls.Relay(publicBaseUrl, attemptId);

    /// <summary>
    /// Connects to <paramref name="host"/> for <paramref name="attemptId"/>, signed over <paramref name="signedUrl"/> (default:
    /// <see cref="PublicUrl"/> of <paramref name="publicBaseUrl"/>) with <paramref name="authToken"/>; <paramref name="sign"/>
    /// false sends no signature, <paramref name="signature"/> sends that value instead. Answers the HTTP status of a refused
    /// upgrade and no client, or 101 and the connected client.
    /// </summary>
    public static async Task<(HttpStatusCode Status, RelayClient? Client)> TryConnectAsync(OutdialHost host, string publicBaseUrl, string attemptId,
        string authToken, bool sign = true, string? signedUrl = null, string? signature = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (signature is not null)
        {
            socket.Options.SetRequestHeader(TwilioSignature.Header, signature);
        }
        else if (sign)
        {
            socket.Options.SetRequestHeader(TwilioSignature.Header,
                await TwilioNode.SignatureAsync(authToken, signedUrl ?? PublicUrl(publicBaseUrl, attemptId)));
        }
        return await ConnectAsync(socket, host, $"{TwilioUrls.RelayPrefix}/{Uri.EscapeDataString(attemptId)}");
    }

    /// <summary>
    /// Connects to <paramref name="pathAndToken"/> (e.g. <c>/providers/telnyx/relay/{attemptId}/{token}</c>) on the server's
    /// loopback address with no signature header, as Telnyx's Conversation Relay does (its URL carries the credential).
    /// Answers the HTTP status of a refused upgrade and no client, or 101 and the connected client.
    /// </summary>
    public static async Task<(HttpStatusCode Status, RelayClient? Client)> TryConnectPathAsync(OutdialHost host, string pathAndToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        return await ConnectAsync(socket, host, pathAndToken);
    }

    private static async Task<(HttpStatusCode Status, RelayClient? Client)> ConnectAsync(ClientWebSocket socket, OutdialHost host, string path)
    {
        var target = new UriBuilder(host.BaseAddress) { Scheme = "ws", Path = path }.Uri;
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        try
        {
            await socket.ConnectAsync(target, timeout.Token);
            return (socket.HttpStatusCode, new RelayClient(socket));
        }
        catch (WebSocketException)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            return (status, null);
        }
    }

    /// <summary>As <see cref="TryConnectAsync"/>, signed as Twilio signs; fails the test unless the upgrade succeeds.</summary>
    public static async Task<RelayClient> ConnectAsync(OutdialHost host, string publicBaseUrl, string attemptId, string authToken)
    {
        var (status, client) = await TryConnectAsync(host, publicBaseUrl, attemptId, authToken);
        Assert.True(client is not null, $"the relay upgrade was refused: HTTP {(int)status}");
        return client;
    }

    /// <summary>Sends <c>setup</c>, the first frame of a session (Twilio's fields; <c>customParameters</c> empty).</summary>
    public Task SendSetupAsync(string callSid, string from, string to) => SendAsync(new JsonObject
    {
        ["type"] = "setup",
        ["sessionId"] = "VX" + Guid.NewGuid().ToString("N"),
        ["accountSid"] = "AC00000000000000000000000000000000",
        ["parentCallSid"] = "",
        ["callSid"] = callSid,
        ["from"] = from,
        ["to"] = to,
        ["forwardedFrom"] = "",
        ["callType"] = "PSTN",
        ["callerName"] = "",
        ["direction"] = "outbound-api",
        ["callStatus"] = "IN-PROGRESS",
        ["customParameters"] = new JsonObject(),
    });

    /// <summary>Sends <c>prompt</c>: what the callee said (<paramref name="last"/> false for a partial result).</summary>
    public Task SendPromptAsync(string voicePrompt, bool last = true, string lang = "en-US") =>
        SendAsync(new JsonObject { ["type"] = "prompt", ["voicePrompt"] = voicePrompt, ["lang"] = lang, ["last"] = last });

    /// <summary>Sends <c>interrupt</c>: the callee spoke over the agent after hearing <paramref name="utteranceUntilInterrupt"/>.</summary>
    public Task SendInterruptAsync(string utteranceUntilInterrupt, long durationUntilInterruptMs) => SendAsync(new JsonObject
    {
        ["type"] = "interrupt",
        ["utteranceUntilInterrupt"] = utteranceUntilInterrupt,
        ["durationUntilInterruptMs"] = durationUntilInterruptMs,
    });

    /// <summary>Sends <c>dtmf</c>: the callee pressed <paramref name="digit"/>.</summary>
    public Task SendDtmfAsync(string digit) => SendAsync(new JsonObject { ["type"] = "dtmf", ["digit"] = digit });

    /// <summary>Sends a frame as one text message.</summary>
    public async Task SendAsync(JsonObject frame)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(frame.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
    }

    /// <summary>The next frame Outdial sent (a JSON object with <c>type</c>), or null once Outdial closed the session.</summary>
    /// <exception cref="TimeoutException">Nothing arrived within <paramref name="timeout"/> (default <see cref="DefaultTimeout"/>).</exception>
    public async Task<JsonObject?> ReceiveAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        using var cancel = new CancellationTokenSource(limit);
        var buffer = new byte[8192];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, cancel.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }
                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    return JsonNode.Parse(message.ToArray()) as JsonObject ?? throw new InvalidOperationException("a relay frame that is not a JSON object");
                }
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"no relay frame within {limit.TotalSeconds} s");
        }
    }

    /// <summary>The next frame, which must be of <paramref name="type"/> (fails the test otherwise).</summary>
    public async Task<JsonObject> ExpectAsync(string type, TimeSpan? timeout = null)
    {
        var frame = await ReceiveAsync(timeout);
        Assert.True(frame is not null && (string?)frame["type"] == type, $"expected a '{type}' frame, got {frame?.ToJsonString() ?? "the close"}");
        return frame!;
    }

    /// <summary>
    /// Reads <c>text</c> frames until one with <c>last: true</c> and answers their tokens in order (the empty closing token
    /// included when sent); fails the test on any other frame.
    /// </summary>
    public async Task<IReadOnlyList<string>> ReadReplyAsync(TimeSpan? timeout = null)
    {
        var tokens = new List<string>();
        while (true)
        {
            var frame = await ExpectAsync("text", timeout);
            tokens.Add((string?)frame["token"] ?? "");
            if ((bool?)frame["last"] == true)
            {
                return tokens;
            }
        }
    }

    /// <summary>Ends the session from Twilio's side (the callee hung up, or Twilio ends the session after an <c>end</c>): the close handshake.</summary>
    public async Task CloseAsync()
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "session ended", timeout.Token);
        }
    }

    /// <summary>Waits until Outdial closes the session, skipping any frames still in flight; answers them.</summary>
    public async Task<IReadOnlyList<JsonObject>> WaitForCloseAsync(TimeSpan? timeout = null)
    {
        var rest = new List<JsonObject>();
        while (await ReceiveAsync(timeout) is { } frame)
        {
            rest.Add(frame);
        }
        return rest;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CloseAsync();
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Already gone.
        }
        _socket.Dispose();
    }
}
