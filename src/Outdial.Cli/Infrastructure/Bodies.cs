using System.Text.Json;
using System.Text.Json.Nodes;

namespace Outdial.Cli.Infrastructure;

/// <summary>Request bodies built from options: a <c>--body</c> JSON file to start from, <c>key=value</c> pairs, times.</summary>
public static class Bodies
{
    /// <summary>
    /// The JSON object in <paramref name="path"/> (<c>-</c> = stdin), or a new object when null; options set afterwards
    /// override its fields. Exit 2 when the file cannot be read or is not a JSON object.
    /// </summary>
    public static JsonObject Load(string? path)
    {
        if (path is null)
        {
            return new JsonObject();
        }
        try
        {
            var text = path == "-" ? Console.In.ReadToEnd() : File.ReadAllText(path);
            return JsonNode.Parse(text) as JsonObject ?? throw new CliException(ExitCodes.Usage, $"error: {path} does not hold a JSON object");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, $"error: cannot read {path}: {e.Message}", e);
        }
        catch (JsonException e)
        {
            throw new CliException(ExitCodes.Usage, $"error: {path} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>
    /// Sets <c>body[field][key] = value</c> for each <c>key=value</c> of <paramref name="pairs"/>. A value that reads as a
    /// JSON number or <c>true</c>/<c>false</c> is sent as one; anything else as a string. Exit 2 on a pair without <c>=</c>.
    /// </summary>
    public static void SetPairs(JsonObject body, string field, string[]? pairs, string option)
    {
        if (pairs is null || pairs.Length == 0)
        {
            return;
        }
        var target = body[field] as JsonObject ?? new JsonObject();
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new CliException(ExitCodes.Usage, $"error: {option} '{pair}' is not key=value");
            }
            target[pair[..eq]] = Scalar(pair[(eq + 1)..]);
        }
        body[field] = target;
    }

    /// <summary>Sets <c>body[field]</c> when <paramref name="value"/> is not null.</summary>
    public static void Set(JsonObject body, string field, JsonNode? value)
    {
        if (value is not null)
        {
            body[field] = value;
        }
    }

    private static JsonNode? Scalar(string text)
    {
        if (text is "true" or "false")
        {
            return JsonValue.Create(text == "true");
        }
        if (text.Length > 0 && (char.IsAsciiDigit(text[0]) || text[0] == '-') && decimal.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number)
            && !(text.Length > 1 && text[0] == '0' && text[1] != '.'))
        {
            return JsonValue.Create(number);
        }
        return JsonValue.Create(text);
    }
}
