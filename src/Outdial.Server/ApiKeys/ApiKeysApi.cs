using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using Outdial.Core.Accounts;
using Outdial.Core.Common;
using Outdial.Core.Storage;
using Outdial.Server.Infrastructure;
using Outdial.Server.OpenApi;

namespace Outdial.Server.ApiKeys;


/// <summary>Body of <c>POST /v1/api-keys</c> and <c>PATCH /v1/api-keys/{id}</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ApiKeyRequest(string? Name);

/// <summary>An API key as listed: only its visible prefix, never the secret. Times UTC.</summary>
public sealed record ApiKeyResource(string Id, string Name, string Prefix, DateTime CreatedAt, DateTime? RevokedAt)
{
    public static ApiKeyResource From(ApiKey k) => new(k.Id, k.Name, k.Prefix, k.CreatedAt.UtcDateTime, k.RevokedAt?.UtcDateTime);
}

/// <summary>A newly created key: <c>key</c> is the secret, shown this once.</summary>
public sealed record CreatedApiKeyResource(string Id, string Name, string Prefix, DateTime CreatedAt, string Key);

/// <summary>Every API key of the account, revoked ones included (<c>GET /v1/api-keys</c>).</summary>
public sealed record ApiKeyList(IReadOnlyList<ApiKeyResource> Data);

/// <summary>The native API keys API: <c>/v1/api-keys</c>. Deleting a key revokes it (immediately on this node).</summary>
public static class ApiKeySecretsApi
{
    public static RouteGroupBuilder MapApiKeys(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/api-keys").WithTags("API keys").RequireAuthorization();
        group.MapPost("/", CreateAsync).WithName("CreateApiKey")
            .WithSummary("Create an API key")
            .WithDescription("A new key for the account (`name` optional, at most 100 characters). 201 with the secret `key`, shown this once: only its SHA-256 hash is stored.")
            .Produces<CreatedApiKeyResource>(StatusCodes.Status201Created)
            .ProducesValidationFailed();
        group.MapGet("/", async (ClaimsPrincipal user, IAccountStore store, CancellationToken ct) =>
            TypedResults.Ok(new ApiKeyList([.. (await store.ListApiKeysAsync(user.AccountId(), ct)).Select(ApiKeyResource.From)]))).WithName("ListApiKeys")
            .WithSummary("List API keys")
            .WithDescription("The account's keys with their visible `prefix`, never the secret; revoked keys show `revokedAt`.");
        group.MapGet("/{id}", async (string id, ClaimsPrincipal user, IAccountStore store, CancellationToken ct) =>
            await store.GetApiKeyAsync(user.AccountId(), id, ct) is { } k ? (IResult)TypedResults.Ok(ApiKeyResource.From(k)) : Problems.NotFound("API key"))
            .WithName("GetApiKey")
            .WithSummary("Get an API key")
            .WithDescription("One key of the account, with its visible `prefix` only.")
            .Produces<ApiKeyResource>()
            .ProducesNotFound();
        group.MapPatch("/{id}", async (string id, [FromBody] ApiKeyRequest body, ClaimsPrincipal user, IAccountStore store, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 100)
            {
                return (IResult)Problems.Validation("name", "is required (1–100 characters)");
            }
            return await store.RenameApiKeyAsync(user.AccountId(), id, body.Name, ct) && await store.GetApiKeyAsync(user.AccountId(), id, ct) is { } k
                ? TypedResults.Ok(ApiKeyResource.From(k))
                : (IResult)Problems.NotFound("API key");
        }).WithName("UpdateApiKey")
            .WithSummary("Rename an API key")
            .WithDescription("Sets the key's `name` (1–100 characters).")
            .Produces<ApiKeyResource>()
            .ProducesNotFound()
            .ProducesValidationFailed();
        group.MapDelete("/{id}", async (string id, ClaimsPrincipal user, IAccountStore store, ApiKeyVerifier verifier, TimeProvider clock, CancellationToken ct) =>
        {
            if (!await store.RevokeApiKeyAsync(user.AccountId(), id, clock.GetUtcNow(), ct))
            {
                return (IResult)Problems.NotFound("API key");
            }
            verifier.Forget(id);
            return TypedResults.NoContent();
        }).WithName("RevokeApiKey")
            .WithSummary("Revoke an API key")
            .WithDescription("Revokes the key (204): at once on this node, within `Outdial:Api:ApiKeyCacheDuration` (30 s) on others.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesNotFound();
        return group;
    }

    /// <summary>201 with the secret key (shown once; only its SHA-256 hash is stored).</summary>
    public static async Task<IResult> CreateAsync([FromBody] ApiKeyRequest body, ClaimsPrincipal user, IAccountStore store, TimeProvider clock, CancellationToken ct)
    {
        if (body.Name is { Length: > 100 })
        {
            return Problems.Validation("name", "must be at most 100 characters");
        }
        var now = clock.GetUtcNow();
        var secret = ApiKeySecrets.Generate();
        var key = new ApiKey(Ids.New("key", now), user.AccountId(), body.Name ?? "", ApiKeySecrets.VisiblePrefix(secret), ApiKeySecrets.Hash(secret), now, null);
        await store.CreateApiKeyAsync(key, ct);
        return TypedResults.Created($"/v1/api-keys/{key.Id}", new CreatedApiKeyResource(key.Id, key.Name, key.Prefix, now.UtcDateTime, secret));
    }
}
