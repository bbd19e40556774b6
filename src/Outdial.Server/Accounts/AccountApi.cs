using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Outdial.Core.Compliance;
using Outdial.Core.Storage;
using Outdial.Server.Infrastructure;
using Outdial.Server.OpenApi;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Outdial.Server.Accounts;

/// <summary>Account settings as shown and patched.</summary>
/// <param name="RequireConsent">When true (default) every call must carry consent evidence with <c>obtained: true</c>.</param>
/// <param name="MaxConcurrentCalls">Calls that may be dialing, ringing or in progress at once (1–10000).</param>
/// <param name="RequireConsentRecord">When true, a call is dialed only while a valid consent record (<c>/v1/consents</c>) exists for its number.</param>
/// <param name="FrequencyCap">At most <c>maxAttempts</c> attempts per number per rolling <c>windowSec</c> across all calls; null = the server default (3 per 24 h); <c>maxAttempts: 0</c> = no account cap (legal caps still apply).</param>
/// <param name="ApiAccessEnabled">False switches off the seed dialects that document such a switch (BuildVoiceAI 003: 403 "API access is disabled"); the native API keeps working.</param>
/// <param name="Aliases">The names seed dialects use for the account: <c>dburl</c> (Vodex 000), <c>teamId</c> (aicaller 004), <c>tenant</c> (IVR 002); each unique across accounts (409 <c>alias_taken</c>).</param>
/// <param name="StrictAgentRefs">
/// What a dialect's agent reference (<c>ScenarioPath</c>, <c>projectId</c>, <c>agent_id</c>, <c>callTemplateId</c>) that names no agent
/// does: false (default) calls with the default agent (<c>agentSource: "fallback"</c>, <c>agentRef</c> kept); true refuses with the
/// dialect's own "agent not found" error.
/// </param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AccountSettings(string? Name, bool? RequireConsent, int? MaxConcurrentCalls, bool? RequireConsentRecord = null,
    FrequencyCapSetting? FrequencyCap = null, bool? ApiAccessEnabled = null, AccountAliases? Aliases = null, bool? StrictAgentRefs = null);

/// <summary>An account's dialect aliases: 1–200 printable characters each, null = none.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AccountAliases(string? Dburl, string? TeamId, string? Tenant);

/// <summary>An account's frequency cap: attempts per number (0–1000) per rolling window in seconds (60–2592000).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record FrequencyCapSetting(int? MaxAttempts, int? WindowSec);

/// <summary>The account resource. Times UTC. <c>frequencyCap</c> shows the cap in force (the server default when the account sets none).</summary>
public sealed record AccountResource(string Id, string Name, bool RequireConsent, int MaxConcurrentCalls, DateTime CreatedAt,
    bool RequireConsentRecord, FrequencyCapSetting FrequencyCap, bool ApiAccessEnabled, AccountAliases Aliases)
{
    /// <summary>True: a dialect's agent reference that names no agent is refused; false (default): the default agent takes the call.</summary>
    public bool StrictAgentRefs { get; init; }

    public static AccountResource Of(Outdial.Core.Accounts.Account a, Outdial.Core.Compliance.ComplianceOptions defaults) =>
        new(a.Id, a.Name, a.RequireConsent, a.MaxConcurrentCalls, a.CreatedAt.UtcDateTime, a.RequireConsentRecord,
            new FrequencyCapSetting(a.FrequencyCapMaxAttempts ?? defaults.FrequencyCapMaxAttempts, a.FrequencyCapWindowSec ?? defaults.FrequencyCapWindowSec),
            a.ApiAccessEnabled, new AccountAliases(a.Dburl, a.TeamId, a.IvrTenant)) { StrictAgentRefs = a.StrictAgentRefs };
}

