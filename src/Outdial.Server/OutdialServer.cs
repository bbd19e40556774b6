using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Outdial.Core;
using Outdial.Core.Accounts;
using Outdial.Core.Common;
using Outdial.Core.Webhooks;
using Outdial.Server.Accounts;
using Outdial.Server.Agents;
using Outdial.Server.ApiKeys;
using Outdial.Server.Calls;
using Outdial.Server.Campaigns;
using Outdial.Server.Dialects;
using Outdial.Server.Dialects.Ivr;
using Outdial.Server.Compliance;
using Outdial.Server.Infrastructure;
using Outdial.Server.OpenApi;
using Outdial.Server.PhoneNumbers;
using Outdial.Server.Providers.Plivo;
using Outdial.Server.Providers.Telnyx;
using Outdial.Server.Providers.Twilio;
using Outdial.Server.Webhooks;
using Outdial.Storage;
using Outdial.Telephony;

namespace Outdial.Server;

/// <summary>Builds and prepares the Outdial host. <c>Program.cs</c> and the tests share it.</summary>
public static partial class OutdialServer
{
    /// <summary>
    /// Creates the application from command-line <paramref name="args"/> (plus appsettings.json and <c>Outdial__*</c>
    /// environment variables); <paramref name="configure"/> lets tests replace services (e.g. the clock).
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        ListenOnDefaultUnlessConfigured(builder);
        var services = builder.Services;
        services.AddOutdialCore(builder.Configuration).UseDatabase(builder.Configuration).AddSandboxTelephony().AddTwilioTelephony(builder.Configuration)
            .AddPlivoTelephony(builder.Configuration).AddTelnyxTelephony(builder.Configuration);
        // Every node beats (API-only ones too: they count in the split of the per-key rate limit); workers are optional.
        services.AddOutdialNode();
        if (builder.Configuration.GetValue("Outdial:Workers", defaultValue: true))
        {
            services.AddOutdialWorkers();
        }
        // Seed 002's result push format, always registered: deliveries already in the outbox are sent even while the IVR
        // dialect is switched off.
        services.AddSingleton<ICallWebhookFormatter, IvrResultFormatter>();
        services.AddOptions<ApiOptions>().BindConfiguration("Outdial:Api")
            .Validate(o => o.RateLimitPerMinute > 0, "Outdial:Api:RateLimitPerMinute must be positive")
            .Validate(o => o.MaxRequestBodyBytes >= 1024, "Outdial:Api:MaxRequestBodyBytes must be at least 1024")
            .ValidateOnStart();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ApiOptions>>((k, api) => k.Limits.MaxRequestBodySize = api.Value.MaxRequestBodyBytes + 1);
        services.ConfigureHttpJsonOptions(o => Json.Configure(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddExceptionHandler<ErrorHandler>();
        services.AddSingleton<ApiKeyVerifier>();
        services.AddSingleton<Dialects.DialectGate>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        // API keys act for their account; the operator key only for /v1/admin (ApiKeyAuthenticationHandler.OperatorPolicy).
        services.AddAuthorization(o =>
        {
            o.DefaultPolicy = new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName)
                .RequireClaim(ApiKeyAuthenticationHandler.AccountClaim).Build();
            o.AddPolicy(ApiKeyAuthenticationHandler.OperatorPolicy, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireClaim(ApiKeyAuthenticationHandler.OperatorClaim));
        });
        services.AddApiKeyRateLimiting();
        services.AddOutdialOpenApi();
        services.AddOutdialHealthChecks();
        builder.AddOutdialTelemetry();
        configure?.Invoke(builder);
        var ivrPorts = Dialects.Ivr.IvrEndpoint.AddUrls(builder);

        var app = builder.Build();
        app.UseOutdialTelemetry();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        Dialects.Ivr.IvrEndpoint.UseOnlyIvrOn(app, ivrPorts);
        // The dashboard: static files under wwwroot (index.html at /), no key needed to load them; it calls the API with the key
        // the user signs in with. A strict content security policy: only this server's own scripts, styles and API.
        app.UseWhen(c => c.Request.Path == "/" || c.Request.Path == "/index.html" || c.Request.Path.StartsWithSegments("/dashboard"), branch =>
        {
            branch.Use((context, next) =>
            {
                context.Response.Headers.ContentSecurityPolicy =
                    "default-src 'self'; img-src 'self' data:; media-src *; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
                context.Response.Headers.XContentTypeOptions = "nosniff";
                return next(context);
            });
            branch.UseDefaultFiles();
            branch.UseStaticFiles();
        });
        // Twilio's ConversationRelay connects over a WebSocket (/providers/twilio/relay/{attemptId}).
        app.UseWebSockets();
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();

        app.MapOutdialOpenApi();
        app.MapGet("/health", (IServiceProvider sp) => TypedResults.Ok(Health(sp))).WithTags("Health").WithName("GetHealth").AllowAnonymous()
            .WithSummary("Check the server's health")
            .WithDescription("""
                200 while the process serves; needs no key. `status` is `degraded` when a provider's last dial failed for its
                credentials, account or caller ID (`misconfigured`, with Twilio's error `code` and `httpStatus`, and when, UTC),
                until a dial succeeds again. Twilio's message is not shown (it can quote phone numbers): it is on the call's attempt.
                """);
        app.MapOutdialHealthChecks();
        app.MapAccount();
        app.MapAdminAccounts();
        app.MapCalls();
        app.MapEventStream();
        app.MapCallConversation();
        app.MapAgents();
        app.MapPhoneNumbers();
        app.MapApiKeys();
        app.MapWebhooks();
        app.MapCampaigns();
        app.MapComplianceRules();
        app.MapDialects();
        app.MapDnc();
        app.MapConsents();
        app.MapTwilioCallbacks();
        app.MapPlivoCallbacks();
        app.MapTelnyxWebhooks();
        if (app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.EnableBenchEndpoint)
        {
            app.MapBenchParse();
        }
        return app;
    }

