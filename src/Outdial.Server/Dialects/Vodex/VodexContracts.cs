using System.Text.Json.Serialization;

namespace Outdial.Server.Dialects.Vodex;

/// <summary>
/// Body of <c>POST /api/v1/trigger-call</c>, as the document describes it (the handler reads the JSON itself: unknown fields are
/// ignored; <c>projectId</c> may also be a number).
/// </summary>
/// <param name="CallList">The contacts to call (1–1000): one call each.</param>
/// <param name="ProjectId">The agent: its id, key or an external reference (a foreign reference: an unknown one follows the account's <c>strictAgentRefs</c>).</param>
/// <param name="ConsentForCalls">Must be true: every contact has consented to be called.</param>
/// <param name="CampaignName">The account's campaign of that name, created on first use.</param>
/// <param name="Insights">Questions answered from the transcript after each call.</param>
public sealed record VodexTriggerRequest(
    [property: JsonPropertyName("callList")] IReadOnlyList<VodexContact> CallList,
    [property: JsonPropertyName("projectId")] string ProjectId,
    [property: JsonPropertyName("consentForCalls")] bool ConsentForCalls,
    [property: JsonPropertyName("campaignName")] string? CampaignName = null,
    [property: JsonPropertyName("insights")] IReadOnlyList<string>? Insights = null);

/// <summary>
/// One contact of <c>callList</c>: <c>phone</c> (E.164) is required; every field, these and any other, is a prompt variable
/// (<c>{firstName}</c>) and is kept on the call's <c>contact</c> (any field besides these three makes the call type <c>dynamicFields</c>).
/// </summary>
public sealed record VodexContact(
    [property: JsonPropertyName("phone")] string Phone,
    [property: JsonPropertyName("firstName")] string? FirstName = null,
    [property: JsonPropertyName("lastName")] string? LastName = null)
{
    /// <summary>Any other field of the contact.</summary>
    [JsonExtensionData]
    public Dictionary<string, object>? Fields { get; init; }
}

/// <summary>
/// Seed 000's envelope: <c>{success, message, data?}</c>. Success and partial success carry <see cref="VodexTriggered"/>;
/// auth and request errors carry no <c>data</c>; a request whose every entry was refused carries <c>data</c> too (0 triggered).
/// </summary>
public sealed record VodexResponse(
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("data"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] VodexTriggered? Data = null);

/// <summary>
/// <c>data</c>: the seed's <c>callsTriggered</c> and <c>callIds</c> (accepted entries, in <c>callList</c> order), plus Outdial's
/// additions: the detected <c>callType</c> (most specific of <see cref="VodexCallTypes"/>), every detected type, and one error
/// per refused entry.
/// </summary>
public sealed record VodexTriggered(
    [property: JsonPropertyName("callsTriggered")] int CallsTriggered,
    [property: JsonPropertyName("callIds")] IReadOnlyList<string> CallIds,
    [property: JsonPropertyName("callType")] string CallType,
    [property: JsonPropertyName("callTypes")] IReadOnlyList<string> CallTypes,
    [property: JsonPropertyName("errors")] IReadOnlyList<VodexEntryError> Errors);

/// <summary>Why <c>callList[Index]</c> was refused (nothing stored for it).</summary>
public sealed record VodexEntryError(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("phone"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Phone,
    [property: JsonPropertyName("message")] string Message);

/// <summary>The seed's four call configurations, detected from the fields present (never declared).</summary>
public static class VodexCallTypes
{
    /// <summary>Only <c>firstName</c>, <c>lastName</c>, <c>phone</c> per contact.</summary>
    public const string Basic = "basic";
    /// <summary>Some contact has a field besides firstName/lastName/phone.</summary>
    public const string DynamicFields = "dynamicFields";
    /// <summary><c>campaignName</c> present.</summary>
    public const string Campaign = "campaign";
    /// <summary><c>insights</c> present (non-empty).</summary>
    public const string Insights = "insights";
}

/// <summary>The error texts of this dialect (the seed documents none; these are Outdial's).</summary>
public static class VodexErrors
{
    public const string InvalidApiKey = "Invalid API key";
    public const string DburlRequired = "dburl header is required";
    public const string DburlMismatch = "Invalid dburl for this API key";
    public const string ApiAccessDisabled = "API access is disabled";
    public const string InvalidJson = "Invalid JSON body";
    public const string ConsentRequired =
        "consentForCalls must be true: confirm that every contact has explicitly consented to receive calls";
    public const string CallListRequired = "callList is required: a non-empty array of contacts";
    public const string ProjectIdRequired = "projectId is required";
}
