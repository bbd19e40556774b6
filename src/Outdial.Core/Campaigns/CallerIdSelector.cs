using Outdial.Core.Compliance;
using Outdial.Core.PhoneNumbers;
using Outdial.Core.Storage;

namespace Outdial.Core.Campaigns;

/// <summary>
/// Picks a campaign call's caller ID from the campaign's pool (<see cref="Campaign.CallerIds"/>) per its
/// <see cref="CallerIdStrategy"/>: fixed (first number), round robin (next number per new call; the counter is
/// <see cref="IRoundRobin"/>'s: per process on one node, shared through the database with several), or local presence (a pool number with the callee's +1 area code, else one in the callee's region, else
/// country, else round robin). Numbers deleted since the campaign was saved are skipped.
/// </summary>
public sealed class CallerIdSelector(IAgentStore agents, IRoundRobin turns)
{
    /// <summary>The caller ID for a new call to <paramref name="to"/> (E.164), or null when no pool number still exists.</summary>
    public async Task<PhoneNumber?> PickAsync(Campaign campaign, string to, CancellationToken ct)
    {
        var pool = new List<PhoneNumber>(campaign.CallerIds.Count);
        foreach (var id in campaign.CallerIds)
        {
            if (await agents.GetPhoneNumberAsync(campaign.AccountId, id, ct) is { } n)
            {
                pool.Add(n);
            }
        }
        if (pool.Count == 0)
        {
            return null;
        }
        switch (campaign.CallerIdStrategy)
        {
            case CallerIdStrategy.Fixed:
                return pool[0];
            case CallerIdStrategy.LocalPresence when to.Length > 0 && Local(pool, to) is { } local:
                return local;
            default:
                var i = await turns.NextAsync("caller-id:" + campaign.Id, ct);
                return pool[(int)((ulong)i % (ulong)pool.Count)];
        }
    }

    private static PhoneNumber? Local(List<PhoneNumber> pool, string to)
    {
        if (CalleeZones.AreaCode(to) is { } npa && pool.Find(n => CalleeZones.AreaCode(n.Number) == npa) is { } sameArea)
        {
            return sameArea;
        }
        var callee = CalleeZones.Resolve(to);
        if (callee.Region is { } region && pool.Find(n => CalleeZones.Resolve(n.Number).Region == region) is { } sameRegion)
        {
            return sameRegion;
        }
        return callee.Country is { } country && pool.Find(n => CalleeZones.Resolve(n.Number).Country == country) is { } sameCountry
            ? sameCountry
            : null;
    }
}
