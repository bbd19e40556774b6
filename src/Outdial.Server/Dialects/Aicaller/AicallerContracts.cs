using System.Text.Json.Serialization;

namespace Outdial.Server.Dialects.Aicaller;

// Seed 004's shapes as the OpenAPI document describes them. The handlers read and write JSON nodes themselves
// (AicallerRequest.Parse, AicallerDialect.Render and Error); these records exist for the document and its clients.

/// <summary>
/// Body of <c>POST /v1/phoneCalls</c> (unknown fields are ignored; every error is reported at once, per field).
/// </summary>
/// <param name="TeamId">Must be the key's account's <c>aliases.teamId</c> (403 <c>team_mismatch</c> otherwise).</param>
/// <param name="CallTemplateId">The agent: its id, key or an external reference (an unknown one follows the account's <c>strictAgentRefs</c>).</param>
/// <param name="NameOfHuman">The callee's name (contact <c>name</c>).</param>
/// <param name="ToPhoneNumber">The callee, E.164.</param>
/// <param name="PromptVariableValues">Prompt variables as <c>{key, value}</c> rows (may be empty).</param>
/// <param name="PhoneNumberId">Caller ID: a phone number's id, label or number.</param>
/// <param name="FromPhoneNumber">Caller ID by number, used when <c>phoneNumberId</c> names none.</param>
/// <param name="ToEmailAddress">The callee's email (contact <c>email</c>).</param>
/// <param name="TelephonyProvider">The provider the call must use: configured on the server and the caller ID's.</param>
/// <param name="Record">Ask the provider to record.</param>
/// <param name="CallDelayedUntil">Do not dial before this instant: ISO-8601 in UTC (<c>Z</c> or <c>+00:00</c>).</param>
/// <param name="PhoneCallWebhooks">Per-call webhooks: <c>subscribedEvent</c> <c>phoneCall.&lt;status&gt;</c> (or <c>*</c>) maps to native event types.</param>
/// <param name="Status">The seed's status field: validated, then ignored (the call's real status is answered).</param>
public sealed record AicallerPhoneCallRequest(
    [property: JsonPropertyName("teamId")] string TeamId,
    [property: JsonPropertyName("callTemplateId")] string CallTemplateId,
    [property: JsonPropertyName("nameOfHuman")] string NameOfHuman,
    [property: JsonPropertyName("toPhoneNumber")] string ToPhoneNumber,
    [property: JsonPropertyName("promptVariableValues")] IReadOnlyList<AicallerPromptVariable> PromptVariableValues,
    [property: JsonPropertyName("phoneNumberId")] string? PhoneNumberId = null,
    [property: JsonPropertyName("fromPhoneNumber")] string? FromPhoneNumber = null,
    [property: JsonPropertyName("toEmailAddress")] string? ToEmailAddress = null,
    [property: JsonPropertyName("telephonyProvider")] string? TelephonyProvider = null,
    [property: JsonPropertyName("record")] bool? Record = null,
    [property: JsonPropertyName("callDelayedUntil")] string? CallDelayedUntil = null,
    [property: JsonPropertyName("phoneCallWebhooks")] IReadOnlyList<AicallerWebhook>? PhoneCallWebhooks = null,
    [property: JsonPropertyName("status")] string? Status = null);

/// <summary>One prompt variable.</summary>
public sealed record AicallerPromptVariable([property: JsonPropertyName("key")] string Key, [property: JsonPropertyName("value")] string? Value = null);

/// <summary>A per-call webhook; <c>secret</c> is never answered back.</summary>
public sealed record AicallerWebhook(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("subscribedEvent")] string? SubscribedEvent = null,
    [property: JsonPropertyName("secret")] string? Secret = null);

/// <summary>
/// The seed's phone call: the request's fields as sent (webhook secrets left out), filled in from the call where the request left one
/// out, with the live <c>status</c> (queued, ringing, inProgress, completed, busy, noAnswer, failed, canceled), <c>_id</c> (the native
/// call id) and times (ISO-8601 UTC with milliseconds). <c>GET</c> adds <c>summary</c> and <c>insights</c> once the call is analysed.
/// </summary>
public sealed record AicallerPhoneCall(
    [property: JsonPropertyName("_id")] string Id,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("toPhoneNumber")] string ToPhoneNumber,
    [property: JsonPropertyName("fromPhoneNumber")] string FromPhoneNumber,
    [property: JsonPropertyName("telephonyProvider")] string TelephonyProvider,
    [property: JsonPropertyName("record")] bool Record,
    [property: JsonPropertyName("createdAt")] string CreatedAt,
    [property: JsonPropertyName("updatedAt")] string UpdatedAt,
    [property: JsonPropertyName("teamId")] string? TeamId = null,
    [property: JsonPropertyName("phoneNumberId")] string? PhoneNumberId = null,
    [property: JsonPropertyName("callTemplateId")] string? CallTemplateId = null,
    [property: JsonPropertyName("nameOfHuman")] string? NameOfHuman = null,
    [property: JsonPropertyName("toEmailAddress")] string? ToEmailAddress = null,
    [property: JsonPropertyName("promptVariableValues")] IReadOnlyList<AicallerPromptVariable>? PromptVariableValues = null,
    [property: JsonPropertyName("callDelayedUntil")] string? CallDelayedUntil = null,
    [property: JsonPropertyName("phoneCallWebhooks")] IReadOnlyList<AicallerWebhook>? PhoneCallWebhooks = null,
    [property: JsonPropertyName("summary")] string? Summary = null,
    [property: JsonPropertyName("insights")] Core.Insights.InsightResource? Insights = null);

/// <summary>The seed's answer: <c>{data: phone call}</c>.</summary>
public sealed record AicallerPhoneCallEnvelope([property: JsonPropertyName("data")] AicallerPhoneCall Data);

/// <summary>The error of <see cref="AicallerErrorEnvelope"/>: the HTTP status again, a stable <c>code</c>, and per-field messages on 400.</summary>
public sealed record AicallerError(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("statusCode")] int StatusCode,
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("errors")] IReadOnlyDictionary<string, string[]>? Errors = null);

/// <summary>Every error of this dialect: <c>{error: {message, statusCode, code, errors?}}</c>.</summary>
public sealed record AicallerErrorEnvelope([property: JsonPropertyName("error")] AicallerError Error);
