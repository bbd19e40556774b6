using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Telephony;
using Outdial.Telephony.Plivo;
using Outdial.Telephony.Twilio;

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
        services.AddOptions<PlivoOptions>().BindConfiguration(PlivoOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PlivoOptions>, PlivoOptionsValidator>();
        services.AddOptions<OutdialOptions>()
            .Validate(o => TwilioOptions.IsAbsoluteHttpUrl(o.PublicBaseUrl),
                "Outdial:PublicBaseUrl must be the absolute http(s) URL at which Plivo reaches this server when Outdial:Plivo is configured.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<PlivoHealth>();
        services.AddSingleton(sp => new PlivoRestClient(
            // Pooled connections are recycled so DNS changes of api.plivo.com are picked up; the client applies RequestTimeout.
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan },
            sp.GetRequiredService<IOptions<PlivoOptions>>()));
        services.AddSingleton<PlivoProvider>();
        services.AddSingleton<ITelephonyProvider>(sp => sp.GetRequiredService<PlivoProvider>());
        return services;
    }
}

/// <summary>Fails start with every problem <see cref="PlivoOptions.Problems"/> finds.</summary>
internal sealed class PlivoOptionsValidator : IValidateOptions<PlivoOptions>
{
    public ValidateOptionsResult Validate(string? name, PlivoOptions options) =>
        options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
