using System.Text.Json;
using System.Text.Json.Serialization;

namespace Outdial.Server.Dialects.Ivr;

// The seed writes PascalCase (IvrJson.Options); the names are spelled out too so that the OpenAPI document, generated with the
// native API's camelCase options, shows them as sent.

/// <summary>
/// Body of <c>POST /v2/call</c>, as the document describes it (the handler reads the JSON itself: unknown fields are ignored).
/// </summary>
/// <param name="Project">The caller's project name (kept on the call).</param>
/// <param name="Tenant">The account: its <c>aliases.tenant</c>, or <c>Default</c> when no account has taken that alias (403 otherwise).</param>
/// <param name="ConversationId">The caller's request id, answered back as <c>CallRequestId</c>.</param>
/// <param name="AccessToken">The Outdial API key (401 when unknown or revoked).</param>
/// <param name="ScenarioPath">The agent: its id, key or an external reference (an unknown one follows the account's <c>strictAgentRefs</c>).</param>
/// <param name="OrchestratorUrl">An absolute http(s) URL (kept on the call).</param>
/// <param name="ScenarioInputParameters">Prompt variables as <c>{Name, Value}</c>; must include <c>_DisplayNumber</c> (caller ID: number, id or label) and <c>_Destination</c> (callee; national numbers take <c>Outdial:Dialects:Ivr:DefaultCallingCode</c>).</param>
/// <param name="Locale">The conversation's locale, e.g. <c>en-US</c>.</param>
/// <param name="ResultDestination">Where the final result row is posted (the <c>ivr.call_results</c> webhook); must pass the SSRF guard.</param>
/// <param name="SendResultImmediately">True: post the row as soon as the call ends; false (default): batched.</param>
/// <param name="EndUser">The callee: <c>{Name, Phone, Email}</c>, kept as the call's contact.</param>
public sealed record IvrCallRequest(
    [property: JsonPropertyName("Project")] string Project,
    [property: JsonPropertyName("Tenant")] string Tenant,
    [property: JsonPropertyName("ConversationId")] string ConversationId,
    [property: JsonPropertyName("AccessToken")] string AccessToken,
    [property: JsonPropertyName("ScenarioPath")] string ScenarioPath,
    [property: JsonPropertyName("OrchestratorUrl")] string OrchestratorUrl,
    [property: JsonPropertyName("ScenarioInputParameters")] IReadOnlyList<IvrParameter> ScenarioInputParameters,
    [property: JsonPropertyName("Locale")] string? Locale = null,
    [property: JsonPropertyName("ResultDestination")] string? ResultDestination = null,
    [property: JsonPropertyName("SendResultImmediately")] bool? SendResultImmediately = null,
    [property: JsonPropertyName("EndUser")] IvrEndUser? EndUser = null);

/// <summary>One scenario input parameter: a name and a string, number or boolean value.</summary>
public sealed record IvrParameter([property: JsonPropertyName("Name")] string Name, [property: JsonPropertyName("Value")] string? Value = null);

/// <summary>The callee as the seed names it.</summary>
public sealed record IvrEndUser(
    [property: JsonPropertyName("Name")] string? Name = null,
    [property: JsonPropertyName("Phone")] string? Phone = null,
    [property: JsonPropertyName("Email")] string? Email = null);

/// <summary>
/// Body of <c>POST /v2/callresult</c>: 1–100 <c>UniqueIds</c>; with <c>AccessToken</c> (or <c>Authorization: Bearer</c>) the request is
/// scoped to the key's account, <c>Tenant</c> checked when given; without, only ids issued by <c>/v2/call</c> are answered.
/// </summary>
public sealed record IvrCallResultRequest(
    [property: JsonPropertyName("UniqueIds")] IReadOnlyList<string> UniqueIds,
    [property: JsonPropertyName("AccessToken")] string? AccessToken = null,
    [property: JsonPropertyName("Tenant")] string? Tenant = null);

/// <summary>Seed 002's <c>/v2/call</c> answer (200): <c>{"UniqueId": "&lt;native call id&gt;"}</c>.</summary>
public sealed record IvrCallCreated([property: JsonPropertyName("UniqueId")] string UniqueId);

/// <summary>
/// One row of <c>/v2/callresult</c>: <c>{UniqueId, CallRequestId, CallState}</c>. <c>CallState</c>: the seed's Answered, Busy,
/// Error, Invalid Number, No Answer, Rejected, Temporarily Unavailable, and Outdial's Pending, In Progress, Canceled, Expired,
/// Blocked, Unknown.
/// </summary>
public sealed record IvrCallResult(
    [property: JsonPropertyName("UniqueId")] string UniqueId,
    [property: JsonPropertyName("CallRequestId")] string CallRequestId,
    [property: JsonPropertyName("CallState")] string CallState);

/// <summary>Seed 002's <c>/v2/callresult</c> answer (200): <c>{"CallResults": [...]}</c>, one row per requested id, in order.</summary>
public sealed record IvrCallResults([property: JsonPropertyName("CallResults")] IReadOnlyList<IvrCallResult> CallResults);

/// <summary>
/// The error body (the seed documents none, so Outdial's): <c>{"Error": "&lt;text&gt;", "Field": "&lt;request field&gt;"}</c>.
/// <see cref="Field"/> names the body field at fault (a <c>ScenarioInputParameters</c> entry by its <c>Name</c>, e.g.
/// <c>_Destination</c>) and is left out when no single field is; <see cref="UniqueId"/> is set only on 409 (the pending call
/// to the same number).
/// </summary>
public sealed record IvrError(
    [property: JsonPropertyName("Error")] string Error,
    [property: JsonPropertyName("Field")] string? Field = null,
    [property: JsonPropertyName("UniqueId")] string? UniqueId = null);

/// <summary>JSON, names as the seed writes them (PascalCase), nulls left out.</summary>
public static class IvrJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
