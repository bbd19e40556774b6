using HealthChecks.UI.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Outdial.Storage;

namespace Outdial.Server.Infrastructure;

/// <summary>
/// ASP.NET Core health checks (<c>Microsoft.Extensions.Diagnostics.HealthChecks</c>) behind two probes, answered in the
/// common JSON format of <c>AspNetCore.HealthChecks.UI.Client</c>
/// (<c>{"status": "Healthy" | "Degraded" | "Unhealthy", "totalDuration": "00:00:00.0012", "entries": {name: {"status",
/// "description", "duration", "data", "tags"}}}</c>), HTTP 200 when Healthy or Degraded and 503 when Unhealthy:
/// <list type="bullet">
/// <item><c>GET /health/live</c>: the process serves requests (runs no check; for a liveness probe that restarts a hung process).</item>
/// <item><c>GET /health/ready</c>: <c>database</c> (the file opens and every embedded migration is applied) and
/// <c>providers</c> (each telephony provider's configuration; Degraded after a provider refused our credentials, until a
/// dial succeeds again); for a readiness probe or a load balancer.</item>
/// </list>
/// Both are anonymous and carry no secrets or phone numbers. The older <c>GET /health</c> is kept unchanged.
/// </summary>
public static class OutdialHealthChecks
{
    /// <summary>Tag of the checks <c>/health/ready</c> runs.</summary>
    public const string Ready = "ready";

    /// <summary>Registers the checks.</summary>
    public static IServiceCollection AddOutdialHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [Ready])
            .AddCheck<ProvidersHealthCheck>("providers", tags: [Ready]);
        return services;
    }

    /// <summary>Maps <c>/health/live</c> and <c>/health/ready</c> (described in the OpenAPI document, anonymous).</summary>
    public static IEndpointRouteBuilder MapOutdialHealthChecks(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", (HealthCheckService checks, HttpContext http) => ProbeAsync(checks, http, _ => false))
            .WithTags("Health").WithName("GetLiveness").AllowAnonymous()
            .WithSummary("Liveness probe")
            .WithDescription("""
                Runs no check: 200 `Healthy` while the process serves requests. For an orchestrator's liveness probe (restart a
                hung process). Needs no key. Format: AspNetCore.HealthChecks.UI.Client's JSON.
                """)
            .Produces<HealthReportDocument>(StatusCodes.Status200OK);
        app.MapGet("/health/ready", (HealthCheckService checks, HttpContext http) => ProbeAsync(checks, http, c => c.Tags.Contains(Ready)))
            .WithTags("Health").WithName("GetReadiness").AllowAnonymous()
            .WithSummary("Readiness probe")
            .WithDescription("""
                Runs the `database` check (the SQLite file opens and every migration is applied: `schemaVersion`,
                `expectedVersion`, `sqlite` in its `data`) and the `providers` check (each configured telephony provider;
                `Degraded` after Twilio, Plivo or Telnyx refused our credentials, account or caller ID, until a dial succeeds). 200 when
                `Healthy` or `Degraded`, 503 when `Unhealthy`. Needs no key; carries no secret or phone number.
                """)
            .Produces<HealthReportDocument>(StatusCodes.Status200OK)
            .Produces<HealthReportDocument>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task ProbeAsync(HealthCheckService checks, HttpContext http, Func<HealthCheckRegistration, bool> predicate)
    {
        var report = await checks.CheckHealthAsync(predicate, http.RequestAborted);
        http.Response.StatusCode = report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        http.Response.Headers.CacheControl = "no-store, no-cache";
        await UIResponseWriter.WriteHealthCheckUIResponse(http, report);
    }
}

