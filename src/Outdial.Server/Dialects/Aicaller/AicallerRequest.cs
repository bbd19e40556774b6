using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Core.Calls;
using Outdial.Core.Intake;

namespace Outdial.Server.Dialects.Aicaller;

/// <summary>
/// Seed 004's request body, checked field by field (every error is reported at once; nothing is stored when any exists) and
/// mapped to one <see cref="TriggerCommand"/>. Unknown fields are ignored.
/// </summary>
public static class AicallerRequest
{
    /// <summary>The consent source recorded on calls placed through this dialect (the seed has no consent field).</summary>
    public const string ConsentSource = "aicaller_api";

    /// <summary>The key under the call's <c>metadata</c> holding the request's echo (secrets left out), rendered back by GET.</summary>
    public const string EchoKey = "aicaller";

    /// <summary>The seed's status enum (both spellings of canceled).</summary>
    public static readonly IReadOnlyList<string> Statuses = ["queued", "ringing", "inProgress", "busy", "failed", "noAnswer", "canceled", "cancelled", "completed"];

    /// <summary>
    /// <c>subscribedEvent</c> → native event types: <c>phoneCall.queued</c> → queued, scheduled; <c>phoneCall.ringing</c> →
    /// dialing, ringing; <c>phoneCall.inProgress</c> → answered, voicemail; <c>phoneCall.completed</c>, <c>.busy</c>,
    /// <c>.noAnswer</c> → ended; <c>phoneCall.failed</c> → ended, expired, blocked; <c>phoneCall.canceled</c>/<c>.cancelled</c>
    /// → canceled; <c>*</c>, <c>phoneCall.*</c> or absent → every event. The <c>phoneCall.</c> prefix is optional.
    /// </summary>
    public static IReadOnlyList<string>? MapEvent(string? subscribedEvent, out bool known)
    {
        known = true;
        var name = subscribedEvent is { } s && s.StartsWith("phoneCall.", StringComparison.Ordinal) ? s["phoneCall.".Length..] : subscribedEvent;
        switch (name)
        {
            case null or "" or "*":
                return null;
            case "queued":
                return [CallEventTypes.Queued, CallEventTypes.Scheduled];
            case "ringing":
                return [CallEventTypes.Dialing, CallEventTypes.Ringing];
            case "inProgress":
                return [CallEventTypes.Answered, CallEventTypes.Voicemail];
            case "completed" or "busy" or "noAnswer":
                return [CallEventTypes.Ended];
            case "failed":
                return [CallEventTypes.Ended, CallEventTypes.Expired, CallEventTypes.Blocked];
            case "canceled" or "cancelled":
                return [CallEventTypes.Canceled];
            default:
                known = false;
                return null;
        }
    }

    /// <summary>What the body asked for, besides the command.</summary>
    public sealed record Parsed(TriggerCommand Command, string? TeamId, string? TelephonyProvider);

