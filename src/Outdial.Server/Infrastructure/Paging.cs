namespace Outdial.Server.Infrastructure;

/// <summary>Query parameters shared by the list endpoints: <c>limit</c> (1–100, default 20) and string filters.</summary>
public static class Paging
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    /// <summary>Reads <c>limit</c>; on a bad value returns false with a 400 <c>invalid_query</c> problem.</summary>
    public static bool TryLimit(IQueryCollection query, out int limit, out IResult? problem)
    {
        limit = DefaultLimit;
        problem = null;
        if (query.TryGetValue("limit", out var text) && (!int.TryParse(text, out limit) || limit is < 1 or > MaxLimit))
        {
            problem = Problems.BadQuery("limit", $"must be an integer from 1 to {MaxLimit}");
            return false;
        }
        return true;
    }

    /// <summary>A non-empty query parameter, or null.</summary>
    public static string? Str(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v) ? v.ToString() : null;
}
