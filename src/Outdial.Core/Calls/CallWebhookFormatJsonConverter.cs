using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Outdial.Core.Calls;

/// <summary>
/// Reads and writes <see cref="CallWebhook.Format"/> in stored call documents. The field was once an enum written by
/// <see cref="Common.Json.Options"/> as its snake_case name: <c>"standard"</c> (Outdial's payload) is read as null, and
/// every other name is kept, so a format keeps the name the enum gave it. Outdial never wrote the enum as a number, but
/// that converter read one: 0 (standard) is read as null, any other number as its digits — a name no formatter claims,
/// so its deliveries fail visibly instead of the whole call becoming unreadable.
/// </summary>
public sealed class CallWebhookFormatJsonConverter : JsonConverter<string?>
{
    /// <summary>The old enum's name for Outdial's own payload.</summary>
    public const string LegacyStandard = "standard";

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString() is { } name && name != LegacyStandard ? name : null,
        JsonTokenType.Number => reader.TryGetInt32(out var value) && value == 0 ? null
            : System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
        _ => throw new JsonException("a per-call webhook's format must be a format name or null"),
    };

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