    /// <summary>Where the server listens when nothing says otherwise: loopback only, port 5080.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>
    /// Listens on <see cref="DefaultUrl"/> only when none of ASP.NET Core's own settings names an address: <c>urls</c>
    /// (<c>--urls</c>, <c>ASPNETCORE_URLS</c>, <c>DOTNET_URLS</c>, <c>"Urls"</c> in a settings file), <c>http_ports</c> /
    /// <c>https_ports</c> (<c>ASPNETCORE_HTTP_PORTS</c>, <c>ASPNETCORE_HTTPS_PORTS</c>) or <c>Kestrel:Endpoints</c>. The
    /// default is applied in code, not in appsettings.json, where it would outrank <c>ASPNETCORE_URLS</c> (host settings
    /// are read before the settings files; ASP.NET Core docs, "Configure endpoints for the ASP.NET Core Kestrel web server").
    /// </summary>
    private static void ListenOnDefaultUnlessConfigured(WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var named = !string.IsNullOrWhiteSpace(config[WebHostDefaults.ServerUrlsKey])
            || !string.IsNullOrWhiteSpace(config[WebHostDefaults.HttpPortsKey])
            || !string.IsNullOrWhiteSpace(config[WebHostDefaults.HttpsPortsKey])
            || config.GetSection("Kestrel:Endpoints").GetChildren().Any();
        if (!named)
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
    }

