using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Outdial.Core.Conversation;

/// <summary>
/// The relay frames' JSON (UTF-8 text, one frame per WebSocket message), in the field names Twilio's ConversationRelay and
/// Telnyx's Conversation Relay use. Unknown fields are ignored; a frame of an unknown <c>type</c> parses to null; absent
/// optional fields are left out when writing. Used by the WebSocket transport, the sandbox's in-process relay and tests.
/// </summary>
public static class RelayWire
{
    /// <summary>Parses a frame the relay sent. Null for an unknown <c>type</c>.</summary>
    /// <exception cref="JsonException">Not a JSON object, no <c>type</c>, or a required field missing.</exception>
    public static RelayInbound? ParseInbound(ReadOnlySpan<byte> utf8)
    {
        using var doc = JsonDocument.Parse(utf8.ToArray());
        var root = doc.RootElement;
        return Type(root) switch
        {
            "setup" => new RelaySetup(Str(root, "sessionId"), Str(root, "callSid"), Str(root, "from"), Str(root, "to"), Parameters(root)),
            "prompt" => new RelayPrompt(Required(root, "voicePrompt"), Str(root, "lang"), Bool(root, "last") ?? true),
            "interrupt" => new RelayInterrupt(Str(root, "utteranceUntilInterrupt") ?? "", Long(root, "durationUntilInterruptMs")),
            "dtmf" => new RelayDtmf(Required(root, "digit")),
            "error" => new RelayError(Str(root, "description") ?? ""),
            _ => null,
        };
    }

    /// <summary>Parses a frame Outdial sends (the relay's side: sandbox and tests). Null for an unknown <c>type</c>.</summary>
    /// <exception cref="JsonException">Not a JSON object, no <c>type</c>, or a required field missing.</exception>
    public static RelayOutbound? ParseOutbound(ReadOnlySpan<byte> utf8)
    {
        using var doc = JsonDocument.Parse(utf8.ToArray());
        var root = doc.RootElement;
        return Type(root) switch
        {
            "text" => new RelayText(Str(root, "token") ?? "", Bool(root, "last") ?? false, Bool(root, "interruptible"), Bool(root, "preemptible")),
            "play" => new RelayPlay(Required(root, "source"), (int?)Long(root, "loop"), Bool(root, "interruptible"), Bool(root, "preemptible")),
            "sendDigits" => new RelaySendDigits(Required(root, "digits")),
            "language" => new RelayLanguage(Str(root, "ttsLanguage"), Str(root, "transcriptionLanguage")),
            "end" => new RelayEnd(Str(root, "handoffData")),
            _ => null,
        };
    }

    /// <summary>The UTF-8 JSON of an outbound frame.</summary>
    public static byte[] Serialize(RelayOutbound frame) => Write(w =>
    {
        switch (frame)
        {
            case RelayText t:
                w.WriteString("type", "text");
                w.WriteString("token", t.Token);
                w.WriteBoolean("last", t.Last);
                Optional(w, "interruptible", t.Interruptible);
                Optional(w, "preemptible", t.Preemptible);
                break;
            case RelayPlay p:
                w.WriteString("type", "play");
                w.WriteString("source", p.Source);
                if (p.Loop is { } loop)
                {
                    w.WriteNumber("loop", loop);
                }
                Optional(w, "interruptible", p.Interruptible);
                Optional(w, "preemptible", p.Preemptible);
                break;
            case RelaySendDigits d:
                w.WriteString("type", "sendDigits");
                w.WriteString("digits", d.Digits);
                break;
            case RelayLanguage l:
                w.WriteString("type", "language");
                Optional(w, "ttsLanguage", l.TtsLanguage);
                Optional(w, "transcriptionLanguage", l.TranscriptionLanguage);
                break;
            case RelayEnd e:
                w.WriteString("type", "end");
                Optional(w, "handoffData", e.HandoffData);
                break;
            default:
                throw new ArgumentException($"unknown frame {frame.GetType().Name}", nameof(frame));
        }
    });

    /// <summary>The UTF-8 JSON of an inbound frame (what a relay sends: the sandbox's relay and tests).</summary>
    public static byte[] Serialize(RelayInbound frame) => Write(w =>
    {
        switch (frame)
        {
            case RelaySetup s:
                w.WriteString("type", "setup");
                Optional(w, "sessionId", s.SessionId);
                Optional(w, "callSid", s.CallSid);
                Optional(w, "from", s.From);
                Optional(w, "to", s.To);
                w.WriteString("direction", "outbound-api");
                w.WriteStartObject("customParameters");
                foreach (var (name, value) in s.CustomParameters)
                {
                    w.WriteString(name, value);
                }
                w.WriteEndObject();
                break;
            case RelayPrompt p:
                w.WriteString("type", "prompt");
                w.WriteString("voicePrompt", p.VoicePrompt);
                Optional(w, "lang", p.Lang);
                w.WriteBoolean("last", p.Last);
                break;
            case RelayInterrupt i:
                w.WriteString("type", "interrupt");
                w.WriteString("utteranceUntilInterrupt", i.UtteranceUntilInterrupt);
                if (i.DurationUntilInterruptMs is { } ms)
                {
                    w.WriteNumber("durationUntilInterruptMs", ms);
                }
                break;
            case RelayDtmf d:
                w.WriteString("type", "dtmf");
                w.WriteString("digit", d.Digit);
                break;
            case RelayError e:
                w.WriteString("type", "error");
                w.WriteString("description", e.Description);
                break;
            default:
                throw new ArgumentException($"unknown frame {frame.GetType().Name}", nameof(frame));
        }
    });

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Optional(Utf8JsonWriter w, string name, bool? value)
    {
        if (value is { } v)
        {
            w.WriteBoolean(name, v);
        }
    }

    private static void Optional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static string Type(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()!
            : throw new JsonException("a relay frame is a JSON object with a string \"type\"");

    private static string? Str(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
            _ => null,
        } : null;

    private static string Required(JsonElement root, string name) =>
        Str(root, name) ?? throw new JsonException($"a '{Type(root)}' frame needs \"{name}\"");

    private static bool? Bool(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String => bool.TryParse(v.GetString(), out var b) ? b : null,
            _ => null,
        } : null;

    /// <summary>A number field, also when sent as a numeric string (relays differ).</summary>
    private static long? Long(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.Number => v.TryGetInt64(out var n) ? n : (long)v.GetDouble(),
            JsonValueKind.String => long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null,
            _ => null,
        } : null;

    private static Dictionary<string, string> Parameters(JsonElement root)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("customParameters", out var p) && p.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in p.EnumerateObject())
            {
                parameters[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            }
        }
        return parameters;
    }
}
