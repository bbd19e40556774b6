using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Core.Calls;
using Outdial.Core.Intake;

namespace Outdial.Server.Dialects.Talkover;

/// <summary>
/// Seed 001's request body <c>{to, payload, context, is_testing, allow_duplicates}</c>, read leniently like Laravel:
/// unknown fields are ignored, types are checked, and format errors carry Laravel-style messages. Whether <c>to</c> is
/// present and E.164 is decided by <see cref="CallIntake"/>; <see cref="TranslateErrors"/> words its answer.
/// </summary>
public static class TalkoverRequest
{
    /// <summary>
    /// Maps the body to the intake command for <paramref name="campaignId"/>. The Talkover API has no consent field:
    /// adding a call to a campaign is the account's statement of consent, recorded as source <c>talkover_campaign</c>.
    /// </summary>
    public static TriggerCommand ToCommand(string accountId, string campaignId, JsonObject body, Dictionary<string, string[]> errors)
    {
        string? to = null;
        switch (body["to"])
        {
            case null:
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                to = v.GetValue<string>();
                break;
            default:
                errors["to"] = ["The to must be a string."];
                break;
        }
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (body["payload"])
        {
            case null:
                break;
            case JsonObject payload:
                foreach (var (name, value) in payload)
                {
                    switch (value?.GetValueKind())
                    {
                        case null or JsonValueKind.Null:
                            break;
                        case JsonValueKind.String:
                            variables[name] = value.GetValue<string>();
                            break;
                        case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                            variables[name] = value.ToJsonString();
                            break;
                        default:
                            errors[$"payload.{name}"] = [$"The payload.{name} must be a string, number or boolean."];
                            break;
                    }
                }
                break;
            default:
                errors["payload"] = ["The payload must be an object."];
                break;
        }
        JsonObject? context = null;
        switch (body["context"])
        {
            case null:
                break;
            case JsonObject c:
                context = (JsonObject)c.DeepClone();
                break;
            default:
                errors["context"] = ["The context must be an object."];
                break;
        }
        return new TriggerCommand
        {
            AccountId = accountId,
            CampaignId = campaignId,
            To = to,
            Variables = variables,
            Metadata = context,
            IsTest = Bool(body, "is_testing", "is testing", errors),
            AllowDuplicates = Bool(body, "allow_duplicates", "allow duplicates", errors),
            Consent = new ConsentEvidence(true, "talkover_campaign", null, null),
        };
    }

    /// <summary>A Laravel <c>boolean</c> field: true/false, 1/0, "1"/"0", "true"/"false"; absent or null = false.</summary>
    private static bool Bool(JsonObject body, string field, string words, Dictionary<string, string[]> errors)
    {
        var node = body[field];
        switch (node?.GetValueKind())
        {
            case null or JsonValueKind.Null:
                return false;
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
        }
        var text = node!.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString();
        switch (text)
        {
            case "1" or "true":
                return true;
            case "0" or "false":
                return false;
            default:
                errors[field] = [$"The {words} field must be true or false."];
                return false;
        }
    }

    /// <summary>
    /// Rewords intake's field errors for seed 001: <c>to</c> gets the seed's two messages, native field names become
    /// Talkover's (<c>metadata</c> → <c>context</c>, <c>variables.*</c> → <c>payload.*</c>), other messages are prefixed
    /// Laravel-style ("The {field} {message}.").
    /// </summary>
    public static Dictionary<string, string[]> TranslateErrors(IReadOnlyDictionary<string, string[]> native, string? to)
    {
        var result = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (field, messages) in native)
        {
            if (field == "to")
            {
                result["to"] = [string.IsNullOrEmpty(to) ? "The to field is required." : "The to must be a valid phone number."];
                continue;
            }
            var name = field switch
            {
                "metadata" => "context",
                "variables" => "payload",
                "campaignId" => "campaign_id",
                _ when field.StartsWith("variables.", StringComparison.Ordinal) => "payload." + field["variables.".Length..],
                _ => field,
            };
            result[name] = [.. messages.Select(m => $"The {name} {m.TrimEnd('.')}.")];
        }
        return result;
    }
}
