using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Calls;
using Outdial.Core.Storage;
using Outdial.Server.ApiKeys;
using Outdial.Server.Infrastructure;
using Outdial.Server.OpenApi;

namespace Outdial.Server.Accounts;

/// <summary>
/// Body of <c>POST /v1/admin/accounts</c>. <c>name</c> 1–200 characters (required); <c>callerId</c> the E.164 number of the
/// account's sandbox caller ID (default <c>Outdial:BootstrapCallerId</c>); <c>requireConsent</c> (default true);
/// <c>maxConcurrentCalls</c> 1–10000 (default 10).
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateAccountRequest(string? Name, string? CallerId = null, bool? RequireConsent = null, int? MaxConcurrentCalls = null);

/// <summary>An account as the operator sees it: its settings, and <c>disabledAt</c> (UTC) while disabled, else null.</summary>
public sealed record AdminAccountResource(string Id, string Name, bool RequireConsent, int MaxConcurrentCalls, DateTime CreatedAt, DateTime? DisabledAt)
{
    public static AdminAccountResource Of(Account a) =>
        new(a.Id, a.Name, a.RequireConsent, a.MaxConcurrentCalls, a.CreatedAt.UtcDateTime, a.DisabledAt?.UtcDateTime);
}

/// <summary>A page of accounts, newest first; <c>nextCursor</c> is passed as <c>cursor</c> for the next page, null on the last.</summary>
public sealed record AdminAccountList(IReadOnlyList<AdminAccountResource> Data, string? NextCursor);

/// <summary>
/// 201 of <c>POST /v1/admin/accounts</c>: the account, its default agent's and sandbox caller ID's ids, and its first API key
/// with the secret <c>key</c>, shown this once (only its SHA-256 hash is stored).
/// </summary>
public sealed record CreatedAccountResource(AdminAccountResource Account, string AgentId, string PhoneNumberId, CreatedApiKeyResource ApiKey);

/// <summary>
/// <c>/v1/admin/accounts</c>: the operator creates, lists, reads, disables and enables accounts, with the operator key
/// (<see cref="OperatorKeys"/>; an account's API key gets 403). Every other endpoint serves only the account of the API key
/// presented (another account's objects answer 404).
/// </summary>
public static class AdminAccountsApi
{
    public static RouteGroupBuilder MapAdminAccounts(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/admin/accounts").WithTags("Admin").RequireAuthorization(ApiKeyAuthenticationHandler.OperatorPolicy);
        group.MapPost("/", CreateAsync).WithName("AdminCreateAccount")
            .WithSummary("Create an account")
            .WithDescription("""
                Operator key only. Creates an account with its default agent (`default`), a sandbox caller ID and a first API key,
                in one transaction. 201 with the secret `apiKey.key`, shown this once: only its SHA-256 hash is stored.
                """)
            .Produces<CreatedAccountResource>(StatusCodes.Status201Created)
            .ProducesValidationFailed();
        group.MapGet("/", ListAsync).WithName("AdminListAccounts")
            .WithSummary("List accounts")
            .WithDescription("Operator key only. Accounts newest first; `limit` 1–100 (default 20), `cursor` from the previous page's `nextCursor`.")
            .Produces<AdminAccountList>()
            .ProducesValidationFailed();
        group.MapGet("/{id}", async (string id, IAccountStore store, CancellationToken ct) =>
            await store.GetAccountAsync(id, ct) is { } a ? (IResult)TypedResults.Ok(AdminAccountResource.Of(a)) : Problems.NotFound("account"))
            .WithName("AdminGetAccount")
            .WithSummary("Get an account")
            .WithDescription("Operator key only. One account, with `disabledAt` while it is disabled.")
            .Produces<AdminAccountResource>()
            .ProducesNotFound();
        group.MapPost("/{id}/disable", (string id, IAccountStore store, ApiKeyVerifier verifier, TimeProvider clock, CancellationToken ct) =>
            SetDisabledAsync(id, clock.GetUtcNow(), store, verifier, ct)).WithName("AdminDisableAccount")
            .WithSummary("Disable an account")
            .WithDescription("""
                Operator key only. Its API keys stop authenticating (401) — at once on this node, within
                `Outdial:Api:ApiKeyCacheDuration` (30 s) on others — and its calls wait undialed (a call still expires at its
                expiry) until it is enabled again. Nothing is deleted. Disabling a disabled account keeps its first `disabledAt`.
                """)
            .Produces<AdminAccountResource>()
            .ProducesNotFound();
        group.MapPost("/{id}/enable", (string id, IAccountStore store, ApiKeyVerifier verifier, CancellationToken ct) =>
            SetDisabledAsync(id, null, store, verifier, ct)).WithName("AdminEnableAccount")
            .WithSummary("Enable an account")
            .WithDescription("Operator key only. Its API keys work again and its waiting calls are dialed under the usual rules.")
            .Produces<AdminAccountResource>()
            .ProducesNotFound();
        return group;
    }

    /// <summary>201 with the new account and its first API key; 400 (validation problem) on a bad body, nothing written.</summary>
    public static async Task<IResult> CreateAsync([FromBody] CreateAccountRequest body, IAccountStore store, IOptions<OutdialOptions> options,
        TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 200)
        {
            errors["name"] = ["is required (1–200 characters)"];
        }
        var callerId = body.CallerId ?? options.Value.BootstrapCallerId;
        if (!E164.IsValid(callerId))
        {
            errors["callerId"] = ["must be an E.164 number such as +15550000100"];
        }
        if (body.MaxConcurrentCalls is < 1 or > 10_000)
        {
            errors["maxConcurrentCalls"] = ["must be 1–10000"];
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var now = clock.GetUtcNow();
        var n = NewAccount.Create(body.Name!.Trim(), callerId, "first key", now,
            requireConsent: body.RequireConsent ?? true, maxConcurrentCalls: body.MaxConcurrentCalls ?? 10);
        await store.CreateAccountAsync(n.Account, n.Agent, n.Number, n.Key, ct);
        return TypedResults.Created($"/v1/admin/accounts/{n.Account.Id}", new CreatedAccountResource(AdminAccountResource.Of(n.Account),
            n.Agent.Id, n.Number.Id, new CreatedApiKeyResource(n.Key.Id, n.Key.Name, n.Key.Prefix, now.UtcDateTime, n.Secret)));
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IAccountStore store, CancellationToken ct)
    {
        if (!Paging.TryLimit(request.Query, out var limit, out var problem))
        {
            return problem!;
        }
        var page = await store.ListAccountsAsync(Paging.Str(request.Query, "cursor"), limit + 1, ct);
        var data = page.Take(limit).Select(AdminAccountResource.Of).ToList();
        return TypedResults.Ok(new AdminAccountList(data, page.Count > limit ? data[^1].Id : null));
    }

    private static async Task<IResult> SetDisabledAsync(string id, DateTimeOffset? at, IAccountStore store, ApiKeyVerifier verifier, CancellationToken ct)
    {
        if (!await store.SetAccountDisabledAsync(id, at, ct))
        {
            return Problems.NotFound("account");
        }
        verifier.ForgetAccount(id);
        return await store.GetAccountAsync(id, ct) is { } a ? TypedResults.Ok(AdminAccountResource.Of(a)) : Problems.NotFound("account");
    }
}