/// <summary><c>GET/PATCH /v1/account</c>: the caller's own account.</summary>
public static class AccountApi
{
    public static RouteGroupBuilder MapAccount(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/account").WithTags("Account").RequireAuthorization();
        group.MapGet("/", async (ClaimsPrincipal user, IAccountStore store, IOptions<ComplianceOptions> defaults, CancellationToken ct) =>
            await store.GetAccountAsync(user.AccountId(), ct) is { } a
                ? (IResult)TypedResults.Ok(AccountResource.Of(a, defaults.Value))
                : Problems.NotFound("account")).WithName("GetAccount")
            .WithSummary("Get the account")
            .WithDescription("The account of the API key: consent rules, concurrency limit, frequency cap in force, API access switch, dialect aliases.")
            .Produces<AccountResource>();
        group.MapPatch("/", UpdateAsync).WithName("UpdateAccount").Accepts<AccountSettings>("application/merge-patch+json", "application/json")
            .WithSummary("Update the account")
            .WithDescription("""
                JSON Merge Patch (RFC 7396) of `name`, `requireConsent`, `maxConcurrentCalls` (1–10000), `requireConsentRecord`,
                `frequencyCap` (`{maxAttempts 0–1000, windowSec 60–2592000}`; null resets it to the server default), `apiAccessEnabled`,
                `aliases` (`dburl`, `teamId`, `tenant`: the names the seed dialects use; unique across accounts) and `strictAgentRefs`.
                """)
            .Produces<AccountResource>()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "alias_taken")
            .ProducesValidationFailed();
        return group;
    }

    /// <summary>Merge-patch of name, requireConsent, maxConcurrentCalls, requireConsentRecord, frequencyCap (null resets it to the server default); 422 <c>validation_failed</c> on bad values.</summary>
    public static async Task<IResult> UpdateAsync([FromBody] JsonObject patch, ClaimsPrincipal user, IAccountStore store, IOptions<JsonOptions> json,
        IOptions<ComplianceOptions> defaults, CancellationToken ct)
    {
        var current = await store.GetAccountAsync(user.AccountId(), ct);
        if (current is null)
        {
            return Problems.NotFound("account");
        }
        var cap = current.FrequencyCapMaxAttempts is null && current.FrequencyCapWindowSec is null
            ? null
            : new FrequencyCapSetting(current.FrequencyCapMaxAttempts, current.FrequencyCapWindowSec);
        var merged = MergePatch.Apply(new AccountSettings(current.Name, current.RequireConsent, current.MaxConcurrentCalls, current.RequireConsentRecord, cap,
            current.ApiAccessEnabled, new AccountAliases(current.Dburl, current.TeamId, current.IvrTenant), current.StrictAgentRefs), patch,
            json.Value.SerializerOptions);
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
        if (merged.RequireConsentRecord is null)
        {
            errors["requireConsentRecord"] = ["must be true or false"];
        }
        if (merged.FrequencyCap is { } fc)
        {
            if (fc.MaxAttempts is not (>= 0 and <= 1000))
            {
                errors["frequencyCap.maxAttempts"] = ["must be between 0 and 1000"];
            }
            if (fc.WindowSec is not (>= 60 and <= 30 * 86400))
            {
                errors["frequencyCap.windowSec"] = ["must be between 60 and 2592000 seconds"];
            }
        }
        if (merged.ApiAccessEnabled is null)
        {
            errors["apiAccessEnabled"] = ["must be true or false"];
        }
        if (merged.StrictAgentRefs is null)
        {
            errors["strictAgentRefs"] = ["must be true or false"];
        }
        foreach (var (field, value) in new[] { ("aliases.dburl", merged.Aliases?.Dburl), ("aliases.teamId", merged.Aliases?.TeamId), ("aliases.tenant", merged.Aliases?.Tenant) })
        {
            if (value is not null && (value.Length is 0 or > 200 || value.Any(ch => ch is < '!' or > '~')))
            {
                errors[field] = ["must be 1 to 200 printable ASCII characters without spaces, or null"];
            }
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var updated = current with
        {
            Name = merged.Name!,
            RequireConsent = merged.RequireConsent!.Value,
            MaxConcurrentCalls = merged.MaxConcurrentCalls!.Value,
            RequireConsentRecord = merged.RequireConsentRecord!.Value,
            FrequencyCapMaxAttempts = merged.FrequencyCap?.MaxAttempts,
            FrequencyCapWindowSec = merged.FrequencyCap?.WindowSec,
            ApiAccessEnabled = merged.ApiAccessEnabled!.Value,
            StrictAgentRefs = merged.StrictAgentRefs!.Value,
            Dburl = merged.Aliases?.Dburl,
            TeamId = merged.Aliases?.TeamId,
            IvrTenant = merged.Aliases?.Tenant,
        };
        return await store.UpdateAccountSettingsAsync(updated, ct) switch
        {
            UpsertResult.Conflict => Problems.Create(StatusCodes.Status409Conflict, "alias_taken", "Another account already uses one of these aliases.",
                "dburl, teamId and tenant must each be unique across accounts."),
            UpsertResult.NotFound => Problems.NotFound("account"),
            _ => TypedResults.Ok(AccountResource.Of(updated, defaults.Value)),
        };
    }
}
