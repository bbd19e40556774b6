using System.Text.Json;
using System.Text.Json.Nodes;

namespace Outdial.Server.Infrastructure;

/// <summary>
/// PATCH bodies follow JSON Merge Patch (RFC 7396) at the top level: a member present in the patch replaces the
/// current value (null clears it), an absent member keeps it. The merged document is then validated exactly like
/// a create request, so one set of rules covers both.
/// </summary>
public static class MergePatch
{
    /// <summary>Applies <paramref name="patch"/> to the request-shaped <paramref name="current"/> and deserialises the result.</summary>
    /// <exception cref="JsonException">The merged document does not fit <typeparamref name="T"/> (answered as 400 malformed_json).</exception>
    public static T Apply<T>(T current, JsonObject patch, JsonSerializerOptions options)
    {
        var merged = JsonSerializer.SerializeToNode(current, options)!.AsObject();
        foreach (var (name, value) in patch)
        {
            merged[name] = value?.DeepClone();
        }
        return merged.Deserialize<T>(options) ?? throw new JsonException("the patch produced an empty document");
    }
}
