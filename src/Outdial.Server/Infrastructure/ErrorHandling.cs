using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Outdial.Server.Infrastructure;

/// <summary>
/// Turns request-reading failures into problem details: a malformed JSON body is 400 <c>malformed_json</c> saying
/// where it broke (JSON path, line, byte); a body over the limit is 413 <c>payload_too_large</c>; anything else is a
/// 500 <c>internal_error</c> without internals.
/// </summary>
public sealed partial class ErrorHandler(IProblemDetailsService problems, ILogger<ErrorHandler> log) : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, code, title, detail) = Classify(exception);
        if (status == StatusCodes.Status500InternalServerError)
        {
            LogUnhandled(log, exception, httpContext.Request.Method, httpContext.Request.Path);
        }
        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = status,
                Type = Problems.TypeOf(code),
                Title = title,
                Detail = detail,
                Extensions = { ["code"] = code },
            },
        });
    }

    /// <summary>Maps an exception to status, code, title and detail.</summary>
    public static (int Status, string Code, string Title, string? Detail) Classify(Exception exception)
    {
        var json = exception as JsonException ?? exception.InnerException as JsonException;
        if (json is not null)
        {
            return (StatusCodes.Status400BadRequest, "malformed_json", "The request body is not valid JSON for this endpoint.", json.Message);
        }
        if (exception is BadHttpRequestException bad)
        {
            return bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? (StatusCodes.Status413PayloadTooLarge, "payload_too_large", "The request body is too large.", bad.Message)
                : (bad.StatusCode, "bad_request", "The request could not be read.", bad.Message);
        }
        return (StatusCodes.Status500InternalServerError, "internal_error", "An unexpected error occurred.", null);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception ex, string method, string path);
}
