using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Outdial.Core.Agents;

/// <summary>
/// Renders <c>{name}</c> placeholders. <c>{{</c> and <c>}}</c> stand for literal braces; a placeholder whose
/// name has no value is left as written so a missing optional variable is visible rather than silently empty.
/// </summary>
public static class PromptTemplate
{
    /// <summary>
    /// The values a call's templates (prompt, first message, voicemail message) are rendered with: the contact's scalar
    /// fields (strings as is, numbers and booleans as JSON text, nulls and objects left out), then the agent's declared
    /// defaults for names still missing, then the call's variables; a later source wins.
    /// </summary>
    public static Dictionary<string, string> Values(JsonObject? contact, IReadOnlyList<AgentVariable> declared, IReadOnlyDictionary<string, string>? variables)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, node) in contact ?? [])
        {
            if (node is JsonValue v && v.GetValueKind() is not JsonValueKind.Null)
            {
                values[name] = v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString();
            }
        }
        foreach (var d in declared)
        {
            if (d.Default is not null && !values.ContainsKey(d.Name))
            {
                values[d.Name] = d.Default;
            }
        }
        foreach (var (name, value) in variables ?? new Dictionary<string, string>())
        {
            values[name] = value;
        }
        return values;
    }

    /// <summary>Substitutes <paramref name="values"/> into <paramref name="template"/>.</summary>
    public static string Render(string template, IReadOnlyDictionary<string, string> values)
    {
        if (template.IndexOf('{', StringComparison.Ordinal) < 0)
        {
            return template.Replace("}}", "}", StringComparison.Ordinal);
        }
        var sb = new StringBuilder(template.Length + 32);
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                sb.Append('{');
                i++;
                continue;
            }
            if (c == '}' && i + 1 < template.Length && template[i + 1] == '}')
            {
                sb.Append('}');
                i++;
                continue;
            }
            if (c == '{')
            {
                var end = template.IndexOf('}', i + 1);
                if (end > i + 1 && template.IndexOf('{', i + 1, end - i - 1) < 0)
                {
                    var name = template[(i + 1)..end];
                    if (values.TryGetValue(name, out var v))
                    {
                        sb.Append(v);
                        i = end;
                        continue;
                    }
                }
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Names that appear as <c>{name}</c> in <paramref name="template"/>.</summary>
    public static IReadOnlySet<string> Placeholders(string template)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] == '{')
            {
                if (i + 1 < template.Length && template[i + 1] == '{')
                {
                    i++;
                    continue;
                }
                var end = template.IndexOf('}', i + 1);
                if (end > i + 1 && template.IndexOf('{', i + 1, end - i - 1) < 0)
                {
                    names.Add(template[(i + 1)..end]);
                    i = end;
                }
            }
        }
        return names;
    }
}
