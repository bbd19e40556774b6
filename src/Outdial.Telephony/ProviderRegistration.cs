using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Telephony.Twilio;

namespace Outdial.Telephony;

/// <summary>What registering any REST-and-callback telephony provider (Twilio, Plivo) needs, in one place.</summary>
internal static class ProviderRegistration
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> from <paramref name="section"/>, validated at start with every problem
    /// <paramref name="problems"/> finds, and makes start fail unless <c>Outdial:PublicBaseUrl</c> is an absolute http(s) URL:
    /// <paramref name="provider"/> (e.g. <c>Plivo</c>) must reach the server's callback URLs through it.
    /// </summary>
    public static void AddValidatedOptions<TOptions>(IServiceCollection services, string section, string provider,
        Func<TOptions, IReadOnlyList<string>> problems) where TOptions : class
    {
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>>(new ProblemsValidator<TOptions>(problems));
        services.AddOptions<OutdialOptions>()
            .Validate(o => TwilioOptions.IsAbsoluteHttpUrl(o.PublicBaseUrl),
                $"Outdial:PublicBaseUrl must be the absolute http(s) URL at which {provider} reaches this server when {section} is configured.")
            .ValidateOnStart();
    }

    /// <summary>
    /// One pooled <see cref="HttpClient"/> for a provider's REST API: connections are recycled every 5 minutes so DNS changes
    /// of the provider's host are picked up; no timeout of its own (the provider's client applies its RequestTimeout).
    /// </summary>
    public static HttpClient PooledHttpClient() =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Fails start with every problem the options' own check finds.</summary>
    private sealed class ProblemsValidator<TOptions>(Func<TOptions, IReadOnlyList<string>> problems) : IValidateOptions<TOptions> where TOptions : class
    {
        public ValidateOptionsResult Validate(string? name, TOptions options) =>
            problems(options) is { Count: > 0 } found ? ValidateOptionsResult.Fail(found) : ValidateOptionsResult.Success;
    }
}
