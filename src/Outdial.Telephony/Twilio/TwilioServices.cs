using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
        services.AddOptions<TwilioOptions>().BindConfiguration(TwilioOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TwilioOptions>, TwilioOptionsValidator>();
        ProviderRegistration.RequirePublicBaseUrl(services, "Twilio");
        services.AddSingleton<TwilioHealth>();
        services.AddSingleton(sp => new TwilioRestClient(
            ProviderRegistration.PooledHttpClient(),
            sp.GetRequiredService<IOptions<TwilioOptions>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<TwilioProvider>();
        services.AddSingleton<ITelephonyProvider>(sp => sp.GetRequiredService<TwilioProvider>());
        return services;
    }
}

/// <summary>Fails start with every problem <see cref="TwilioOptions.Problems"/> finds.</summary>
internal sealed class TwilioOptionsValidator : IValidateOptions<TwilioOptions>
{
    public ValidateOptionsResult Validate(string? name, TwilioOptions options) =>
        options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
