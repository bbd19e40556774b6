using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Outdial.Core.Accounts;
using Outdial.Core.Calls;
using Outdial.Core.Dispatch;
using Outdial.Core.Intake;
using Outdial.Core.Telephony;

namespace Outdial.Core;

/// <summary>Registration of the engine: <c>services.AddOutdialCore(config)</c>; a storage engine and providers are added next.</summary>
public static class OutdialCoreServices
{
    /// <summary>Binds <c>Outdial</c>, <c>Outdial:Dispatcher</c>, <c>Outdial:Reconciler</c>, <c>Outdial:Calls</c> and registers intake, progress, dispatcher and reconciler.</summary>
    public static IServiceCollection AddOutdialCore(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<OutdialOptions>().Bind(config.GetSection("Outdial"))
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), "Outdial:DataDirectory must not be empty")
            .Validate(o => o.BootstrapApiKey is null || o.BootstrapApiKey.Length == 0 || o.BootstrapApiKey.Length >= 16,
                "Outdial:BootstrapApiKey must be at least 16 characters")
            .Validate(o => Calls.E164.IsValid(o.BootstrapCallerId), "Outdial:BootstrapCallerId must be E.164")
            .ValidateOnStart();
        services.AddOptions<DispatcherOptions>().Bind(config.GetSection("Outdial:Dispatcher"))
            .Validate(o => o.BatchSize is > 0 and <= 10_000, "Outdial:Dispatcher:BatchSize must be 1..10000")
            .Validate(o => o.LeaseDuration > TimeSpan.Zero && o.PollInterval > TimeSpan.Zero && o.DialTimeout > TimeSpan.Zero,
                "Outdial:Dispatcher durations must be positive")
            .ValidateOnStart();
        services.AddOptions<ReconcilerOptions>().Bind(config.GetSection("Outdial:Reconciler"))
            .Validate(o => o.Interval > TimeSpan.Zero && o.StaleAfter > TimeSpan.Zero, "Outdial:Reconciler durations must be positive")
            .ValidateOnStart();
        services.AddOptions<CallDefaultsOptions>().Bind(config.GetSection("Outdial:Calls"))
            .Validate(o => o.RingTimeoutSec is >= 5 and <= 600, "Outdial:Calls:RingTimeoutSec must be 5..600")
            .Validate(o => o.MaxDurationSec is >= 10 and <= 14400, "Outdial:Calls:MaxDurationSec must be 10..14400")
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IdempotencyGate>();
        services.AddSingleton<PacingLimiter>();
        services.AddSingleton<TelephonyProviders>();
        services.AddSingleton<CallIntake>();
        services.AddSingleton<CallCommands>();
        services.AddSingleton<Bootstrapper>();
        services.AddSingleton<CallProgress>();
        services.AddSingleton<IProviderEventSink>(sp => sp.GetRequiredService<CallProgress>());
        services.AddSingleton<Dispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<Dispatcher>());
        services.AddHostedService<IdempotencyJanitor>();
        services.AddSingleton<Reconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<Reconciler>());
        return services;
    }
}
