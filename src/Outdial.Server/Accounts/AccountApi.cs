using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Outdial.Core.Storage;
using Outdial.Server.Infrastructure;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Outdial.Server.Accounts;

/// <summary>Account settings as shown and patched.</summary>
/// <param name="RequireConsent">When true (default) every call must carry consent evidence with <c>obtained: true</c>.</param>
/// <param name="MaxConcurrentCalls">Calls that may be dialing, ringing or in progress at once (1–10000).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AccountSettings(string? Name, bool? RequireConsent, int? MaxConcurrentCalls);

/// <summary>The account resource. Times UTC.</summary>
public sealed record AccountResource(string Id, string Name, bool RequireConsent, int MaxConcurrentCalls, DateTime CreatedAt);

/// <summary><c>GET/PATCH /v1/account</c>: the caller's own account.</summary>
public static class AccountApi
{
    public static RouteGroupBuilder MapAccount(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/account").WithTags("Account").RequireAuthorization();
        group.MapGet("/", async (ClaimsPrincipal user, IAccountStore store, CancellationToken ct) =>
            await store.GetAccountAsync(user.AccountId(), ct) is { } a
                ? (IResult)TypedResults.Ok(new AccountResource(a.Id, a.Name, a.RequireConsent, a.MaxConcurrentCalls, a.CreatedAt.UtcDateTime))
                : Problems.NotFound("account")).WithName("GetAccount");
        group.MapPatch("/", UpdateAsync).WithName("UpdateAccount").Accepts<AccountSettings>("application/merge-patch+json", "application/json");
        return group;
    }

    /// <summary>Merge-patch of name, requireConsent, maxConcurrentCalls; 422 <c>validation_failed</c> on bad values.</summary>
    public static async Task<IResult> UpdateAsync([FromBody] JsonObject patch, ClaimsPrincipal user, IAccountStore store, IOptions<JsonOptions> json, CancellationToken ct)
    {
        var current = await store.GetAccountAsync(user.AccountId(), ct);
        if (current is null)
        {
            return Problems.NotFound("account");
        }
        var merged = MergePatch.Apply(new AccountSettings(current.Name, current.RequireConsent, current.MaxConcurrentCalls), patch, json.Value.SerializerOptions);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(merged.Name) || merged.Name.Length > 200)
        {
            errors["name"] = ["is required (1–200 characters)"];
        }
        if (merged.RequireConsent is null)
        {
            errors["requireConsent"] = ["must be true or false"];
        }
        if (merged.MaxConcurrentCalls is not (>= 1 and <= 10_000))
        {
            errors["maxConcurrentCalls"] = ["must be between 1 and 10000"];
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var updated = current with { Name = merged.Name!, RequireConsent = merged.RequireConsent!.Value, MaxConcurrentCalls = merged.MaxConcurrentCalls!.Value };
        await store.UpdateAccountAsync(updated, ct);
        return TypedResults.Ok(new AccountResource(updated.Id, updated.Name, updated.RequireConsent, updated.MaxConcurrentCalls, updated.CreatedAt.UtcDateTime));
    }
}
