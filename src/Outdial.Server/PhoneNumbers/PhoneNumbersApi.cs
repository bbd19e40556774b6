using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.PhoneNumbers;
using Outdial.Core.Storage;
using Outdial.Core.Telephony;
using Outdial.Server.Infrastructure;
using Outdial.Server.OpenApi;

namespace Outdial.Server.PhoneNumbers;

/// <summary>Body of <c>POST /v1/phone-numbers</c>. <c>callsPerSecond</c> is dials per second (0 &lt; cps ≤ 100).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PhoneNumberRequest(string? Number, string? Label, string? Provider, string? AgentId, double? CallsPerSecond);

/// <summary>The phone number (caller ID) resource. Times UTC.</summary>
public sealed record PhoneNumberResource(string Id, string Number, string? Label, string Provider, string? AgentId, double CallsPerSecond, DateTime CreatedAt, DateTime UpdatedAt)
{
    public static PhoneNumberResource From(PhoneNumber n) =>
        new(n.Id, n.Number, n.Label, n.Provider, n.AgentId, n.CallsPerSecond, n.CreatedAt.UtcDateTime, n.UpdatedAt.UtcDateTime);
}

/// <summary>Every phone number of the account (<c>GET /v1/phone-numbers</c>).</summary>
public sealed record PhoneNumberList(IReadOnlyList<PhoneNumberResource> Data);

