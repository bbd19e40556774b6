using Microsoft.Extensions.Options;

namespace Outdial.Server.Infrastructure;

/// <summary>
/// Buffers every request body up front (up to <see cref="ApiOptions.MaxRequestBodyBytes"/>) so that: an oversized
/// body is answered 413 <c>payload_too_large</c> in problem details before any handler runs, whether or not it sent a
/// Content-Length; and handlers can read the raw bytes again (the Idempotency-Key request hash).
/// </summary>
public sealed class RequestBodyLimitMiddleware(RequestDelegate next, IOptions<ApiOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength is 0 || HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsDelete(request.Method)
            || IsContactUpload(request))
        {
            await next(context);
            return;
        }
        var limit = options.Value.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
        {
            await TooLarge(context, limit);
            return;
        }
        request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: limit);
        try
        {
            await request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await TooLarge(context, limit);
            return;
        }
        catch (IOException) when (request.Body.Length > limit)
        {
            await TooLarge(context, limit);
            return;
        }
        request.Body.Position = 0;
        await next(context);
    }

    /// <summary>
    /// Contact uploads (<c>POST /v1/campaigns/{id}/contacts</c>) stream up to 1,000,000 rows to a spool file; their handler
    /// sets its own limit (<c>CampaignsApi.MaxUploadBytes</c>) and is not buffered here.
    /// </summary>
    private static bool IsContactUpload(HttpRequest request)
    {
        if (!HttpMethods.IsPost(request.Method) || request.Path.Value is not { } path)
        {
            return false;
        }
        var segments = path.Trim('/').Split('/');
        return segments.Length == 4 && segments[0] == "v1" && segments[1] == "campaigns" && segments[3] == "contacts";
    }

    private static Task TooLarge(HttpContext context, long limit) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "payload_too_large", "The request body is too large.",
            $"Request bodies are limited to {limit} bytes.").ExecuteAsync(context);
}
