using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Outdial.Core.Telephony;
using Outdial.Telephony.Plivo;

namespace Outdial.Telephony;

/// <summary>Registration of the Plivo provider: <c>services.AddOutdialCore(config)...AddPlivoTelephony(config)</c>.</summary>
public static class PlivoServices
{
    /// <summary>
    /// Adds the Plivo provider when <c>Outdial:Plivo:AuthId</c> is configured (else changes nothing, and a phone number or
    /// request naming <c>plivo</c> is refused as not configured): <see cref="PlivoOptions"/> bound from <c>Outdial:Plivo</c>
    /// and validated at start, <see cref="PlivoHealth"/>, <see cref="PlivoRestClient"/> over one pooled
    /// <see cref="HttpClient"/>, and <see cref="PlivoProvider"/> as itself and as an <see cref="ITelephonyProvider"/>. Start
    /// then fails (<see cref="OptionsValidationException"/>) when the Plivo settings are invalid or <c>Outdial:PublicBaseUrl</c>
    /// is missing or not an absolute http(s) URL: Plivo needs it to reach the answer and callback URLs (<see cref="PlivoUrls"/>).
    /// </summary>
    public static IServiceCollection AddPlivoTelephony(this IServiceCollection services, IConfiguration config)
    {
        if (string.IsNullOrWhiteSpace(config[$"{PlivoOptions.Section}:{nameof(PlivoOptions.AuthId)}"]))
        {
            return services;
        }
        ProviderRegistration.AddValidatedOptions<PlivoOptions>(services, PlivoOptions.Section, "Plivo", o => o.Problems());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<PlivoHealth>();
        services.AddSingleton<ProviderHealth>(sp => sp.GetRequiredService<PlivoHealth>());
        services.AddSingleton(sp => new PlivoRestClient(ProviderRegistration.PooledHttpClient(), sp.GetRequiredService<IOptions<PlivoOptions>>()));
        services.AddSingleton<PlivoProvider>();
        services.AddSingleton<ITelephonyProvider>(sp => sp.GetRequiredService<PlivoProvider>());
        return services;
    }
}
