using System.Text.Json.Serialization;

namespace Outdial.Server.Dialects.BuildVoice;

/// <summary>
/// Body of <c>POST /api/v1/calls/trigger</c>, as the document describes it (the handler reads the JSON itself: unknown fields are
/// ignored).
/// </summary>
/// <param name="PhoneNumber">The callee, strict E.164 (never normalised).</param>
/// <param name="AgentId">The agent's id, key or external reference; absent: the account's default agent.</param>
/// <param name="Name">The callee's name: contact field and prompt variable <c>{name}</c>.</param>
/// <param name="Email">The callee's email: contact field and prompt variable <c>{email}</c>.</param>
/// <param name="Metadata">Kept on the call as its <c>metadata</c>.</param>
public sealed record BuildVoiceTriggerRequest(
    [property: JsonPropertyName("phone_number")] string PhoneNumber,
    [property: JsonPropertyName("agent_id")] string? AgentId = null,
    [property: JsonPropertyName("name")] string? Name = null,
    [property: JsonPropertyName("email")] string? Email = null,
    [property: JsonPropertyName("metadata")] Dictionary<string, object>? Metadata = null);

/// <summary>Seed 003's success body (200): <c>{"success": true, "call_id": "...", "status": "initiated"}</c>.</summary>
public sealed record BuildVoiceTriggered(
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("call_id")] string CallId,
    [property: JsonPropertyName("status")] string Status);

/// <summary>
/// Seed 003's error envelope: <c>{"success": false, "error": "&lt;the seed table's Error text&gt;"}</c>. <see cref="CallId"/>
/// is set only on 409 (the pending call to the same number), which the seed does not document.
/// </summary>
public sealed record BuildVoiceError(
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("call_id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CallId = null);

/// <summary>The exact error texts of seed 003's error table, plus the ones Outdial adds (marked).</summary>
public static class BuildVoiceErrors
{
    /// <summary>400: <c>phone_number</c> missing, not a string, or not strict E.164 (never normalised).</summary>
    public const string InvalidPhoneNumber = "Invalid phone number format";
    /// <summary>400: <c>agent_id</c> names no agent (id, key or external reference) of an account with <c>strictAgentRefs</c>.</summary>
    public const string AgentNotFound = "Agent not found";
    /// <summary>400: no <c>agent_id</c> and the account has no default agent.</summary>
    public const string NoDefaultAgent = "No agent specified and no default agent configured";
    /// <summary>400: the agent has no caller ID and the account owns no phone number to fall back to.</summary>
    public const string NoPhoneNumber = "Agent has no phone number assigned";
    /// <summary>401: the Bearer key is missing, malformed, unknown or revoked.</summary>
    public const string InvalidApiKey = "Invalid API key";
    /// <summary>403: <c>Account.ApiAccessEnabled</c> is false.</summary>
    public const string ApiAccessDisabled = "API access is disabled";
    /// <summary>429: more than <see cref="BuildVoiceDialect.PermitsPerMinute"/> requests in a minute for one key.</summary>
    public const string RateLimitExceeded = "Rate limit exceeded";
    /// <summary>400 (Outdial's addition): the body is not a JSON object.</summary>
    public const string InvalidJson = "Invalid JSON body";
    /// <summary>400 (Outdial's addition): <c>metadata</c> is present but not a JSON object.</summary>
    public const string MetadataNotObject = "metadata must be a JSON object";
    /// <summary>409 (Outdial's addition): intake's duplicate guard.</summary>
    public const string DuplicateCall = "A call to this number is already pending or in progress";
}
