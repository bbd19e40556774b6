using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Storage;
using Outdial.Server.Infrastructure;

namespace Outdial.Server.Dialects;

/// <summary>What the front door of a seed dialect decided about a request; each dialect renders the refusals in its own envelope.</summary>
public abstract record GateOutcome
{
    private GateOutcome() { }

    /// <summary>The key is active, a rate permit was taken and the account's API access is on.</summary>
    public sealed record Passed(DialectCaller Caller) : GateOutcome;

    /// <summary>No key was presented, or it is unknown or revoked (401).</summary>
    public sealed record Unauthenticated : GateOutcome;

    /// <summary>
    /// The key's budget for this minute is spent (429). <c>Retry-After</c> (seconds) is already set on the response;
    /// <see cref="PermitsPerMinute"/> is the budget, for the dialect's message.
    /// </summary>
    public sealed record RateLimited(int RetryAfterSec, int PermitsPerMinute) : GateOutcome;

    /// <summary>A dialect's own account check (<see cref="DialectGateRule.AccountCheck"/>) refused; the dialect's answer.</summary>
    public sealed record Refused(IResult Answer) : GateOutcome;

    /// <summary>The account's <c>apiAccessEnabled</c> switch is off (403).</summary>
    public sealed record AccessDisabled : GateOutcome;
}

/// <summary>
/// The caller a dialect handler works for: the key's account, read once by the gate and passed on to intake
/// (<c>TriggerCommand.Account</c>). A handler whose route has <see cref="DialectGateExtensions.RequireDialectGate"/> reads it
/// with <see cref="Of"/> (not as a bound parameter: minimal APIs bind parameters before endpoint filters run).
/// </summary>
public sealed record DialectCaller(Account Account, ApiKey Key)
{
    private const string ItemKey = "Outdial.DialectCaller";

    /// <summary>The caller the route's gate filter stored for this request.</summary>
    /// <exception cref="InvalidOperationException">The route has no dialect gate.</exception>
    public static DialectCaller Of(HttpContext http) =>
        http.Items[ItemKey] as DialectCaller ?? throw new InvalidOperationException("This route has no dialect gate (RequireDialectGate).");

    internal void Store(HttpContext http) => http.Items[ItemKey] = this;
}

/// <summary>How one dialect's front door works: where its key is, which budget it spends, how it renders refusals.</summary>
public sealed record DialectGateRule
{
    /// <summary>The presented API key (null or empty when none); the whole key, prefix stripped.</summary>
    public required Func<HttpContext, string?> Key { get; init; }

    /// <summary>
    /// The dialect's own documented budget per key and minute (seed 003: 100), counted apart from the native API's; null: the native
    /// per-key budget (<c>Outdial:Api:RateLimitPerMinute</c>), one budget shared with the native API.
    /// </summary>
    public int? OwnPermitsPerMinute { get; init; }

    /// <summary>A dialect's check of the account made before the access switch (seed 000's <c>dburl</c>, seed 002's <c>Tenant</c>); null answer = passes.</summary>
    public Func<HttpContext, Account, CancellationToken, ValueTask<IResult?>>? AccountCheck { get; init; }

    /// <summary>Renders a refusal (every outcome but <see cref="GateOutcome.Passed"/>) in the dialect's envelope.</summary>
    public required Func<HttpContext, GateOutcome, IResult> Render { get; init; }
}

