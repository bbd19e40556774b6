namespace Outdial.Core.Webhooks;

/// <summary>
/// A body format a per-call webhook can name (<see cref="Calls.CallWebhook.Format"/>) instead of Outdial's Standard
/// Webhooks payload — a seed dialect's own push. Dialects register theirs as singletons; the
/// <see cref="WebhookDeliverer"/> calls <see cref="Render"/> when it sends a delivery whose
/// <see cref="WebhookDelivery.Format"/> is <see cref="Format"/>.
/// </summary>
/// <remarks>
/// Every delivery of a formatted webhook is stored like any other: its <see cref="WebhookDelivery.Body"/> is the event's
/// standard payload (<see cref="WebhookOutbox.Payload"/>: <c>{"id", "type", "timestamp", "data": call resource as of the
/// event}</c>), a snapshot taken in the event's transaction. The formatter turns one or more of those into the body that is
/// POSTed (<c>application/json</c>, signed with the Standard Webhooks headers like any delivery). A retry renders again,
/// possibly together with other deliveries then due, so rendering must depend on the deliveries' stored fields only.
/// </remarks>
public interface ICallWebhookFormatter
{
    /// <summary>
    /// The format's name, compared ordinally with <see cref="Calls.CallWebhook.Format"/>. It is stored with every call and
    /// delivery that uses it, so it never changes once released; one formatter per name.
    /// </summary>
    string Format { get; }

    /// <summary>
    /// The body to send for <paramref name="deliveries"/>: one delivery, or — for batched deliveries
    /// (<see cref="WebhookDelivery.Batched"/>) — every delivery of this format due together for the same account, URL and
    /// secret, in claim order (oldest due first). Never empty.
    /// </summary>
    /// <exception cref="System.Text.Json.JsonException">
    /// A delivery's body is not of a shape the format reads. The deliverer records such a delivery as <c>failed</c> with
    /// the message as the attempt's error, without sending it (retrying could not help), and sends the rest of its batch.
    /// Any other exception is treated the same way.
    /// </exception>
    string Render(IReadOnlyList<WebhookDelivery> deliveries);
}
