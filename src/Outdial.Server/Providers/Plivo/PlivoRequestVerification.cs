using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Server.Providers.Twilio;
using Outdial.Telephony.Plivo;

namespace Outdial.Server.Providers.Plivo;

/// <summary>
/// Runs before every Plivo callback: 404 when Plivo is not configured on this server (no <c>Outdial:Plivo:AuthToken</c>, or
/// no absolute http(s) <c>Outdial:PublicBaseUrl</c>), as if the routes did not exist; 400 for a body that is not a readable
/// form; 403 when <c>X-Plivo-Signature-V3</c> or its nonce is missing or does not sign the request (<see cref="PlivoSignature"/>:
/// the method, the URL Plivo requested and, for a POST, the form). That URL is <c>Outdial:PublicBaseUrl</c> + the request
/// target as received (path and query, still percent-encoded; <see cref="TwilioRequestVerification.SignedUrl"/>), never
/// Kestrel's own address: behind a proxy only the public URL is what Plivo signed. Nothing is read from or written to the
/// store before the signature holds. The verified form is left in <see cref="HttpRequest.Form"/>.
/// </summary>
public sealed partial class PlivoRequestVerification(IConfiguration config, IOptions<OutdialOptions> options, ILogger<PlivoRequestVerification> log)
    : IEndpointFilter
{
    /// <summary>Configuration key of the auth token that keys the HMAC (<c>Outdial:Plivo:AuthToken</c>).</summary>
    public const string AuthTokenKey = PlivoOptions.Section + ":AuthToken";

    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var (callback, refusal) = await ProviderCallbackGate.ReadAsync(http, config[AuthTokenKey], options.Value.PublicBaseUrl);
        if (callback is not { Token: var token, PublicBaseUrl: var baseUrl, Form: var form })
        {
            return refusal;
        }
        var url = TwilioRequestVerification.SignedUrl(baseUrl, http.Request);
        var method = http.Request.Method.ToUpperInvariant();
        var parameters = method == "POST" ? TwilioRequestVerification.Pairs(form) : [];
        if (!PlivoSignature.IsValid(token, method, url, parameters, http.Request.Headers[PlivoSignature.NonceHeader].ToString(),
                http.Request.Headers[PlivoSignature.Header].ToString()))
        {
            LogRejected(log, http.Request.Path.Value ?? "");
            return TypedResults.StatusCode(StatusCodes.Status403Forbidden);
        }
        return await next(context);
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "Plivo callback {Path} refused: X-Plivo-Signature-V3 or its nonce missing or wrong")]
    private static partial void LogRejected(ILogger logger, string path);
}
