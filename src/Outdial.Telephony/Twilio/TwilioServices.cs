using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Outdial.Core.Telephony;
using Outdial.Telephony.Twilio;

namespace Outdial.Telephony;

/// <summary>Registration of the Twilio provider: <c>services.AddOutdialCore(config)...AddTwilioTelephony(config)</c>.</summary>
public static class TwilioServices
{
    /// <summary>
    /// Adds the Twilio provider when <c>Outdial:Twilio:AccountSid</c> is configured (else changes nothing):
    /// <see cref="TwilioOptions"/> bound from <c>Outdial:Twilio</c> and validated at start, <see cref="TwilioHealth"/>,
    /// <see cref="TwilioRestClient"/> over one pooled <see cref="HttpClient"/>, and <see cref="TwilioProvider"/> as itself
    /// and as an <see cref="ITelephonyProvider"/>. Start then fails (<see cref="OptionsValidationException"/>) when the
    /// Twilio settings are invalid or <c>Outdial:PublicBaseUrl</c> is missing or not an absolute http(s) URL: Twilio
    /// needs it to reach the TwiML and callback URLs (<see cref="TwilioUrls"/>).
    /// </summary>
    public static IServiceCollection AddTwilioTelephony(this IServiceCollection services, IConfiguration config)
    {
        if (string.IsNullOrWhiteSpace(config[$"{TwilioOptions.Section}:{nameof(TwilioOptions.AccountSid)}"]))
        {
            return services;
        }
        ProviderRegistration.AddValidatedOptions<TwilioOptions>(services, TwilioOptions.Section, "Twilio", o => o.Problems());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<TwilioHealth>();
        services.AddSingleton<ProviderHealth>(sp => sp.GetRequiredService<TwilioHealth>());
        services.AddSingleton(sp => new TwilioRestClient(
            ProviderRegistration.PooledHttpClient(), sp.GetRequiredService<IOptions<TwilioOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<TwilioProvider>();
        services.AddSingleton<ITelephonyProvider>(sp => sp.GetRequiredService<TwilioProvider>());
        return services;
    }
}