/// <summary>
/// The one front door of the seed dialects: key → rate permit → account (one read) → the dialect's account check → API access
/// switch. Each dialect answers its refusals in its own documented envelope; dialects whose key is in a header use it as an
/// endpoint filter (<see cref="DialectGateExtensions.RequireDialectGate"/>), seed 002 (key in the body, checked after the body's
/// required fields) calls <see cref="PassAsync"/> itself.
/// </summary>
public sealed class DialectGate(ApiKeyVerifier verifier, IAccountStore accounts, IOptions<RateLimiterOptions> limits, IOptions<ApiOptions> api,
    TimeProvider clock)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(int Budget, string KeyId), (DateTimeOffset Start, int Count)> _own = [];

    /// <summary>Runs the gate for <paramref name="presentedKey"/>; sets <c>Retry-After</c> on a rate refusal.</summary>
    public async Task<GateOutcome> PassAsync(HttpContext http, string? presentedKey, DialectGateRule rule, CancellationToken ct)
    {
        var key = string.IsNullOrWhiteSpace(presentedKey) || presentedKey.Trim().Contains(' ', StringComparison.Ordinal)
            ? null
            : await verifier.VerifyAsync(presentedKey.Trim(), ct);
        if (key is null)
        {
            return new GateOutcome.Unauthenticated();
        }
        var (limited, retryAfter, budget) = rule.OwnPermitsPerMinute is { } own
            ? (!TryTakeOwn(own, key.Id, out var ra), ra, own)
            : (NativeLimited(http, limits.Value.GlobalLimiter, key, out var nra), nra, api.Value.RateLimitPerMinute);
        if (limited)
        {
            http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
            return new GateOutcome.RateLimited(retryAfter, budget);
        }
        var account = await accounts.GetAccountAsync(key.AccountId, ct);
        if (account is null)
        {
            return new GateOutcome.Unauthenticated();
        }
        if (rule.AccountCheck is { } check && await check(http, account, ct) is { } refused)
        {
            return new GateOutcome.Refused(refused);
        }
        return account.ApiAccessEnabled ? new GateOutcome.Passed(new DialectCaller(account, key)) : new GateOutcome.AccessDisabled();
    }

    /// <summary>
    /// One permit from the native per-key limiter (the native API's global limiter, partitioned by the key claim); dialect routes
    /// disable the limiter middleware so that its refusal is answered in their own envelope.
    /// </summary>
    private static bool NativeLimited(HttpContext http, System.Threading.RateLimiting.PartitionedRateLimiter<HttpContext>? limiter, ApiKey key,
        out int retryAfterSec)
    {
        retryAfterSec = 0;
        if (limiter is null)
        {
            return false;
        }
        if (http.User.FindFirstValue(ApiKeyAuthenticationHandler.KeyClaim) != key.Id)
        {
            // The limiter partitions on the principal's key claim; a key sent outside "Authorization: Bearer" is not seen by
            // the authentication middleware.
            http.User = new ClaimsPrincipal(new ClaimsIdentity(
                [new Claim(ApiKeyAuthenticationHandler.AccountClaim, key.AccountId), new Claim(ApiKeyAuthenticationHandler.KeyClaim, key.Id)],
                ApiKeyAuthenticationHandler.SchemeName));
        }
        using var lease = limiter.AttemptAcquire(http);
        if (lease.IsAcquired)
        {
            return false;
        }
        retryAfterSec = lease.TryGetMetadata(System.Threading.RateLimiting.MetadataName.RetryAfter, out var ra)
            ? Math.Max(1, (int)Math.Ceiling(ra.TotalSeconds))
            : 60;
        return true;
    }

    /// <summary>
    /// Takes one permit of an unauthenticated request from <paramref name="clientAddress"/> (seed 002's <c>/v2/callresult</c> without a
    /// token): at most <paramref name="permitsPerMinute"/> per address in a fixed one-minute window; false with the seconds to
    /// wait once they are spent (<c>Retry-After</c> is set on the response).
    /// </summary>
    public bool TryTakeAnonymous(HttpContext http, string clientAddress, int permitsPerMinute)
    {
        if (TryTakeOwn(permitsPerMinute, "ip:" + clientAddress, out var retryAfter))
        {
            return true;
        }
        http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        return false;
    }

    /// <summary>
    /// A dialect's own budget: at most <paramref name="permits"/> requests per key in a fixed one-minute window that starts at
    /// the key's first request, timed by the injected clock. Per node.
    /// </summary>
    private bool TryTakeOwn(int permits, string keyId, out int retryAfterSec)
    {
        var now = clock.GetUtcNow();
        var window = TimeSpan.FromMinutes(1);
        lock (_gate)
        {
            if (_own.Count > 100_000)
            {
                foreach (var stale in _own.Where(w => now - w.Value.Start >= window).Select(w => w.Key).ToList())
                {
                    _own.Remove(stale);
                }
            }
            var slot = (permits, keyId);
            if (!_own.TryGetValue(slot, out var w) || now - w.Start >= window)
            {
                w = (now, 0);
            }
            retryAfterSec = Math.Max(1, (int)Math.Ceiling((w.Start + window - now).TotalSeconds));
            if (w.Count >= permits)
            {
                _own[slot] = w;
                return false;
            }
            _own[slot] = (w.Start, w.Count + 1);
            return true;
        }
    }
}

/// <summary>Route conventions shared by the dialects.</summary>
public static class DialectGateExtensions
{
    /// <summary>
    /// Puts <see cref="DialectGate"/> in front of the route: refusals are rendered by <paramref name="rule"/>; a passed request
    /// reaches the handler with its <see cref="DialectCaller"/>. The route is anonymous to the native authentication and
    /// exempt from the native limiter middleware (the gate takes the permit itself, so that refusals keep the dialect's envelope).
    /// </summary>
    public static RouteHandlerBuilder RequireDialectGate(this RouteHandlerBuilder builder, DialectGateRule rule) =>
        builder.AllowAnonymous().DisableRateLimiting().AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var outcome = await http.RequestServices.GetRequiredService<DialectGate>().PassAsync(http, rule.Key(http), rule, http.RequestAborted);
            if (outcome is not GateOutcome.Passed passed)
            {
                return outcome is GateOutcome.Refused refused ? refused.Answer : rule.Render(http, outcome);
            }
            passed.Caller.Store(http);
            return await next(context);
        });

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

    /// <summary>The key of <c>Authorization: Bearer &lt;key&gt;</c>; null otherwise.</summary>
    public static string? BearerKey(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString().Trim();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }
}
