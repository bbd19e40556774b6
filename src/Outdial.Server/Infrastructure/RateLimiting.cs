using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Outdial.Server.Infrastructure;

/// <summary>
/// Per-API-key rate limiting: a fixed one-minute window of <see cref="ApiOptions.RateLimitPerMinute"/> requests; 429 with
/// <c>Retry-After</c> (seconds). With several nodes, each allows its share, <c>ceil(limit / live nodes)</c>
/// (<see cref="Core.Nodes.ClusterView"/>), so that the nodes together stay within the limit (a load balancer spreads a
/// key's requests over them); a change in the number of live nodes starts fresh windows with the new share.
/// </summary>
public static class RateLimiting
{
    public static IServiceCollection AddApiKeyRateLimiting(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ApiOptions>, Core.Nodes.ClusterView>((o, api, cluster) =>
        {
            var limit = api.Value.RateLimitPerMinute;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(ctx =>
                ctx.User.FindFirstValue(ApiKeyAuthenticationHandler.KeyClaim) is { } keyId
                    ? RateLimitPartition.GetFixedWindowLimiter($"{keyId}/{cluster.LiveNodes}", _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = cluster.ShareOf(limit),
                        Window = TimeSpan.FromMinutes(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    })
                    : RateLimitPartition.GetNoLimiter("anonymous"));
            o.OnRejected = async (ctx, ct) =>
            {
                var retryAfter = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var ra) ? Math.Max(1, (int)Math.Ceiling(ra.TotalSeconds)) : 60;
                ctx.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await Problems.Create(StatusCodes.Status429TooManyRequests, "rate_limited", "Too many requests.",
                    $"This API key may make {limit} requests per minute; retry after {retryAfter} s.").ExecuteAsync(ctx.HttpContext);
            };
        });
        return services;
    }
}
