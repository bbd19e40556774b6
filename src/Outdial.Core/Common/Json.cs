using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;
using NodaTime.Text;

namespace Outdial.Core.Common;

/// <summary>
/// The one JSON configuration used for stored documents and the native API: camelCase properties, enums as
/// snake_case strings, NodaTime local times as <c>HH:mm</c> (or <c>HH:mm:ss</c>), instants in UTC with <c>Z</c>
/// (ISO 8601 / RFC 3339, e.g. <c>2026-12-06T03:00:00.123Z</c>; any offset is read), nulls omitted.
/// </summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = Create();

    /// <summary>A fresh copy of <see cref="Options"/> to customise (e.g. for ASP.NET Core's JSON options).</summary>
    public static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(o);
        return o;
    }

    /// <summary>Applies Outdial's settings to existing options.</summary>
    public static void Configure(JsonSerializerOptions o)
    {
        o.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        o.Converters.Add(new LocalTimeConverter());
        o.Converters.Add(new UtcInstantConverter());
    }

    /// <summary>Writes a <see cref="DateTimeOffset"/> as its UTC instant with <c>Z</c>; reads any ISO 8601 offset.</summary>
    private sealed class UtcInstantConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetDateTimeOffset();

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime);
    }

    /// <summary>Reads <c>HH:mm</c> or <c>HH:mm:ss</c>; writes <c>HH:mm</c> when seconds are zero.</summary>
    private sealed class LocalTimeConverter : JsonConverter<LocalTime>
    {
        private static readonly LocalTimePattern Short = LocalTimePattern.CreateWithInvariantCulture("HH:mm");
        private static readonly LocalTimePattern Long = LocalTimePattern.CreateWithInvariantCulture("HH:mm:ss");

        public override LocalTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.GetString() ?? "";
            var parsed = Short.Parse(text);
            if (!parsed.Success)
            {
                parsed = Long.Parse(text);
            }
            return parsed.Success ? parsed.Value : throw new JsonException($"'{text}' is not a time of day (HH:mm)");
        }

        public override void Write(Utf8JsonWriter writer, LocalTime value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.Second == 0 ? Short.Format(value) : Long.Format(value));
    }
}
