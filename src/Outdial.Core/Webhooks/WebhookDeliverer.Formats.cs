namespace Outdial.Core.Webhooks;

/// <summary>How claimed deliveries become sending units and bodies: batches, and the formats of per-call webhooks.</summary>
public sealed partial class WebhookDeliverer
{
    private static Dictionary<string, ICallWebhookFormatter> Formatters(IEnumerable<ICallWebhookFormatter> formatters)
    {
        var byName = new Dictionary<string, ICallWebhookFormatter>(StringComparer.Ordinal);
        foreach (var formatter in formatters)
        {
            if (!byName.TryAdd(formatter.Format, formatter))
            {
                throw new InvalidOperationException($"two webhook formatters claim the format '{formatter.Format}'");
            }
        }
        return byName;
    }

    /// <summary>
    /// Claimed deliveries as sending units: each alone, except batched deliveries with a format
    /// (<see cref="WebhookDelivery.Batched"/>), which go out together per account, URL, format and secret, in claim order.
    /// The secret is part of the key so that no delivery is signed with another webhook's secret.
    /// </summary>
    private static IEnumerable<IReadOnlyList<WebhookDelivery>> GroupBatches(IReadOnlyList<WebhookDelivery> due)
    {
        var batches = new Dictionary<(string, string, string, string?), List<WebhookDelivery>>();
        foreach (var delivery in due)
        {
            if (!delivery.Batched || delivery.Format is not { } format)
            {
                yield return [delivery];
                continue;
            }
            var key = (delivery.AccountId, delivery.Url, format, delivery.Secret);
            if (!batches.TryGetValue(key, out var list))
            {
                batches[key] = list = [];
            }
            list.Add(delivery);
        }
        foreach (var list in batches.Values)
        {
            yield return list;
        }
    }

    /// <summary>
    /// The body of a sending unit (all of one format): a standard delivery's stored payload as is, otherwise its formatter's
    /// render. Deliveries that cannot be rendered — no formatter is registered for their format, or it refuses their body —
    /// are returned as refused with the reason, to be failed without being sent; the rest of the unit is still sent.
    /// </summary>
    private (IReadOnlyList<WebhookDelivery> Sendable, string Body, IReadOnlyList<(WebhookDelivery Delivery, string Error)> Refused)
        Render(IReadOnlyList<WebhookDelivery> unit)
    {
        if (unit[0].Format is not { } format)
        {
            return (unit, unit[0].Body, []);
        }
        if (!_formatters.TryGetValue(format, out var formatter))
        {
            return ([], "", [.. unit.Select(d => (d, $"no formatter is registered for format '{format}'; not sent"))]);
        }
        if (TryRender(formatter, unit, out var body, out var error))
        {
            return (unit, body, []);
        }
        if (unit.Count == 1)
        {
            return ([], "", [(unit[0], error)]);
        }
        // One unreadable delivery must not hold back the others: find it by rendering each alone.
        var sendable = new List<WebhookDelivery>();
        var refused = new List<(WebhookDelivery, string)>();
        foreach (var delivery in unit)
        {
            if (TryRender(formatter, [delivery], out _, out var alone))
            {
                sendable.Add(delivery);
            }
            else
            {
                refused.Add((delivery, alone));
            }
        }
        if (sendable.Count > 0 && TryRender(formatter, sendable, out body, out error))
        {
            return (sendable, body, refused);
        }
        return ([], "", [.. refused, .. sendable.Select(d => (d, error))]);
    }

    private static bool TryRender(ICallWebhookFormatter formatter, IReadOnlyList<WebhookDelivery> deliveries, out string body, out string error)
    {
        try
        {
            body = formatter.Render(deliveries);
            error = "";
            return true;
        }
        catch (Exception ex)
        {
            body = "";
            error = $"format '{formatter.Format}' could not render the body: {ex.Message}; not sent";
            return false;
        }
    }
}
