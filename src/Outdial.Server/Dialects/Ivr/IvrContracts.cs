using System.Text.Json;
using System.Text.Json.Serialization;

namespace Outdial.Server.Dialects.Ivr;

/// <summary>Seed 002's <c>/v2/call</c> answer (200): <c>{"UniqueId": "&lt;native call id&gt;"}</c>.</summary>
public sealed record IvrCallCreated(string UniqueId);

/// <summary>One row of <c>/v2/callresult</c>: <c>{UniqueId, CallRequestId, CallState}</c>.</summary>
public sealed record IvrCallResult(string UniqueId, string CallRequestId, string CallState);

/// <summary>Seed 002's <c>/v2/callresult</c> answer (200): <c>{"CallResults": [...]}</c>, one row per requested id, in order.</summary>
public sealed record IvrCallResults(IReadOnlyList<IvrCallResult> CallResults);

/// <summary>
/// The error body (the seed documents none, so Outdial's): <c>{"Error": "&lt;text&gt;", "Field": "&lt;request field&gt;"}</c>.
/// <see cref="Field"/> names the body field at fault (a <c>ScenarioInputParameters</c> entry by its <c>Name</c>, e.g.
/// <c>_Destination</c>) and is left out when no single field is; <see cref="UniqueId"/> is set only on 409 (the pending call
/// to the same number).
/// </summary>
public sealed record IvrError(string Error, string? Field = null, string? UniqueId = null);

/// <summary>JSON, names as the seed writes them (PascalCase), nulls left out.</summary>
public static class IvrJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
