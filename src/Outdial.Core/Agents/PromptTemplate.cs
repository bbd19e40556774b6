using System.Text;

namespace Outdial.Core.Agents;

/// <summary>
/// Renders <c>{name}</c> placeholders. <c>{{</c> and <c>}}</c> stand for literal braces; a placeholder whose
/// name has no value is left as written so a missing optional variable is visible rather than silently empty.
/// </summary>
public static class PromptTemplate
{
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
