using System.Security.Claims;
using System.Text.Json.Nodes;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Outdial.Core.Common;
using Outdial.Core.Agents;
using Outdial.Core.Storage;
using Outdial.Server.Infrastructure;
using Outdial.Server.OpenApi;

namespace Outdial.Server.Agents;

/// <summary>The native agents API: <c>/v1/agents</c>.</summary>
public static class AgentsApi
{
    public static RouteGroupBuilder MapAgents(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/agents").WithTags("Agents").RequireAuthorization();
        group.MapPost("/", CreateAsync).WithName("CreateAgent")
            .WithSummary("Create an agent")
            .WithDescription("""
                An agent: `name`, `key` (a slug unique in the account; from the name when absent), `externalRefs` (the ids other
                systems use for it), `prompt` and `firstMessage` with `{variable}` placeholders, `language`, `voice`, declared
                `variables`, `insightQuestions`, `callingWindow`, `outsideWindow`, caller ID (`phoneNumberId`), `isDefault`,
                `retry`, answering-machine detection, and the conversation settings. 201 with the agent and its `Location`.
                """)
            .Produces<AgentResource>(StatusCodes.Status201Created)
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "agent_key_taken", "agent_ref_taken")
            .ProducesValidationFailed();
        group.MapGet("/", async (ClaimsPrincipal user, IAgentStore agents, CancellationToken ct) =>
            TypedResults.Ok(new AgentList([.. (await agents.ListAgentsAsync(user.AccountId(), ct)).Select(AgentMapping.ToResource)]))).WithName("ListAgents")
            .WithSummary("List agents")
            .WithDescription("Every agent of the account.");
        group.MapGet("/{id}", async (string id, ClaimsPrincipal user, IAgentStore agents, CancellationToken ct) =>
            await agents.GetAgentAsync(user.AccountId(), id, ct) is { } a ? (IResult)TypedResults.Ok(AgentMapping.ToResource(a)) : Problems.NotFound("agent"))
            .WithName("GetAgent")
            .WithSummary("Get an agent")
            .WithDescription("The agent with its prompt, variables, calling window, retry policy and conversation settings.")
            .Produces<AgentResource>()
            .ProducesNotFound();
        group.MapPatch("/{id}", UpdateAsync).WithName("UpdateAgent").Accepts<AgentRequest>("application/merge-patch+json", "application/json")
            .WithSummary("Update an agent")
            .WithDescription("""
                JSON Merge Patch (RFC 7396) at the top level; the result is validated like a create. Setting `isDefault: true` makes
                this the account's default agent; the default stops being it only when another agent is made the default.
                """)
            .Produces<AgentResource>()
            .ProducesNotFound()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "agent_key_taken", "agent_ref_taken")
            .ProducesValidationFailed();
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteAgent")
            .WithSummary("Delete an agent")
            .WithDescription("Deletes the agent (204). Calls already placed keep it. The account's default agent cannot be deleted: 409 `default_agent`.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesNotFound()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "default_agent");
        return group;
    }

    /// <summary>201 with the agent; 409 <c>agent_key_taken</c> or <c>agent_ref_taken</c>; 422 <c>validation_failed</c>.</summary>
    public static async Task<IResult> CreateAsync([FromBody] AgentRequest body, ClaimsPrincipal user, IAgentStore agents, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var agent = AgentMapping.Build(body, Ids.New("agt", now), user.AccountId(), now, now, errors);
        await CheckPhoneNumberAsync(body, user.AccountId(), agents, errors, ct);
        if (agent is null || errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        return await agents.CreateAgentAsync(agent, ct) == UpsertResult.Conflict
            ? await ConflictAsync(agent, agents, ct)
            : TypedResults.Created($"/v1/agents/{agent.Id}", AgentMapping.ToResource(agent));
    }

    /// <summary>Merge-patch (RFC 7396, top level); the result is validated like a create. An agent stops being the default only by making another one the default.</summary>
    public static async Task<IResult> UpdateAsync(string id, [FromBody] JsonObject patch, ClaimsPrincipal user, IAgentStore agents,
        IOptions<JsonOptions> json, TimeProvider clock, CancellationToken ct)
    {
        var current = await agents.GetAgentAsync(user.AccountId(), id, ct);
        if (current is null)
        {
            return Problems.NotFound("agent");
        }
        var request = MergePatch.Apply(AgentMapping.ToRequest(current), patch, json.Value.SerializerOptions);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var agent = AgentMapping.Build(request, current.Id, current.AccountId, current.CreatedAt, clock.GetUtcNow(), errors);
        await CheckPhoneNumberAsync(request, user.AccountId(), agents, errors, ct);
        if (current.IsDefault && request.IsDefault == false)
        {
            errors["isDefault"] = ["the default agent stays the default until another agent is made the default"];
        }
        if (agent is null || errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        return await agents.UpdateAgentAsync(agent, ct) switch
        {
            UpsertResult.Conflict => await ConflictAsync(agent, agents, ct),
            UpsertResult.NotFound => Problems.NotFound("agent"),
            _ => TypedResults.Ok(AgentMapping.ToResource(agent)),
        };
    }

    /// <summary>204; 404; 409 <c>default_agent</c> for the account's default agent. Calls already placed keep their agent.</summary>
    public static async Task<IResult> DeleteAsync(string id, ClaimsPrincipal user, IAgentStore agents, TimeProvider clock, CancellationToken ct) =>
        await agents.DeleteAgentAsync(user.AccountId(), id, clock.GetUtcNow(), ct) switch
        {
            UpsertResult.NotFound => Problems.NotFound("agent"),
            UpsertResult.Conflict => Problems.Create(StatusCodes.Status409Conflict, "default_agent", "The default agent cannot be deleted.",
                "Make another agent the default first."),
            _ => TypedResults.NoContent(),
        };

    private static async Task CheckPhoneNumberAsync(AgentRequest body, string accountId, IAgentStore agents, Dictionary<string, string[]> errors, CancellationToken ct)
    {
        if (body.PhoneNumberId is { } pn && await agents.GetPhoneNumberAsync(accountId, pn, ct) is null)
        {
            errors["phoneNumberId"] = ["is not a phone number of this account"];
        }
    }

    /// <summary>Which unique rule the write broke: an external reference another agent holds (<c>agent_ref_taken</c>), else the key.</summary>
    private static async Task<IResult> ConflictAsync(Agent agent, IAgentStore agents, CancellationToken ct)
    {
        foreach (var reference in agent.ExternalRefs)
        {
            if (await agents.FindAgentByRefAsync(agent.AccountId, reference, ct) is { } holder && holder.Id != agent.Id)
            {
                return Problems.Create(StatusCodes.Status409Conflict, "agent_ref_taken", "Another agent already has this external reference.",
                    $"The external reference '{reference}' names agent {holder.Id} in this account.");
            }
        }
        return KeyTaken(agent.Key);
    }

    private static IResult KeyTaken(string key) =>
        Problems.Create(StatusCodes.Status409Conflict, "agent_key_taken", "Another agent already has this key.", $"The key '{key}' is in use in this account.");
}
