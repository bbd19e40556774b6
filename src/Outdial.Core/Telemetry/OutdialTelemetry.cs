using System.Diagnostics;
using System.Diagnostics.Metrics;
using Outdial.Core.Calls;
using Outdial.Core.Storage;
using Outdial.Core.Webhooks;

namespace Outdial.Core.Telemetry;

/// <summary>
/// Outdial's own traces and metrics, in .NET's <see cref="System.Diagnostics"/> APIs (an OpenTelemetry SDK exports them when
/// the operator configures one; with none, each measurement costs a check and nothing more). Meter and activity source are
/// both named <see cref="Name"/>. No instrument or span carries a phone number, a call id (an IVR call id is a bearer
/// secret) or call content; tags are low-cardinality names.
/// <list type="table">
/// <item><term><c>outdial.calls.accepted</c></term><description>counter, calls stored by intake; tag <c>status</c> (<c>queued</c>, <c>scheduled</c>).</description></item>
/// <item><term><c>outdial.calls.dialed</c></term><description>counter, attempts handed to a provider; tag <c>provider</c>.</description></item>
/// <item><term><c>outdial.calls.ended</c></term><description>counter, calls that ended; tags <c>outcome</c> (<c>answered</c>, <c>no_answer</c>, <c>busy</c>, …), <c>provider</c>.</description></item>
/// <item><term><c>outdial.dial.duration</c></term><description>histogram, seconds the provider took to accept or refuse a dial; tags <c>provider</c>, <c>result</c> (<c>placed</c>, <c>refused</c>, <c>unknown</c>).</description></item>
/// <item><term><c>outdial.dial.lateness</c></term><description>histogram, seconds between a call's due time and its dial.</description></item>
/// <item><term><c>outdial.webhooks.lag</c></term><description>histogram, seconds from a webhook event to its delivery's 2xx; tag <c>destination</c> (<c>endpoint</c>, <c>call</c>).</description></item>
/// <item><term><c>outdial.store.commit.writes</c></term><description>histogram, writes sharing one commit of the store's writer (group commit).</description></item>
/// <item><term><c>outdial.store.commit.duration</c></term><description>histogram, seconds from a write transaction's start to its durable commit (fsync included).</description></item>
/// <item><term><c>outdial.store.write.wait</c></term><description>histogram, seconds a write waited in the writer's queue before its transaction began.</description></item>
/// <item><term><c>outdial.calls.due</c>, <c>outdial.webhooks.due</c></term><description>gauges, the dispatch and delivery backlogs (<see cref="BacklogGauges"/>).</description></item>
/// </list>
/// Spans: <c>outdial.dial</c> (one provider dial) and <c>outdial.webhook.deliver</c> (one delivery attempt); ASP.NET Core's and
/// HttpClient's own instrumentation add the request spans around and below them.
/// </summary>
public static class OutdialTelemetry
{
    /// <summary>The meter's and the activity source's name, <c>Outdial</c>.</summary>
    public const string Name = "Outdial";

