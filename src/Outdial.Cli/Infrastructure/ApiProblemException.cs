using System.Net;
using System.Text.Json.Nodes;

namespace Outdial.Cli.Infrastructure;

/// <summary>
/// The server answered an error status. <see cref="Problem"/> is its RFC 9457 problem document (<c>type</c>, <c>title</c>,
/// <c>status</c>, <c>detail</c>, <c>code</c>, <c>errors</c> by field) when the body was one, else null. A 4xx ends the command
/// with <see cref="ExitCodes.Refused"/>, a 5xx with <see cref="ExitCodes.Unavailable"/>.
/// </summary>
public sealed class ApiProblemException(HttpStatusCode status, JsonObject? problem, string rawBody)
    : CliException((int)status >= 500 ? ExitCodes.Unavailable : ExitCodes.Refused, Describe(status, problem, rawBody))
{
    public HttpStatusCode Status { get; } = status;

    public JsonObject? Problem { get; } = problem;

    /// <summary>
    /// The plain rendering printed on stderr: <c>error: 422 The request has invalid fields. (validation_failed)</c>, then the
    /// detail, then one <c>  field: message</c> line per field error.
    /// </summary>
    private static string Describe(HttpStatusCode status, JsonObject? problem, string rawBody)
    {
        var code = (int)status;
        if (problem is null)
        {
            var text = rawBody.Length > 500 ? rawBody[..500] + "…" : rawBody;
            return $"error: {code} {status}" + (text.Length > 0 ? Environment.NewLine + "  " + text : "");
        }
        var lines = new List<string>();
        var title = Text(problem["title"]) ?? status.ToString();
        var problemCode = Text(problem["code"]);
        lines.Add($"error: {code} {title}" + (problemCode is null ? "" : $" ({problemCode})"));
        var fieldLines = new List<string>();
        if (problem["errors"] is JsonObject errors)
        {
            foreach (var (field, messages) in errors)
            {
                var list = messages is JsonArray a ? a.Select(Text).OfType<string>() : [Text(messages) ?? ""];
                fieldLines.AddRange(list.Select(message => $"  {field}: {message}"));
            }
        }
        // The server's detail often repeats the field errors ("field: message; …"): show it only when it says more.
        if (Text(problem["detail"]) is { } detail && !fieldLines.Any(l => l.Trim() == detail.Trim()))
        {
            lines.Add("  " + detail);
        }
        lines.AddRange(fieldLines);
        return string.Join(Environment.NewLine, lines);
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString();
}
