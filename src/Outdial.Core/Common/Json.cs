using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;
using NodaTime.Text;

namespace Outdial.Core.Common;

/// <summary>
/// The one JSON configuration used for stored documents and the native API: camelCase properties, enums as
/// snake_case strings, NodaTime local times as <c>HH:mm</c> (or <c>HH:mm:ss</c>), nulls omitted.
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
