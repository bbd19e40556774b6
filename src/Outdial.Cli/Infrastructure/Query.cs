namespace Outdial.Cli.Infrastructure;

/// <summary>Builds a relative URL with a query string from the parameters that have a value.</summary>
public static class Query
{
    /// <summary><c>path?name=value&amp;…</c> for each pair whose value is not null or empty, values URL-escaped.</summary>
    public static string Of(string path, params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value!)).ToList();
        return present.Count == 0 ? path : path + "?" + string.Join('&', present);
    }
}
