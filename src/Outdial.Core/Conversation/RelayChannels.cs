using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace Outdial.Core.Conversation;

/// <summary>
/// One relay session's transport, as the conversation engine sees it: frames in, frames out. Implemented over a WebSocket
/// (Twilio, Telnyx: <see cref="WebSocketRelayChannel"/>) and in-process (the sandbox: <see cref="InProcessRelay"/>).
/// The engine sends from one task at a time.
/// </summary>
public interface IRelayChannel
{
    /// <summary>The next frame from the relay, or null once the relay has closed the session (the callee hung up).</summary>
    ValueTask<RelayInbound?> ReceiveAsync(CancellationToken ct);

    /// <summary>Sends a frame. A frame sent after the relay closed is dropped (the call is over).</summary>
    ValueTask SendAsync(RelayOutbound frame, CancellationToken ct);

    /// <summary>Closes the session from Outdial's side (after an <see cref="RelayEnd"/>, or on a fatal error).</summary>
    ValueTask CloseAsync(CancellationToken ct);

    /// <summary>
    /// True when the relay finishes speaking what it was sent before it acts on <see cref="RelayEnd"/> (the sandbox). False for a
    /// real relay, where the engine waits for the estimated end of the agent's speech before ending the session.
    /// </summary>
    bool FinishesSpeechBeforeEnd => false;
}

/// <summary>
/// The relay protocol over a WebSocket: each text message is one JSON frame (<see cref="RelayWire"/>). A frame that is not
/// JSON, or of an unknown type, is skipped (the relay's newer frame types must not end a call); a binary message too.
/// </summary>
public sealed class WebSocketRelayChannel(WebSocket socket) : IRelayChannel
{
    private const int MaxFrameBytes = 256 * 1024;

    /// <inheritdoc />
    public async ValueTask<RelayInbound?> ReceiveAsync(CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            ValueWebSocketReceiveResult result;
            try
            {
                result = await socket.ReceiveAsync(buffer.GetMemory(4096), ct);
            }
            catch (WebSocketException)
            {
                return null; // the peer went away without a close handshake: the session is over
            }
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            buffer.Advance(result.Count);
            if (buffer.WrittenCount > MaxFrameBytes)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "frame too large", ct);
                return null;
            }
            if (!result.EndOfMessage)
            {
                continue;
            }
            if (result.MessageType == WebSocketMessageType.Text)
            {
                try
                {
                    if (RelayWire.ParseInbound(buffer.WrittenSpan) is { } frame)
                    {
                        return frame;
                    }
                }
                catch (JsonException)
                {
                    // Not a frame we can read: skipped, like a frame of a type we do not know.
                }
            }
            buffer.ResetWrittenCount();
        }
        return null;
    }

    /// <inheritdoc />
    public async ValueTask SendAsync(RelayOutbound frame, CancellationToken ct)
    {
        if (socket.State != WebSocketState.Open)
        {
            return;
        }
        try
        {
            await socket.SendAsync(RelayWire.Serialize(frame), WebSocketMessageType.Text, endOfMessage: true, ct);
        }
        catch (WebSocketException)
        {
            // The relay closed meanwhile: the call is over, and the receive side reports it.
        }
    }

    /// <inheritdoc />
    public async ValueTask CloseAsync(CancellationToken ct)
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "session ended", ct);
            }
            catch (WebSocketException)
            {
                // Already gone.
            }
        }
    }
}

/// <summary>
/// Two ends of an in-process relay session: <see cref="Engine"/> is what the conversation engine talks to, <see cref="Relay"/>
/// what a simulated relay (the sandbox) or a test drives. Frames pass through unbounded channels, in order; closing either end
/// ends the other's receive.
/// </summary>
public sealed class InProcessRelay
{
    private readonly Channel<RelayInbound> _toEngine = Channel.CreateUnbounded<RelayInbound>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<RelayOutbound> _toRelay = Channel.CreateUnbounded<RelayOutbound>(new UnboundedChannelOptions { SingleReader = true });

    public InProcessRelay()
    {
        Engine = new EngineEnd(_toEngine, _toRelay);
        Relay = new RelayEnd(_toRelay, _toEngine);
    }

    /// <summary>The engine's side.</summary>
    public IRelayChannel Engine { get; }

    /// <summary>The relay's side: receives what the engine sends, sends what the callee does.</summary>
    public RelayEnd Relay { get; }

    /// <summary>The relay's end of an in-process session.</summary>
    public sealed class RelayEnd(Channel<RelayOutbound> inbox, Channel<RelayInbound> outbox)
    {
        /// <summary>The next frame the engine sent, or null once the engine closed the session.</summary>
        public async ValueTask<RelayOutbound?> ReceiveAsync(CancellationToken ct) =>
            await inbox.Reader.WaitToReadAsync(ct) && inbox.Reader.TryRead(out var frame) ? frame : null;

        /// <summary>Completes when a frame is waiting (true) or the engine closed the session (false).</summary>
        public ValueTask<bool> WaitToReceiveAsync(CancellationToken ct) => inbox.Reader.WaitToReadAsync(ct);

        /// <summary>The next frame the engine sent, if one is waiting, without taking it.</summary>
        public RelayOutbound? Peek() => inbox.Reader.TryPeek(out var frame) ? frame : null;

        /// <summary>Sends a frame to the engine; dropped after the session closed.</summary>
        public void Send(RelayInbound frame) => outbox.Writer.TryWrite(frame);

        /// <summary>Ends the session from the relay's side (the callee hung up): the engine's next receive returns null.</summary>
        public void Close() => outbox.Writer.TryComplete();
    }

    private sealed class EngineEnd(Channel<RelayInbound> inbox, Channel<RelayOutbound> outbox) : IRelayChannel
    {
        public bool FinishesSpeechBeforeEnd => true;

        public async ValueTask<RelayInbound?> ReceiveAsync(CancellationToken ct) =>
            await inbox.Reader.WaitToReadAsync(ct) && inbox.Reader.TryRead(out var frame) ? frame : null;

        public ValueTask SendAsync(RelayOutbound frame, CancellationToken ct)
        {
            outbox.Writer.TryWrite(frame);
            return ValueTask.CompletedTask;
        }

        public ValueTask CloseAsync(CancellationToken ct)
        {
            outbox.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }
    }
}
