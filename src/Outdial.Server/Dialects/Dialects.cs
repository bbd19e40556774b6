using System.Security.Claims;
using Outdial.Server.Dialects.Aicaller;
using Outdial.Server.Dialects.BuildVoice;
using Outdial.Server.Dialects.Ivr;
using Outdial.Server.Dialects.Talkover;
using Outdial.Server.Dialects.Vodex;

namespace Outdial.Server.Dialects;

/// <summary>A seed dialect's switch (<c>Outdial:Dialects:{Name}:Enabled</c>, default true).</summary>
public sealed class DialectSwitch
{
    public bool Enabled { get; set; } = true;
}

/// <summary>
/// Which seed dialects are served (configuration section <c>Outdial:Dialects</c>). A switched-off dialect's paths answer
/// 404 as if they did not exist.
/// </summary>
public sealed class DialectOptions
{
    public const string Section = "Outdial:Dialects";

    /// <summary>Seed 000, <c>POST /api/v1/trigger-call</c>.</summary>
    public DialectSwitch Vodex { get; set; } = new();

    /// <summary>Seed 001, <c>POST /api/v1/campaigns/{campaign_id}/call</c>.</summary>
    public DialectSwitch Talkover { get; set; } = new();

    /// <summary>Seed 002, <c>POST /v2/call</c> and <c>/v2/callresult</c>.</summary>
    public DialectSwitch Ivr { get; set; } = new();

    /// <summary>Seed 003, <c>POST /api/v1/calls/trigger</c>.</summary>
    public DialectSwitch BuildVoice { get; set; } = new();

    /// <summary>Seed 004, <c>POST /v1/phoneCalls</c>.</summary>
    public DialectSwitch Aicaller { get; set; } = new();
}

/// <summary>What the dialects share that is not a business rule: the native per-key rate budget.</summary>
public static class DialectSupport
{
    /// <summary>
    /// Takes one permit from the native per-key limiter (<c>Outdial:Api:RateLimitPerMinute</c> per key and minute, one budget
    /// shared with the native API). Dialect routes disable the limiter middleware so that a refusal is answered in their own
    /// envelope: false when a permit was taken; true when none is left, with <c>Retry-After</c> (seconds) already set.
    /// </summary>
    public static bool RateLimited(HttpContext http, string accountId, string keyId, Microsoft.AspNetCore.RateLimiting.RateLimiterOptions options)
    {
        if (options.GlobalLimiter is not { } limiter)
        {
            return false;
        }
        if (http.User.FindFirstValue(Infrastructure.ApiKeyAuthenticationHandler.KeyClaim) != keyId)
        {
            // The limiter partitions on the principal's key claim; a key sent outside "Authorization: Bearer" is not seen by
            // the authentication middleware.
            http.User = new ClaimsPrincipal(new ClaimsIdentity(
                [new Claim(Infrastructure.ApiKeyAuthenticationHandler.AccountClaim, accountId),
                 new Claim(Infrastructure.ApiKeyAuthenticationHandler.KeyClaim, keyId)],
                Infrastructure.ApiKeyAuthenticationHandler.SchemeName));
        }
        using var lease = limiter.AttemptAcquire(http);
        if (lease.IsAcquired)
        {
            return false;
        }
        var retryAfter = lease.TryGetMetadata(System.Threading.RateLimiting.MetadataName.RetryAfter, out var ra)
            ? Math.Max(1, (int)Math.Ceiling(ra.TotalSeconds))
            : 60;
        http.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>
    /// Declares <typeparamref name="TError"/>, the dialect's own error envelope, as the body of each of the HTTP
    /// <paramref name="statuses"/> (OpenAPI metadata only; the handler decides what it answers).
    /// </summary>
    public static RouteHandlerBuilder ProducesErrors<TError>(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            builder.Produces<TError>(status);
        }
        return builder;
    }
}

/// <summary>Maps every enabled seed dialect. Each dialect is a thin translation into <c>CallIntake</c> and back; no business rule lives in one.</summary>
public static class Dialects
{
    public static void MapDialects(this WebApplication app)
    {
        var options = app.Configuration.GetSection(DialectOptions.Section).Get<DialectOptions>() ?? new DialectOptions();
        if (options.Vodex.Enabled)
        {
            app.MapVodexDialect();
        }
        if (options.Ivr.Enabled)
        {
            app.MapIvrDialect();
        }
        if (options.Aicaller.Enabled)
        {
            app.MapAicallerDialect();
        }
        if (options.Talkover.Enabled)
        {
            app.MapTalkoverDialect();
        }
        if (options.BuildVoice.Enabled)
        {
            app.MapBuildVoiceDialect();
        }
    }
}