    /// <summary>
    /// Maps the body (see the file's mapping table in <see cref="AicallerDialect"/>); adds seed-named field errors to
    /// <paramref name="errors"/>.
    /// </summary>
    public static Parsed Parse(string accountId, JsonObject body, Dictionary<string, string[]> errors)
    {
        void Error(string field, string message) => errors[field] = [message];

        string? Required(string field)
        {
            var value = Text(body, field, Error);
            if (string.IsNullOrEmpty(value) && !errors.ContainsKey(field))
            {
                Error(field, $"{field} is required");
            }
            return string.IsNullOrEmpty(value) ? null : value;
        }

        var teamId = Required("teamId");
        var templateId = Required("callTemplateId");
        var name = Required("nameOfHuman");
        var to = Required("toPhoneNumber");
        var phoneNumberId = Text(body, "phoneNumberId", Error);
        var from = Text(body, "fromPhoneNumber", Error);
        var email = Text(body, "toEmailAddress", Error);

        var status = Text(body, "status", Error);
        if (status is not null && !Statuses.Contains(status, StringComparer.Ordinal))
        {
            Error("status", $"status must be one of: {string.Join(", ", Statuses)}");
        }
        // Checked by intake against the configured providers and the caller ID (any configured name is accepted, e.g. sandbox).
        var provider = Text(body, "telephonyProvider", Error);

        bool? record = null;
        switch (body["record"]?.GetValueKind())
        {
            case null or JsonValueKind.Null:
                break;
            case JsonValueKind.True or JsonValueKind.False:
                record = body["record"]!.GetValue<bool>();
                break;
            default:
                Error("record", "record must be a boolean");
                break;
        }

        DateTimeOffset? notBefore = null;
        var delayed = Text(body, "callDelayedUntil", Error);
        if (delayed is not null)
        {
            if (DateTimeOffset.TryParse(delayed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                && delayed.Contains('T', StringComparison.Ordinal) && at.Offset == TimeSpan.Zero
                && (delayed.EndsWith('Z') || delayed.EndsWith("+00:00", StringComparison.Ordinal)))
            {
                notBefore = at;
            }
            else
            {
                Error("callDelayedUntil", "callDelayedUntil must be an ISO-8601 date with UTC timezone, e.g. 2023-10-12T09:08:00.387Z");
            }
        }

        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        var echoVariables = new JsonArray();
        switch (body["promptVariableValues"])
        {
            case null:
                Error("promptVariableValues", "promptVariableValues is required");
                break;
            case JsonArray rows:
                for (var i = 0; i < rows.Count; i++)
                {
                    var field = $"promptVariableValues[{i}]";
                    if (rows[i] is not JsonObject row)
                    {
                        Error(field, $"{field} must be an object {{key, value}}");
                        continue;
                    }
                    var key = Text(row, "key", (_, m) => Error(field + ".key", field + "." + m));
                    if (string.IsNullOrEmpty(key))
                    {
                        errors.TryAdd(field + ".key", [$"{field}.key is required"]);
                        continue;
                    }
                    var value = Text(row, "value", (_, m) => Error(field + ".value", field + "." + m)) ?? "";
                    variables[key] = value;
                    echoVariables.Add(new JsonObject { ["key"] = key, ["value"] = value });
                }
                break;
            default:
                Error("promptVariableValues", "promptVariableValues must be an array of {key, value}");
                break;
        }

        var webhooks = new List<CallWebhook>();
        var echoWebhooks = new JsonArray();
        switch (body["phoneCallWebhooks"])
        {
            case null:
                break;
            case JsonArray rows:
                for (var i = 0; i < rows.Count; i++)
                {
                    var field = $"phoneCallWebhooks[{i}]";
                    if (rows[i] is not JsonObject row)
                    {
                        Error(field, $"{field} must be an object {{url, subscribedEvent, secret}}");
                        continue;
                    }
                    var url = Text(row, "url", (_, m) => Error(field + ".url", field + "." + m));
                    if (string.IsNullOrEmpty(url))
                    {
                        errors.TryAdd(field + ".url", [$"{field}.url is required"]);
                    }
                    var subscribed = Text(row, "subscribedEvent", (_, m) => Error(field + ".subscribedEvent", field + "." + m));
                    var events = MapEvent(subscribed, out var known);
                    if (!known)
                    {
                        Error(field + ".subscribedEvent", $"{field}.subscribedEvent must be phoneCall.<status> with a status of: {string.Join(", ", Statuses)}");
                    }
                    var secret = Text(row, "secret", (_, m) => Error(field + ".secret", field + "." + m));
                    webhooks.Add(new CallWebhook(url ?? "", events, string.IsNullOrEmpty(secret) ? null : secret));
                    var echo = new JsonObject { ["url"] = url };
                    if (subscribed is not null)
                    {
                        echo["subscribedEvent"] = subscribed;
                    }
                    echoWebhooks.Add(echo);
                }
                break;
            default:
                Error("phoneCallWebhooks", "phoneCallWebhooks must be an array of {url, subscribedEvent, secret}");
                break;
        }

        var contact = new JsonObject();
        if (name is not null)
        {
            contact["name"] = name;
        }
        if (email is not null)
        {
            contact["email"] = email;
        }

        // The echo rendered back by POST and GET; kept on the call's metadata (the seed has no metadata field).
        var requestEcho = new JsonObject
        {
            ["teamId"] = teamId,
            ["phoneNumberId"] = phoneNumberId,
            ["callTemplateId"] = templateId,
            ["nameOfHuman"] = name,
            ["fromPhoneNumber"] = from,
            ["toPhoneNumber"] = to,
            ["toEmailAddress"] = email,
            ["telephonyProvider"] = provider,
            ["promptVariableValues"] = echoVariables,
            ["record"] = record,
            ["callDelayedUntil"] = delayed,
            ["phoneCallWebhooks"] = echoWebhooks,
        };
        foreach (var key in requestEcho.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            requestEcho.Remove(key);
        }

        var cmd = new TriggerCommand
        {
            AccountId = accountId,
            To = to ?? "",
            From = phoneNumberId,
            FromNumber = from,
            Provider = provider,
            AgentId = templateId,
            ForeignAgentRef = true,
            Contact = contact,
            Variables = variables,
            Metadata = new JsonObject { [EchoKey] = requestEcho },
            NotBefore = notBefore,
            Record = record,
            Webhooks = webhooks.Count > 0 ? webhooks : null,
            // The seed has no consent field: calling through the customer's own API key is their statement of consent.
            Consent = new ConsentEvidence(true, ConsentSource, null, null),
        };
        return new Parsed(cmd, teamId, provider);
    }

    /// <summary>
    /// Intake's native field names → the seed's: to → toPhoneNumber, agentId → callTemplateId, from → fromPhoneNumber (or
    /// phoneNumberId), variables.x → promptVariableValues.x, webhooks[i].events → phoneCallWebhooks[i].subscribedEvent,
    /// notBefore → callDelayedUntil, contact.* → nameOfHuman/toEmailAddress.
    /// </summary>
    public static Dictionary<string, string[]> TranslateErrors(IReadOnlyDictionary<string, string[]> native, JsonObject body)
    {
        var result = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (field, messages) in native)
        {
            var name = field switch
            {
                "to" => "toPhoneNumber",
                "agentId" => "callTemplateId",
                "from" => body["phoneNumberId"] is not null ? "phoneNumberId" : "fromPhoneNumber",
                "fromNumber" => "fromPhoneNumber",
                "provider" => "telephonyProvider",
                "notBefore" => "callDelayedUntil",
                "record" => "record",
                "contact.name" => "nameOfHuman",
                "contact.email" => "toEmailAddress",
                "variables" => "promptVariableValues",
                "webhooks" => "phoneCallWebhooks",
                _ when field.StartsWith("variables.", StringComparison.Ordinal) => "promptVariableValues." + field["variables.".Length..],
                _ when field.StartsWith("webhooks[", StringComparison.Ordinal) =>
                    "phoneCallWebhooks" + field["webhooks".Length..].Replace(".events", ".subscribedEvent", StringComparison.Ordinal),
                _ => field,
            };
            result[name] = [.. messages.Select(m => $"{name} {m}")];
        }
        return result;
    }

    /// <summary>A JSON string as is, a number or boolean as its JSON text, null when absent or null; otherwise an error.</summary>
    private static string? Text(JsonObject obj, string field, Action<string, string> error)
    {
        var node = obj[field];
        switch (node?.GetValueKind())
        {
            case null or JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                return node.GetValue<string>();
            case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                return node.ToJsonString();
            default:
                error(field, $"{field} must be a string");
                return null;
        }
    }
}