    /// <summary>Outdial's activity source (spans).</summary>
    public static readonly ActivitySource Source = new(Name, typeof(OutdialTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Outdial's meter.</summary>
    public static readonly Meter Meter = new(Name, typeof(OutdialTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> Accepted = Meter.CreateCounter<long>("outdial.calls.accepted", "{call}", "Calls stored by intake.");
    private static readonly Counter<long> Dialed = Meter.CreateCounter<long>("outdial.calls.dialed", "{attempt}", "Attempts handed to a telephony provider.");
    private static readonly Counter<long> Ended = Meter.CreateCounter<long>("outdial.calls.ended", "{call}", "Calls that ended, by outcome.");
    private static readonly Histogram<double> DialDuration = Meter.CreateHistogram<double>("outdial.dial.duration", "s", "Time the provider took to accept or refuse a dial.");
    private static readonly Histogram<double> DialLateness = Meter.CreateHistogram<double>("outdial.dial.lateness", "s", "Time between a call's due time and its dial.");
    private static readonly Histogram<double> WebhookLag = Meter.CreateHistogram<double>("outdial.webhooks.lag", "s", "Time from a webhook event to its delivery's 2xx.");

    private static readonly Histogram<long> CommitWrites = Meter.CreateHistogram<long>("outdial.store.commit.writes", "{write}", "Writes sharing one commit of the store's writer.");
    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("outdial.store.commit.duration", "s", "Time from a write transaction's start to its durable commit.");
    private static readonly Histogram<double> WriteWait = Meter.CreateHistogram<double>("outdial.store.write.wait", "s", "Time a write waited in the writer's queue.");
    private static readonly Histogram<double> WriteDuration = Meter.CreateHistogram<double>("outdial.store.write.duration", "s",
        "Time one write took inside the writer's transaction (before the commit), by store operation.");

    /// <summary>The store's writer committed <paramref name="writes"/> writes in one transaction of <paramref name="seconds"/>.</summary>
    public static void StoreCommitted(int writes, double seconds)
    {
        CommitWrites.Record(writes);
        CommitDuration.Record(seconds);
    }

    /// <summary>A write waited <paramref name="seconds"/> in the store writer's queue.</summary>
    public static void StoreWriteWaited(double seconds) => WriteWait.Record(seconds);

    /// <summary>The store operation <paramref name="operation"/> (e.g. <c>CreateCallAsync</c>) ran for <paramref name="seconds"/> inside the writer's transaction.</summary>
    public static void StoreWriteRan(string operation, double seconds) =>
        WriteDuration.Record(seconds, new KeyValuePair<string, object?>("operation", operation));

    /// <summary>Intake stored <paramref name="call"/>.</summary>
    public static void CallAccepted(Call call) => Accepted.Add(1, new KeyValuePair<string, object?>("status", call.Status.ToWire()));

    /// <summary>A change was applied; counts a dial (a new attempt) or an end (by outcome).</summary>
    public static void ChangeApplied(CallChange change, string? provider)
    {
        if (change.NewAttempt is { } attempt)
        {
            Dialed.Add(1, new KeyValuePair<string, object?>("provider", attempt.Provider));
        }
        if (change.Next == CallStatus.Ended)
        {
            Ended.Add(1, new KeyValuePair<string, object?>("outcome", change.Outcome?.ToWire() ?? "unknown"),
                new KeyValuePair<string, object?>("provider", provider ?? change.AttemptUpdate?.Provider ?? "none"));
        }
    }

    /// <summary>A dial was answered by the provider after <paramref name="seconds"/>; <paramref name="result"/> is <c>placed</c>, <c>refused</c> or <c>unknown</c>.</summary>
    public static void Dial(string provider, string result, double seconds) =>
        DialDuration.Record(seconds, new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("result", result));

    /// <summary>A call due at <paramref name="dueAt"/> was dialed at <paramref name="at"/> (both UTC).</summary>
    public static void DialedLate(DateTimeOffset dueAt, DateTimeOffset at) => DialLateness.Record(Math.Max(0, (at - dueAt).TotalSeconds));

    /// <summary><paramref name="delivery"/> (its event's time is its creation) got its 2xx at <paramref name="at"/> (UTC).</summary>
    public static void Delivered(WebhookDelivery delivery, DateTimeOffset at) =>
        WebhookLag.Record(Math.Max(0, (at - delivery.CreatedAt).TotalSeconds),
            new KeyValuePair<string, object?>("destination", delivery.EndpointId is null ? "call" : "endpoint"));
}

/// <summary>
/// The backlog gauges <c>outdial.calls.due</c> and <c>outdial.webhooks.due</c>: one count query each per metrics
/// collection (an exporter's interval, 60 s by default), never on a request path. Created once, when telemetry is on, on a
/// meter of the host's <see cref="IMeterFactory"/> (named <see cref="OutdialTelemetry.Name"/>), so the gauges go with the host.
/// </summary>
public sealed class BacklogGauges
{
    /// <summary>Registers the gauges.</summary>
    public BacklogGauges(IMeterFactory meters, ICallStore calls, IWebhookStore webhooks, TimeProvider clock)
    {
        var meter = meters.Create(OutdialTelemetry.Name);
        meter.CreateObservableGauge("outdial.calls.due",
            () => calls.CountDueCallsAsync(clock.GetUtcNow(), CancellationToken.None).GetAwaiter().GetResult(), "{call}",
            "Calls scheduled or queued and due now (the dispatch backlog).");
        meter.CreateObservableGauge("outdial.webhooks.due",
            () => webhooks.CountDueDeliveriesAsync(clock.GetUtcNow(), CancellationToken.None).GetAwaiter().GetResult(), "{delivery}",
            "Webhook deliveries pending and due now (the delivery backlog).");
    }
}
