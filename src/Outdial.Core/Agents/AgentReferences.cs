using Outdial.Core.Storage;

namespace Outdial.Core.Agents;

/// <summary>
/// The one agent lookup every API uses (intake, campaigns): a reference is an agent id, else an agent key, else one of an
/// agent's <see cref="Agent.ExternalRefs"/> (a scenario path, a vendor's project or template id). Exact, case-sensitive,
/// scoped to the account; deleted agents are never found.
/// </summary>
public static class AgentReferences
{
    /// <summary>
    /// The live agent <paramref name="reference"/> names in the account, and whether it was found by external reference
    /// (false: by id or key); null when none (the caller decides: refuse, or fall back per <see cref="Accounts.Account.StrictAgentRefs"/>).
    /// </summary>
    public static async Task<(Agent Agent, bool External)?> FindAsync(IAgentStore agents, string accountId, string reference,
        CancellationToken ct)
    {
        if ((await agents.GetAgentAsync(accountId, reference, ct) ?? await agents.FindAgentByKeyAsync(accountId, reference, ct)) is { } named)
        {
            return (named, false);
        }
        return await agents.FindAgentByRefAsync(accountId, reference, ct) is { } referenced ? (referenced, true) : null;
    }
}
