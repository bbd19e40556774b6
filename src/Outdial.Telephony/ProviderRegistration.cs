using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Outdial.Core.Accounts;
using Outdial.Telephony.Twilio;

namespace Outdial.Telephony;

/// <summary>What registering any provider that calls back over the internet (Twilio, Telnyx) needs besides its own types.</summary>
internal static class ProviderRegistration
{
    /// <summary>
    /// Fails start unless <c>Outdial:PublicBaseUrl</c> is an absolute http(s) URL (the provider reaches this server there),
    /// naming <paramref name="provider"/> in the message; and makes sure a <see cref="TimeProvider"/> is registered.
    /// </summary>
    public static void RequirePublicBaseUrl(IServiceCollection services, string provider)
    {
        services.AddOptions<OutdialOptions>()
            .Validate(o => TwilioOptions.IsAbsoluteHttpUrl(o.PublicBaseUrl),
                $"Outdial:PublicBaseUrl must be the absolute http(s) URL at which {provider} reaches this server when Outdial:{provider} is configured.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
    }

    /// <summary>
    /// The one <see cref="HttpClient"/> of a provider's REST client: pooled connections recycled every 5 minutes (so DNS
    /// changes of the provider's API host are picked up) and no timeout of its own (the REST client applies its RequestTimeout).
    /// </summary>
    public static HttpClient PooledHttpClient() =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
}