/// <summary>
/// The probes' answer (AspNetCore.HealthChecks.UI.Client's format), for the OpenAPI document: <c>status</c> <c>Healthy</c>,
/// <c>Degraded</c> or <c>Unhealthy</c>; <c>totalDuration</c> as <c>hh:mm:ss.fffffff</c>; one entry per check run.
/// </summary>
/// <param name="Status">The worst status of the checks run.</param>
/// <param name="TotalDuration">How long the checks took, <c>hh:mm:ss.fffffff</c>.</param>
/// <param name="Entries">Each check by name (<c>database</c>, <c>providers</c>); empty for the liveness probe.</param>
public sealed record HealthReportDocument(string Status, string TotalDuration, IReadOnlyDictionary<string, HealthEntryDocument> Entries);

/// <summary>One check's result in <see cref="HealthReportDocument"/>.</summary>
/// <param name="Status"><c>Healthy</c>, <c>Degraded</c> or <c>Unhealthy</c>.</param>
/// <param name="Description">What the check found, in words.</param>
/// <param name="Duration">How long the check took, <c>hh:mm:ss.fffffff</c>.</param>
/// <param name="Data">The check's figures (e.g. <c>schemaVersion</c>), as strings or numbers.</param>
/// <param name="Tags">The check's tags (<c>ready</c>).</param>
public sealed record HealthEntryDocument(string Status, string? Description, string Duration, IReadOnlyDictionary<string, System.Text.Json.Nodes.JsonNode?> Data,
    IReadOnlyList<string> Tags);

/// <summary>Healthy when the database (SQLite file or PostgreSQL server) answers and its schema is at the build's latest version; else Unhealthy.</summary>
internal sealed class DatabaseHealthCheck(IOutdialDatabase db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        int applied;
        string version;
        try
        {
            applied = await db.AppliedVersionAsync(cancellationToken);
            version = await db.EngineVersionAsync(cancellationToken);
        }
        catch (System.Data.Common.DbException ex)
        {
            // The error's kind only: a message can name hosts or files.
            return HealthCheckResult.Unhealthy($"the {db.Engine} database cannot be read ({ex.GetType().Name})");
        }
        var data = new Dictionary<string, object>
        {
            ["schemaVersion"] = applied,
            ["expectedVersion"] = db.LatestVersion,
            ["engine"] = db.Engine,
            [db.Engine == "SQLite" ? "sqlite" : "postgresql"] = version,
        };
        return applied >= db.LatestVersion
            ? HealthCheckResult.Healthy("reachable; migrations applied", data)
            : HealthCheckResult.Unhealthy($"migrations pending: schema version {applied} of {db.LatestVersion}", data: data);
    }
}

/// <summary>
/// Healthy when every configured provider is usable; Degraded when Twilio, Plivo or Telnyx refused our credentials, account or
/// caller ID (its error code where it has codes, and HTTP status in <c>data</c>, never its message, which can quote phone numbers).
/// </summary>
internal sealed class ProvidersHealthCheck(IEnumerable<Core.Telephony.ITelephonyProvider> providers, IEnumerable<Telephony.ProviderHealth> healths) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var provider in providers)
        {
            data[provider.Name] = "ok";
        }
        var degraded = false;
        foreach (var health in healths)
        {
            if (health.LastConfigurationError is { } problem)
            {
                // The provider's name as people write it (Twilio, Plivo, Telnyx).
                data[health.Provider] = Misconfigured(char.ToUpperInvariant(health.Provider[0]) + health.Provider[1..], problem.Code, problem.HttpStatus, problem.At);
                degraded = true;
            }
        }
        if (degraded)
        {
            return Task.FromResult(HealthCheckResult.Degraded("a provider refused our credentials, account or caller ID", data: data));
        }
        return Task.FromResult(HealthCheckResult.Healthy(string.Join(", ", data.Keys) + " configured", data));
    }

    private static string Misconfigured(string provider, int? code, int httpStatus, DateTimeOffset at) =>
        code is { } c
            ? $"misconfigured: {provider} error {c.ToString(System.Globalization.CultureInfo.InvariantCulture)}, HTTP {httpStatus} at {at.UtcDateTime:O}"
            : $"misconfigured: {provider} HTTP {httpStatus} at {at.UtcDateTime:O}"; // Plivo has no error codes
}
