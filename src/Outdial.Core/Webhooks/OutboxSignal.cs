using Outdial.Core.Common;

namespace Outdial.Core.Webhooks;

/// <summary>Wakes the webhook deliverer: deliveries were written or an attempt finished, so a call's next event goes out at once.</summary>
public sealed class OutboxSignal : WorkSignal;
