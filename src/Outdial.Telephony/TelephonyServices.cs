using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Telephony;
using Outdial.Telephony.Sandbox;

namespace Outdial.Telephony;

/// <summary>Registration of telephony providers: <c>services.AddSandboxTelephony()</c>.</summary>
public static class TelephonyServices
{
    /// <summary>Adds the sandbox provider (configuration section <c>Outdial:Sandbox</c>).</summary>
    public static IServiceCollection AddSandboxTelephony(this IServiceCollection services)
    {
        services.AddOptions<SandboxOptions>().BindConfiguration("Outdial:Sandbox")
            .Validate(o => o.SpeedFactor > 0 && double.IsFinite(o.SpeedFactor), "Outdial:Sandbox:SpeedFactor must be a positive number")
            .ValidateOnStart();
        services.AddSingleton(sp => new SandboxLedger(sp.GetRequiredService<IOptions<SandboxOptions>>().Value.LedgerPath
            ?? Path.Combine(sp.GetRequiredService<IOptions<OutdialOptions>>().Value.DataDirectory, "sandbox-ledger.jsonl")));
        services.AddSingleton<SandboxRelay>();
        services.AddSingleton<SandboxProvider>();
        services.AddSingleton<ITelephonyProvider>(sp => sp.GetRequiredService<SandboxProvider>());
        services.AddHostedService(sp => sp.GetRequiredService<SandboxProvider>());
        return services;
    }
}
