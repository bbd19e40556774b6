using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Outdial.Core.Telephony;
using Outdial.Telephony.Telnyx;

namespace Outdial.Telephony;

/// <summary>Registration of the Telnyx provider: <c>services.AddOutdialCore(config)...AddTelnyxTelephony(config)</c>.</summary>
public static class TelnyxServices
{
    /// <summary>
    /// Adds the Telnyx provider when <c>Outdial:Telnyx:ApiKey</c> is configured (else changes nothing, and a phone number or
    /// request naming <c>telnyx</c> gets the "not configured" error): <see cref="TelnyxOptions"/> bound from
    /// <c>Outdial:Telnyx</c> and validated at start, <see cref="TelnyxHealth"/>, <see cref="TelnyxRestClient"/> over one pooled
    /// <see cref="HttpClient"/>, and <see cref="TelnyxProvider"/> as itself and as an <see cref="ITelephonyProvider"/>. Start then
    /// fails (<see cref="OptionsValidationException"/>) when the Telnyx settings are invalid (no public key, no connection id...)
    /// or <c>Outdial:PublicBaseUrl</c> is missing or not an absolute http(s) URL: Telnyx needs it to reach the webhook and
    /// relay URLs (<see cref="TelnyxUrls"/>).
    /// </summary>
    public static IServiceCollection AddTelnyxTelephony(this IServiceCollection services, IConfiguration config)
    {
        if (string.IsNullOrWhiteSpace(config[$"{TelnyxOptions.Section}:{nameof(TelnyxOptions.ApiKey)}"]))
        {
            return services;
        }
        ProviderRegistration.AddValidatedOptions<TelnyxOptions>(services, TelnyxOptions.Section, "Telnyx", o => o.Problems());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<TelnyxHealth>();
        services.AddSingleton<ProviderHealth>(sp => sp.GetRequiredService<TelnyxHealth>());
        services.AddSingleton(sp => new TelnyxRestClient(
            ProviderRegistration.PooledHttpClient(),
            sp.GetRequiredService<IOptions<TelnyxOptions>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<TelnyxProvider>();
        services.AddSingleton<ITelephonyProvider>(sp => sp.GetRequiredService<TelnyxProvider>());
        return services;
    }
}
