using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Outdial.Core.Accounts;
using Outdial.Core.Calls;
using Outdial.Core.Campaigns;
using Outdial.Core.Compliance;
using Outdial.Core.Conversation;
using Outdial.Core.Insights;
using Outdial.Core.Dispatch;
using Outdial.Core.Intake;
using Outdial.Core.Net;
using Outdial.Core.Telephony;
using Outdial.Core.Webhooks;
using Microsoft.Extensions.Options;

namespace Outdial.Core;

/// <summary>Registration of the engine: <c>services.AddOutdialCore(config)</c>; a storage engine and providers are added next.</summary>
public static class OutdialCoreServices
{
    /// <summary>
    /// Configures Outdial: binds and validates <c>Outdial</c>, <c>Outdial:Dispatcher</c>, <c>Outdial:Reconciler</c>,
    /// <c>Outdial:Calls</c>, <c>Outdial:Webhooks</c>, <c>Outdial:Compliance</c>, <c>Outdial:Campaigns</c>, <c>Outdial:Llm</c>,
    /// <c>Outdial:Conversation</c>, <c>Outdial:Insights</c>, and registers intake, call changes, progress, conversations
    /// and the workers' classes, without running any background work: that is <see cref="AddOutdialWorkers"/> (as
    /// <c>AddHangfire</c> and <c>AddHangfireServer</c> split it), so a node may serve the API only.
    /// </summary>
    public static IServiceCollection AddOutdialCore(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<OutdialOptions>().Bind(config.GetSection("Outdial"))
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), "Outdial:DataDirectory must not be empty")
            .Validate(o => o.BootstrapApiKey is null || o.BootstrapApiKey.Length == 0 || o.BootstrapApiKey.Length >= 16,
                "Outdial:BootstrapApiKey must be at least 16 characters")
            .Validate(o => Calls.E164.IsValid(o.BootstrapCallerId), "Outdial:BootstrapCallerId must be E.164")
            .ValidateOnStart();
        services.AddOptions<AdminOptions>().Bind(config.GetSection(AdminOptions.Section))
            .Validate(o => string.IsNullOrEmpty(o.ApiKey) || o.ApiKey.Length >= 16, "Outdial:Admin:ApiKey must be at least 16 characters")
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
        services.AddOptions<WebhookOptions>().Bind(config.GetSection("Outdial:Webhooks"))
            .Validate(o => o.AttemptTimeout > TimeSpan.Zero && o.LeaseDuration > o.AttemptTimeout,
                "Outdial:Webhooks:AttemptTimeout must be positive and LeaseDuration longer than it")
            .Validate(o => o.PollInterval > TimeSpan.Zero && o.DisableAfter > TimeSpan.Zero && o.SecretRotationOverlap >= TimeSpan.Zero,
                "Outdial:Webhooks durations must be positive")
            .Validate(o => o.RetryDelaysSec is null || o.RetryDelaysSec.All(s => s >= 0), "Outdial:Webhooks:RetryDelaysSec must not be negative")
            .Validate(o => o.BatchSize is > 0 and <= 10_000 && o.MaxConcurrency is > 0 and <= 1_000, "Outdial:Webhooks:BatchSize/MaxConcurrency out of range")
            .Validate(o => o.JitterFraction is >= 0 and <= 1, "Outdial:Webhooks:JitterFraction must be 0..1")
            .Validate(o => ValidNetworks(o.AllowedNetworks), "Outdial:Webhooks:AllowedNetworks must be CIDR ranges such as 127.0.0.0/8")
            .ValidateOnStart();
        services.AddOptions<ComplianceOptions>().Bind(config.GetSection(ComplianceOptions.Section))
            .Validate(o => o.FrequencyCapMaxAttempts >= 0 && o.FrequencyCapWindowSec >= 0, "Outdial:Compliance:FrequencyCap* must not be negative")
            .Validate(o => o.RefusedTypes.All(t => Calls.NumberTypes.All.Contains(t, StringComparer.Ordinal)),
                "Outdial:Compliance:RefusedNumberTypes takes libphonenumber's types: " + string.Join(", ", Calls.NumberTypes.All))
            .ValidateOnStart();
        services.AddOptions<CampaignOptions>().Bind(config.GetSection("Outdial:Campaigns"))
            .Validate(o => o.PollInterval > TimeSpan.Zero && o.MinFeedAhead > 0 && o.ImportBatchSize is > 0 and <= 10_000,
                "Outdial:Campaigns: PollInterval must be positive, MinFeedAhead > 0, ImportBatchSize 1..10000")
            .ValidateOnStart();
        services.AddOptions<LlmOptions>().Bind(config.GetSection("Outdial:Llm"))
            .Validate(o => !o.Configured || Uri.TryCreate(o.Endpoint, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps),
                "Outdial:Llm:Endpoint must be an absolute http(s) URL, e.g. https://api.openai.com/v1")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Model), "Outdial:Llm:Model must not be empty")
            .Validate(o => o.TurnTimeout > TimeSpan.Zero && o.AnalysisTimeout > TimeSpan.Zero, "Outdial:Llm timeouts must be positive")
            .ValidateOnStart();
        services.AddOptions<ConversationOptions>().Bind(config.GetSection("Outdial:Conversation"))
            .Validate(o => o.MaxTurns is > 0 and <= 500, "Outdial:Conversation:MaxTurns must be 1..500")
            .Validate(o => o.ClosingMargin >= TimeSpan.Zero, "Outdial:Conversation:ClosingMargin must not be negative")
            .ValidateOnStart();
        services.AddOptions<InsightOptions>().Bind(config.GetSection("Outdial:Insights"))
            .Validate(o => o.SettleDelay >= TimeSpan.Zero && o.PollInterval > TimeSpan.Zero && o.LeaseDuration > TimeSpan.Zero,
                "Outdial:Insights: SettleDelay must not be negative, PollInterval and LeaseDuration must be positive")
            .Validate(o => o.MaxConcurrency is > 0 and <= 64 && o.RetryDelays.All(s => s >= 0), "Outdial:Insights: MaxConcurrency 1..64, RetryDelaysSec not negative")
            .ValidateOnStart();
        services.AddOptions<Nodes.NodeOptions>().Bind(config.GetSection("Outdial:Nodes"))
            .Validate(o => o.HeartbeatInterval > TimeSpan.Zero && o.Timeout > o.HeartbeatInterval && o.KeepFor > TimeSpan.Zero,
                "Outdial:Nodes: HeartbeatInterval must be positive, Timeout longer than it, KeepFor positive")
            .ValidateOnStart();
        services.AddSingleton<Nodes.NodeIdentity>();
        services.AddSingleton<Nodes.ClusterView>();
        services.AddSingleton<Nodes.NodeHeartbeat>();
        services.AddSingleton<LanguageModels>();
        services.AddSingleton<InsightAnalyzer>();
        services.AddSingleton<InsightWorker>();
        services.AddSingleton(sp => new OptOutPhrases(sp.GetRequiredService<IOptions<ConversationOptions>>().Value.OptOutPhrases));
        services.AddSingleton<LiveConversations>();
        services.AddSingleton<CallAnswering>();
        services.AddSingleton<ConversationEngine>();
        services.AddSingleton(sp => LegalFloor.Load(sp.GetRequiredService<IOptions<ComplianceOptions>>().Value));
        services.AddSingleton<ComplianceChecker>();
        services.AddSingleton<IRoundRobin, LocalRoundRobin>();
        services.AddSingleton<CallerIdSelector>();
        services.AddSingleton<CampaignRunner>();
        services.AddSingleton<ContactImporter>();
        services.AddSingleton(sp => new OutboundUrlGuard(sp.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowedNetworks));
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<Common.DispatchSignal>();
        services.AddOptions<Storage.CacheOptions>().Bind(config.GetSection("Outdial:Cache"))
            .Validate(o => o.ConfigTtl >= TimeSpan.Zero, "Outdial:Cache:ConfigTtl must not be negative")
            .ValidateOnStart();
        services.AddSingleton<Storage.ConfigChangeSignal>();
        services.AddSingleton<Storage.ConfigCache>();
        services.AddSingleton<WebhookDeliverer>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IdempotencyGate>();
        services.AddSingleton<IIdempotencyGate>(sp => sp.GetRequiredService<IdempotencyGate>());
        services.AddSingleton<PacingLimiter>();
        services.AddSingleton<IPacingLimiter>(sp => sp.GetRequiredService<PacingLimiter>());
        services.AddSingleton<TelephonyProviders>();
        services.AddSingleton<CallChanges>();
        services.AddSingleton<CallIntake>();
        services.AddSingleton<CallCommands>();
        services.AddSingleton<Bootstrapper>();
        services.AddSingleton<OperatorKeys>();
        services.AddSingleton<CallProgress>();
        services.AddSingleton<IProviderEventSink>(sp => sp.GetRequiredService<CallProgress>());
        services.AddSingleton<Dispatcher>();
        services.AddSingleton<Reconciler>();
        return services;
    }

    /// <summary>
    /// Makes this process a node among those sharing the database: its heartbeat, the watchdog that reaps dead nodes, and the
    /// hand-back of its leases at shutdown (<see cref="Nodes.NodeHeartbeat"/>). Call it before <see cref="AddOutdialWorkers"/>,
    /// so that the heartbeat stops after the workers. Needs <see cref="AddOutdialCore"/>.
    /// </summary>
    public static IServiceCollection AddOutdialNode(this IServiceCollection services) =>
        services.AddHostedService(sp => sp.GetRequiredService<Nodes.NodeHeartbeat>());

    /// <summary>
    /// Runs this node's share of the background work: the dispatcher (claims due calls and dials them), the reconciler
    /// (asks providers about attempts whose callbacks went missing), the webhook deliverer, the campaign runner, the
    /// contact importer, the insight worker and the Idempotency-Key janitor. Every node that runs them claims work through
    /// the store's leases, so work is shared, not repeated. Needs <see cref="AddOutdialCore"/>.
    /// </summary>
    public static IServiceCollection AddOutdialWorkers(this IServiceCollection services)
    {
        services.AddHostedService(sp => sp.GetRequiredService<Dispatcher>());
        services.AddHostedService(sp => sp.GetRequiredService<Reconciler>());
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDeliverer>());
        services.AddHostedService(sp => sp.GetRequiredService<CampaignRunner>());
        services.AddHostedService(sp => sp.GetRequiredService<ContactImporter>());
        services.AddHostedService(sp => sp.GetRequiredService<InsightWorker>());
        services.AddHostedService<IdempotencyJanitor>();
        return services;
    }

    private static bool ValidNetworks(IEnumerable<string> cidrs) => cidrs.All(c => System.Net.IPNetwork.TryParse(c, out _));
}