    /// <summary>
    /// <c>GET /health</c> (always 200 while the process serves): <c>{"status": "ok" | "degraded", "providers": {"sandbox":
    /// {"status": "ok"}, "twilio"|"plivo"|"telnyx": {"status": "ok" | "misconfigured", "code"?, "httpStatus"?, "at"?}}}</c> (the provider's error code, where it has codes, and HTTP status; its
    /// message, which can quote phone numbers, is only on the call). A provider is
    /// <c>misconfigured</c> after it refused a dial for a credentials, account or caller-ID problem (Twilio 401/403 or error
    /// codes such as 20003; Telnyx 401/403, 10009, or an error about connection_id or from), until a dial succeeds again; <c>at</c> is when (UTC).
    /// </summary>
    private static HealthResource Health(IServiceProvider sp)
    {
        var providers = new Dictionary<string, ProviderHealthResource>(StringComparer.Ordinal);
        var degraded = false;
        foreach (var provider in sp.GetServices<Core.Telephony.ITelephonyProvider>())
        {
            providers[provider.Name] = new ProviderHealthResource("ok");
        }
        foreach (var health in sp.GetServices<Telephony.ProviderHealth>())
        {
            if (health.LastConfigurationError is { } problem)
            {
                degraded = true;
                // Code and HTTP status only: /health needs no key, and the provider's message can quote phone numbers (it is on the call).
                providers[health.Provider] = new ProviderHealthResource("misconfigured", problem.Code, problem.HttpStatus, problem.At.UtcDateTime);
            }
        }
        return new HealthResource(degraded ? "degraded" : "ok", providers);
    }

    /// <summary>
    /// Migrates the database and, on the very first start, bootstraps the account and prints its API key once to
    /// standard output (never to the log). Call before <c>RunAsync</c>.
    /// </summary>
    public static async Task PrepareAsync(WebApplication app, CancellationToken ct = default)
    {
        var db = app.Services.GetRequiredService<IOutdialDatabase>();
        var version = await db.MigrateAsync(ct);
        var engineVersion = await db.EngineVersionAsync(ct);
        LogMigrated(app.Logger, db.Location, version, db.Engine, engineVersion);
        var key = await app.Services.GetRequiredService<Bootstrapper>().EnsureAsync(ct);
        if (key is not null)
        {
            var configured = !string.IsNullOrEmpty(app.Services.GetRequiredService<IOptions<OutdialOptions>>().Value.BootstrapApiKey);
            Console.WriteLine("Outdial first start: created the default account, agent 'default' and a sandbox caller ID.");
            Console.WriteLine(configured
                ? "API key: the one given in Outdial:BootstrapApiKey."
                : $"API key (shown only this once, store it now): {key}");
        }
        // The operator key (/v1/admin): generated once when Outdial:Admin:ApiKey is not set, on a new or an upgraded database.
        if (await app.Services.GetRequiredService<OperatorKeys>().EnsureAsync(ct) is { } operatorKey)
        {
            Console.WriteLine($"Operator key for /v1/admin (shown only this once, store it now; or set Outdial:Admin:ApiKey): {operatorKey}");
        }
    }

    /// <summary><c>POST /v1/bench/parse</c>: authenticates and parses a call body like <c>POST /v1/calls</c>, stores nothing.</summary>
    private static void MapBenchParse(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/bench/parse", ([FromBody] CreateCallRequest body, System.Security.Claims.ClaimsPrincipal user) =>
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            CallsApi.ToCommand(user.AccountId(), body, errors);
            return errors.Count > 0 ? (IResult)Problems.Validation(errors) : TypedResults.Accepted((string?)null, new { parsed = true });
        }).RequireAuthorization().ExcludeFromDescription();

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Database {Location} at schema version {Version} ({Engine} {EngineVersion})")]
    private static partial void LogMigrated(ILogger logger, string location, int version, string engine, string engineVersion);
}

/// <summary><c>GET /health</c>: <c>status</c> <c>ok</c> or <c>degraded</c> (a provider is misconfigured), and each provider's health by name.</summary>
public sealed record HealthResource(string Status, IReadOnlyDictionary<string, ProviderHealthResource> Providers);

/// <summary>
/// A provider's health: <c>ok</c>, or <c>misconfigured</c> after it refused a dial for a credentials, account or caller-ID problem, with
/// the provider's error <c>code</c>, its <c>httpStatus</c> and when (<c>at</c>, UTC).
/// </summary>
public sealed record ProviderHealthResource(string Status, int? Code = null, int? HttpStatus = null, DateTime? At = null);
