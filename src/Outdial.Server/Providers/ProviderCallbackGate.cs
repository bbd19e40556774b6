namespace Outdial.Server.Providers;

/// <summary>The first steps every provider's callback verification takes (Twilio's, Plivo's), before its own signature check.</summary>
internal static class ProviderCallbackGate
{
    /// <summary>A callback that may now be signature-checked: the provider's secret, the public base URL and the form.</summary>
    public sealed record Callback(string Token, string PublicBaseUrl, IFormCollection Form);

    /// <summary>
    /// The POSTed form of a provider callback (empty when the body is not a form), or what to answer instead: 404 when the
    /// provider is not configured on this server (no <paramref name="token"/>, or <paramref name="publicBaseUrl"/> not an
    /// absolute http(s) URL), as if its routes did not exist; 400 when the body claims to be a form and cannot be read.
    /// </summary>
    public static async Task<(Callback? Callback, IResult? Refusal)> ReadAsync(HttpContext http, string? token, string? publicBaseUrl)
    {
        if (string.IsNullOrEmpty(token) || publicBaseUrl is null || !Uri.TryCreate(publicBaseUrl, UriKind.Absolute, out var publicBase)
            || publicBase.Scheme is not ("http" or "https"))
        {
            return (null, TypedResults.NotFound());
        }
        try
        {
            var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : FormCollection.Empty;
            return (new Callback(token, publicBaseUrl, form), null);
        }
        catch (InvalidDataException)
        {
            return (null, TypedResults.BadRequest());
        }
    }
}
