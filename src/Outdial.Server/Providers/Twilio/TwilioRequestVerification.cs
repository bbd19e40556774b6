using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Telephony.Twilio;

namespace Outdial.Server.Providers.Twilio;

/// <summary>
/// Runs before every Twilio callback: 404 when Twilio is not configured on this server (no
/// <c>Outdial:Twilio:AuthToken</c>, or no absolute http(s) <c>Outdial:PublicBaseUrl</c>), as if the routes did not exist; 400 for a body
/// that is not a readable form; 403 when <c>X-Twilio-Signature</c> is missing or does not sign the POSTed form at the URL
/// Twilio requested (<see cref="TwilioSignature"/>, the official library's validator). That URL is
/// <c>Outdial:PublicBaseUrl</c> + the request target as received (path and query, still percent-encoded), never Kestrel's
/// own address: behind a proxy or tunnel only the public URL is what Twilio signed (source:
/// https://www.twilio.com/docs/usage/security § "Validating Requests are coming from Twilio"). On a route marked
/// <see cref="TwilioWebSocketRoute"/> (the ConversationRelay WebSocket) the public base URL's scheme is the WebSocket's
/// (<c>wss://</c>, <c>ws://</c>) and there is no form. Nothing is read from or written to the store, and no WebSocket is
/// accepted, before the signature holds. The verified form is left in <see cref="HttpRequest.Form"/>.
/// </summary>
public sealed partial class TwilioRequestVerification(IConfiguration config, IOptions<OutdialOptions> options, ILogger<TwilioRequestVerification> log)
    : IEndpointFilter
{
    /// <summary>Configuration key of the auth token that keys the HMAC (<c>Outdial:Twilio:AuthToken</c>).</summary>
    public const string AuthTokenKey = TwilioOptions.Section + ":AuthToken";

    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var (callback, refusal) = await ProviderCallbackGate.ReadAsync(http, config[AuthTokenKey], options.Value.PublicBaseUrl);
        if (callback is not { Token: var token, PublicBaseUrl: var baseUrl, Form: var form })
        {
            return refusal;
        }
        var webSocket = http.GetEndpoint()?.Metadata.GetMetadata<TwilioWebSocketRoute>() is not null;
        var url = SignedUrl(baseUrl, http.Request, webSocket);
        if (!TwilioSignature.IsValid(token, url, Pairs(form), http.Request.Headers[TwilioSignature.Header].ToString()))
        {
            LogRejected(log, http.Request.Path.Value ?? "");
            return TypedResults.StatusCode(StatusCodes.Status403Forbidden);
        }
        return await next(context);
    }

    /// <summary>
    /// The URL Twilio requested: <paramref name="publicBaseUrl"/> without its trailing slash (for a
    /// <paramref name="webSocket"/>, with <c>https</c>/<c>http</c> replaced by <c>wss</c>/<c>ws</c>:
    /// <see cref="TwilioUrls.WebSocketBase"/>) + the raw request target (<c>/providers/twilio/calls/{attemptId}/status?...</c>
    /// exactly as sent), falling back to the escaped path and query when the server gives no raw target.
    /// </summary>
    public static string SignedUrl(string publicBaseUrl, HttpRequest request, bool webSocket = false)
    {
        var target = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target) || target[0] != '/')
        {
            target = request.Path.ToUriComponent() + request.QueryString.ToUriComponent();
        }
        return (webSocket ? TwilioUrls.WebSocketBase(publicBaseUrl) : publicBaseUrl.TrimEnd('/')) + target;
    }

    /// <summary>Every name/value pair of the form, a repeated name once per value (which <see cref="TwilioSignature"/> refuses).</summary>
    public static IEnumerable<KeyValuePair<string, string>> Pairs(IFormCollection form) =>
        form.SelectMany(f => f.Value.Select(v => KeyValuePair.Create(f.Key, v ?? "")));

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Twilio callback {Path} refused: X-Twilio-Signature missing or wrong")]
    private static partial void LogRejected(ILogger logger, string path);
}

/// <summary>
/// Endpoint metadata: Twilio opens this route as a WebSocket (ConversationRelay), so <see cref="TwilioRequestVerification"/>
/// checks the signature over its <c>wss://</c> (or <c>ws://</c>) URL.
/// </summary>
public sealed class TwilioWebSocketRoute;