/// <summary>The native phone numbers API: <c>/v1/phone-numbers</c>.</summary>
public static class PhoneNumbersApi
{
    public static RouteGroupBuilder MapPhoneNumbers(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/phone-numbers").WithTags("Phone numbers").RequireAuthorization();
        group.MapPost("/", CreateAsync).WithName("CreatePhoneNumber")
            .WithSummary("Add a phone number")
            .WithDescription("""
                A caller ID the account owns: `number` (E.164, unique in the account), `label`, `provider` (`sandbox` by default;
                others once configured on the server), `agentId` (the agent for calls from it) and `callsPerSecond` (0 < cps ≤ 100,
                default 1). 201 with the number and its `Location`.
                """)
            .Produces<PhoneNumberResource>(StatusCodes.Status201Created)
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "phone_number_taken")
            .ProducesValidationFailed();
        group.MapGet("/", async (ClaimsPrincipal user, IAgentStore store, CancellationToken ct) =>
            TypedResults.Ok(new PhoneNumberList([.. (await store.ListPhoneNumbersAsync(user.AccountId(), ct)).Select(PhoneNumberResource.From)])))
            .WithName("ListPhoneNumbers")
            .WithSummary("List phone numbers")
            .WithDescription("Every caller ID of the account.");
        group.MapGet("/{id}", async (string id, ClaimsPrincipal user, IAgentStore store, CancellationToken ct) =>
            await store.GetPhoneNumberAsync(user.AccountId(), id, ct) is { } n ? (IResult)TypedResults.Ok(PhoneNumberResource.From(n)) : Problems.NotFound("phone number"))
            .WithName("GetPhoneNumber")
            .WithSummary("Get a phone number")
            .WithDescription("One caller ID of the account.")
            .Produces<PhoneNumberResource>()
            .ProducesNotFound();
        group.MapPatch("/{id}", UpdateAsync).WithName("UpdatePhoneNumber").Accepts<PhoneNumberRequest>("application/merge-patch+json", "application/json")
            .WithSummary("Update a phone number")
            .WithDescription("JSON Merge Patch (RFC 7396) at the top level; the result is validated like a create.")
            .Produces<PhoneNumberResource>()
            .ProducesNotFound()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "phone_number_taken")
            .ProducesValidationFailed();
        group.MapDelete("/{id}", async (string id, ClaimsPrincipal user, IAgentStore store, CancellationToken ct) =>
            await store.DeletePhoneNumberAsync(user.AccountId(), id, ct) ? (IResult)TypedResults.NoContent() : Problems.NotFound("phone number"))
            .WithName("DeletePhoneNumber")
            .WithSummary("Delete a phone number")
            .WithDescription("Removes the caller ID from the account (204).")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesNotFound();
        return group;
    }

    /// <summary>201; 409 <c>phone_number_taken</c>; 422 <c>validation_failed</c> (bad E.164, unknown or unconfigured provider, unknown agent, CPS out of range).</summary>
    public static async Task<IResult> CreateAsync([FromBody] PhoneNumberRequest body, ClaimsPrincipal user, IAgentStore store,
        TelephonyProviders providers, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var (number, errors) = await BuildAsync(body, Ids.New("pn", now), user.AccountId(), now, now, store, providers, ct);
        if (number is null)
        {
            return Problems.Validation(errors);
        }
        return await store.CreatePhoneNumberAsync(number, ct) == UpsertResult.Conflict
            ? Taken(number.Number)
            : TypedResults.Created($"/v1/phone-numbers/{number.Id}", PhoneNumberResource.From(number));
    }

    public static async Task<IResult> UpdateAsync(string id, [FromBody] JsonObject patch, ClaimsPrincipal user, IAgentStore store,
        TelephonyProviders providers, IOptions<JsonOptions> json, TimeProvider clock, CancellationToken ct)
    {
        var current = await store.GetPhoneNumberAsync(user.AccountId(), id, ct);
        if (current is null)
        {
            return Problems.NotFound("phone number");
        }
        var request = MergePatch.Apply(new PhoneNumberRequest(current.Number, current.Label, current.Provider, current.AgentId, current.CallsPerSecond),
            patch, json.Value.SerializerOptions);
        var (number, errors) = await BuildAsync(request, current.Id, current.AccountId, current.CreatedAt, clock.GetUtcNow(), store, providers, ct);
        if (number is null)
        {
            return Problems.Validation(errors);
        }
        return await store.UpdatePhoneNumberAsync(number, ct) switch
        {
            UpsertResult.Conflict => Taken(number.Number),
            UpsertResult.NotFound => Problems.NotFound("phone number"),
            _ => TypedResults.Ok(PhoneNumberResource.From(number)),
        };
    }

    private static async Task<(PhoneNumber?, Dictionary<string, string[]>)> BuildAsync(PhoneNumberRequest body, string id, string accountId,
        DateTimeOffset createdAt, DateTimeOffset now, IAgentStore store, TelephonyProviders providers, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!E164.IsValid(body.Number))
        {
            errors["number"] = [E164.Rule];
        }
        var provider = body.Provider ?? "sandbox";
        if (!PhoneNumber.KnownProviders.Contains(provider))
        {
            errors["provider"] = ["must be one of sandbox, twilio, telnyx, plivo"];
        }
        else if (providers.Find(provider) is null)
        {
            errors["provider"] = [$"'{provider}' is not configured on this server"];
        }
        if (body.AgentId is { } agentId && await store.GetAgentAsync(accountId, agentId, ct) is null)
        {
            errors["agentId"] = ["is not an agent of this account"];
        }
        var cps = body.CallsPerSecond ?? 1;
        if (cps is <= 0 or > 100 || !double.IsFinite(cps))
        {
            errors["callsPerSecond"] = ["must be greater than 0 and at most 100"];
        }
        if (body.Label is { Length: > 100 })
        {
            errors["label"] = ["must be at most 100 characters"];
        }
        if (errors.Count > 0)
        {
            return (null, errors);
        }
        return (new PhoneNumber
        {
            Id = id,
            AccountId = accountId,
            Number = body.Number!,
            Label = body.Label,
            Provider = provider,
            AgentId = body.AgentId,
            CallsPerSecond = cps,
            CreatedAt = createdAt,
            UpdatedAt = now,
        }, errors);
    }

    private static IResult Taken(string number) =>
        Problems.Create(StatusCodes.Status409Conflict, "phone_number_taken", "The account already has this phone number.", $"{number} is already registered.");
}
