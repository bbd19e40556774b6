using Microsoft.AspNetCore.Http.HttpResults;

namespace Outdial.Server.Infrastructure;

/// <summary>
/// RFC 9457 problem details for the native API. Every problem has a stable <c>type</c> of the form
/// <c>urn:outdial:problem:{code}</c> and the same <c>code</c> as an extension member, so clients can switch on it.
/// </summary>
public static class Problems
{
    /// <summary>The <c>type</c> URI of a problem code.</summary>
    public static string TypeOf(string code) => "urn:outdial:problem:" + code;

    /// <summary>A problem with status, stable code, title and optional detail and field errors.</summary>
    public static ProblemHttpResult Create(int status, string code, string title, string? detail = null,
        IReadOnlyDictionary<string, string[]>? errors = null, IDictionary<string, object?>? extra = null)
    {
        var ext = new Dictionary<string, object?>(StringComparer.Ordinal) { ["code"] = code };
        if (errors is { Count: > 0 })
        {
            ext["errors"] = errors;
        }
        foreach (var (k, v) in extra ?? new Dictionary<string, object?>())
        {
            ext[k] = v;
        }
        return TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypeOf(code), extensions: ext);
    }

    /// <summary>422 <c>validation_failed</c> with field errors.</summary>
    public static ProblemHttpResult Validation(IReadOnlyDictionary<string, string[]> errors, string? detail = null) =>
        Create(StatusCodes.Status422UnprocessableEntity, "validation_failed", "The request has invalid fields.",
            detail ?? string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")), errors);

    /// <summary>422 for one field.</summary>
    public static ProblemHttpResult Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>404 <c>not_found</c>; also the answer for another account's objects.</summary>
    public static ProblemHttpResult NotFound(string what) =>
        Create(StatusCodes.Status404NotFound, "not_found", "Not found.", $"No {what} with this id exists in this account.");

    /// <summary>400 <c>invalid_query</c>.</summary>
    public static ProblemHttpResult BadQuery(string parameter, string message) =>
        Create(StatusCodes.Status400BadRequest, "invalid_query", "Invalid query parameter.", $"{parameter}: {message}",
            new Dictionary<string, string[]> { [parameter] = [message] });
}
