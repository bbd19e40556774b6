using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using NodaTime;
using NodaTime.Text;
using Outdial.Core.Common;
using Outdial.Core.Compliance;
using Outdial.Core.Intake;

namespace Outdial.Core.Conversation;

internal sealed partial class ConversationSession
{
    /// <summary>Model requests per callee turn: a tool result (a callback's outcome, a failed transfer) needs the model to speak again.</summary>
    private const int MaxRoundsPerTurn = 4;

    /// <summary>
    /// The agent's reply to what the callee just said: the model streams its answer; its tool calls are carried out in order.
    /// <c>end_call</c>, <c>opt_out</c> and <c>transfer_call</c> end the session; <c>send_dtmf</c> presses keys and waits for what
    /// the callee (an IVR) says next; <c>schedule_callback</c> and an impossible transfer go back to the model to be spoken about.
    /// </summary>
    private async Task ReplyAsync(CancellationToken ct)
    {
        for (var round = 0; round < MaxRoundsPerTurn; round++)
        {
            var reply = await StreamReplyAsync(ct);
            if (reply.FailureKind is not null)
            {
                await OnModelFailureAsync(ct);
                return;
            }
            if (reply.Calls.Count == 0)
            {
                return;
            }
            // The tool calls join what the agent said in the same reply (the model's history must show them together).
            var assistant = reply.Message;
            if (assistant is null)
            {
                assistant = new ChatMessage(ChatRole.Assistant, []);
                _messages.Add(assistant);
            }
            foreach (var call in reply.Calls)
            {
                assistant.Contents.Add(call);
            }
            var speakAgain = false;
            foreach (var call in reply.Calls)
            {
                string result;
                switch (call.Name)
                {
                    case ConversationTools.EndCall:
                        await CloseAsync(reply.Text.Length == 0 ? _plan.Lines.Goodbye : null, ConversationEndReason.Completed, ct);
                        return;
                    case ConversationTools.OptOut:
                        await OptOutAsync("tool", ct);
                        return;
                    case ConversationTools.TransferCall when _plan.TransferNumber is { } number:
                        await TransferAsync(number, ct);
                        return;
                    case ConversationTools.TransferCall:
                        result = "No transfer number is set up for this agent: tell the callee you cannot transfer the call.";
                        speakAgain = true;
                        break;
                    case ConversationTools.SendDtmf:
                        result = await SendDigitsAsync(ConversationTools.Argument(call, "digits"));
                        break;
                    case ConversationTools.ScheduleCallback:
                        result = await ScheduleCallbackAsync(ConversationTools.Argument(call, "at"), ConversationTools.Argument(call, "timeZone"), ct);
                        speakAgain = true;
                        break;
                    default:
                        result = $"There is no tool named {call.Name}.";
                        speakAgain = true;
                        break;
                }
                _messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(call.CallId, result)]));
            }
            if (!speakAgain)
            {
                return;
            }
        }
    }

    /// <summary>The first failed model turn: a short fallback line. The second: a polite close (the attempt records both).</summary>
    private async Task OnModelFailureAsync(CancellationToken ct)
    {
        if (++_modelFailures == 1)
        {
            await SayAsync(_plan.Lines.Fallback ?? "");
            return;
        }
        await CloseAsync(_plan.Lines.FailureClose, ConversationEndReason.ModelFailure, ct);
    }

    /// <summary>
    /// Closes the call: the callback-number disclosure (unless already said), then <paramref name="line"/> — or, when the agent
    /// already said its goodbye (<paramref name="line"/> null), a last "Goodbye." after the disclosure — then <c>end</c>.
    /// </summary>
    private async Task CloseAsync(string? line, ConversationEndReason reason, CancellationToken ct)
    {
        var disclosure = ClosingDisclosure();
        var last = line ?? (disclosure.Length > 0 ? _plan.Lines.Bye : null);
        await SayAsync(string.Join(" ", new[] { disclosure, last }.Where(t => !string.IsNullOrWhiteSpace(t))),
            disclosure.Length > 0 ? [Disclosure.CallbackNumber] : null);
        await EndAsync(reason, null, ct);
    }

    private string ClosingDisclosure()
    {
        lock (_gate)
        {
            return _disclosed.Contains(Disclosure.CallbackNumber) ? "" : _plan.ClosingDisclosure;
        }
    }

    /// <summary>
    /// The callee asked not to be called again (<paramref name="how"/>: <c>tool</c> or <c>phrase</c>): a sticky DNC entry for the
    /// number (reason <c>opt_out_in_call</c>, source <c>call:{id}</c>; 47 CFR 64.1200(d)(3)), written before the agent confirms
    /// it, then a polite close.
    /// </summary>
    private async Task OptOutAsync(string how, CancellationToken ct)
    {
        var now = _clock.GetUtcNow();
        await _engine.Compliance.AddDncAsync([new DncEntry(_call.AccountId, _call.To, "opt_out_in_call", "call:" + _call.Id, OptOut: true, now)], CancellationToken.None);
        _optedOut = true;
        ConversationEngine.LogOptedOut(_engine.Log, _call.Id, how);
        var disclosure = ClosingDisclosure();
        await SayAsync(string.Join(" ", new[] { _plan.Lines.OptOutClose, disclosure }.Where(t => !string.IsNullOrWhiteSpace(t))),
            disclosure.Length > 0 ? [Disclosure.CallbackNumber] : null);
        await EndAsync(ConversationEndReason.OptedOut, null, ct);
    }

    /// <summary>Hands the call to <paramref name="number"/>: a short line, then <c>end</c> with the transfer in its handoff data.</summary>
    private async Task TransferAsync(string number, CancellationToken ct)
    {
        _transferredTo = number;
        await SayAsync(_plan.Lines.Transfer ?? "");
        await EndAsync(ConversationEndReason.Transferred, new Handoff(WireNames.Of(ConversationEndReason.Transferred), number), ct);
    }

    private async Task<string> SendDigitsAsync(string? digits)
    {
        if (string.IsNullOrEmpty(digits) || digits.Length > 32 || digits.Any(c => !char.IsAsciiDigit(c) && c is not ('*' or '#' or 'w' or 'W')))
        {
            return "Nothing was sent: digits must be 1 to 32 of 0-9, * and #, with w for a pause.";
        }
        await SendAsync(new RelaySendDigits(digits));
        Persist(NewTurn(TranscriptSpeaker.Agent, "", Elapsed()) with { Dtmf = digits });
        return $"Sent {digits}.";
    }

    /// <summary>
    /// The callee asked to be called back at <paramref name="at"/> (ISO-8601 with an offset, or local time in
    /// <paramref name="timeZone"/>, else in the callee's zone): a new call for the same contact and agent through intake — the one
    /// eligibility function decides it like any request (queued, scheduled, or refused with its code). The decision is kept in the
    /// attempt's summary, the new call names this one as <c>callbackOf</c>, and the returned text tells the model what to say.
    /// </summary>
    private async Task<string> ScheduleCallbackAsync(string? at, string? timeZone, CancellationToken ct)
    {
        var zone = timeZone is { Length: > 0 } && DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone) is not null ? timeZone : _plan.TimeZone;
        if (ParseCallbackTime(at, zone) is not { } when)
        {
            return "The callback was not scheduled: the time could not be understood. Ask the callee for a date and time.";
        }
        var now = _clock.GetUtcNow();
        if (when <= now)
        {
            return "The callback was not scheduled: that time has passed. Ask the callee for a later time.";
        }
        var result = await _engine.Intake.TriggerAsync(new TriggerCommand
        {
            AccountId = _call.AccountId,
            To = _call.To,
            From = _call.PhoneNumberId ?? _call.From,
            AgentId = _call.AgentId,
            TimeZone = _call.TimeZone,
            Contact = (JsonObject)_call.Contact.DeepClone(),
            Variables = _call.Variables,
            Metadata = (JsonObject?)_call.Metadata?.DeepClone(),
            NotBefore = when,
            Record = _call.Record,
            Consent = _call.Consent,
            RingTimeoutSec = _call.RingTimeoutSec,
            MaxDurationSec = _call.MaxDurationSec,
            MaxAttempts = _call.Retry.MaxAttempts,
            RetryCooldownSec = _call.Retry.CooldownSec,
            Webhooks = _call.Webhooks,
            IsTest = _call.IsTest,
            // The callee is on the line now: the callback must not be refused as a duplicate of this call.
            AllowDuplicates = true,
            CallbackOf = _call.Id,
        }, ct);
        CallbackRequest record;
        string said;
        switch (result)
        {
            case IntakeResult.Accepted { Call: var created }:
                record = new CallbackRequest(when, zone, created.Decision.Action, created.Id, created.DueAt, created.Decision.Reason);
                var local = LocalText(created.DueAt, zone);
                said = created.DueAt > when + TimeSpan.FromMinutes(1)
                    ? $"The callback is scheduled, but not at the time asked for: calling rules allow it at the earliest at {local} ({created.Decision.Reason}). Tell the callee."
                    : $"The callback is scheduled for {local}. Confirm it to the callee.";
                break;
            case IntakeResult.Refused refused:
                record = new CallbackRequest(when, zone, "refused", null, null, refused.Code);
                said = $"The callback could not be scheduled ({refused.Code}). Apologise and tell the callee.";
                break;
            default:
                record = new CallbackRequest(when, zone, "refused", null, null, "not_accepted");
                said = "The callback could not be scheduled. Apologise and tell the callee.";
                break;
        }
        lock (_gate)
        {
            _callbacks.Add(record);
        }
        ConversationEngine.LogCallback(_engine.Log, _call.Id, record.Action, record.Reason ?? "");
        return said;
    }

    /// <summary>An instant (UTC) from ISO-8601 text: with an offset as given; without one, as local time in <paramref name="zone"/> (DST gaps move forward).</summary>
    internal static DateTimeOffset? ParseCallbackTime(string? text, string zone)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        text = text.Trim();
        var offsetResult = OffsetDateTimePattern.ExtendedIso.Parse(text);
        if (offsetResult.Success)
        {
            return offsetResult.Value.ToDateTimeOffset().ToUniversalTime();
        }
        var local = LocalDateTimePattern.ExtendedIso.Parse(text);
        if (!local.Success)
        {
            local = LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm").Parse(text);
        }
        if (!local.Success)
        {
            return null;
        }
        var tz = DateTimeZoneProviders.Tzdb.GetZoneOrNull(zone) ?? DateTimeZone.Utc;
        return local.Value.InZoneLeniently(tz).ToDateTimeOffset().ToUniversalTime();
    }

    private static string LocalText(DateTimeOffset instant, string zone)
    {
        var tz = DateTimeZoneProviders.Tzdb.GetZoneOrNull(zone) ?? DateTimeZone.Utc;
        return Instant.FromDateTimeOffset(instant).InZone(tz).ToString("dddd yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " " + zone;
    }
}
