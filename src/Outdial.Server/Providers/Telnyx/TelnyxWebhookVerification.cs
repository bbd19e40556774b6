using Outdial.Telephony.Telnyx;

namespace Outdial.Server.Providers.Telnyx;

/// <summary>
/// Runs before every Telnyx webhook: 404 when Telnyx is not configured on this server (no <c>Outdial:Telnyx:PublicKey</c>),
/// as if the routes did not exist; 403 when <c>telnyx-signature-ed25519</c> or <c>telnyx-timestamp</c> is missing, the
/// timestamp is more than 300 s from our clock, or the Ed25519 signature does not sign <c>{timestamp}|{raw body}</c> with
/// the configured public key (<see cref="TelnyxSignature"/>; source:
/// https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks § "Webhook signing"). Nothing is read from or
/// written to the store before the signature holds. The verified raw body is left in <see cref="HttpContext.Items"/>
/// under <see cref="BodyKey"/>. Bodies over 1 MiB are refused with 413 (Telnyx's call events are a few kB).
/// </summary>
public sealed partial class TelnyxWebhookVerification(IConfiguration config, TimeProvider clock, ILogger<TelnyxWebhookVerification> log)
    : IEndpointFilter
{
    /// <summary>Configuration key of the public key (<c>Outdial:Telnyx:PublicKey</c>).</summary>
    public const string PublicKeyKey = TelnyxOptions.Section + ":PublicKey";

    /// <summary>Key of the verified raw body (<c>byte[]</c>) in <see cref="HttpContext.Items"/>.</summary>
    public const string BodyKey = "telnyx.body";

    private const int MaxBody = 1 << 20;

    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var key = config[PublicKeyKey];
        if (string.IsNullOrWhiteSpace(key))
        {
            return TypedResults.NotFound();
        }
        if (http.Request.ContentLength > MaxBody)
        {
            return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBody)
            {
                return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);
            }
            buffer.Write(chunk, 0, read);
        }
        var body = buffer.ToArray();
        if (!TelnyxSignature.IsValid(key, http.Request.Headers[TelnyxSignature.SignatureHeader].ToString(),
                http.Request.Headers[TelnyxSignature.TimestampHeader].ToString(), body, clock.GetUtcNow()))
        {
            LogRejected(log, http.Request.Path.Value ?? "");
            return TypedResults.StatusCode(StatusCodes.Status403Forbidden);
        }
        http.Items[BodyKey] = body;
        return await next(context);
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning,
        Message = "Telnyx webhook {Path} refused: telnyx-signature-ed25519 missing, wrong or stale")]
    private static partial void LogRejected(ILogger logger, string path);
}
