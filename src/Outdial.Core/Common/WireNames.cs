using System.Collections.Frozen;
using System.Text.Json;

namespace Outdial.Core.Common;

/// <summary>
/// The one rule for how enums are named on the wire and in storage: snake_case of the member name
/// (<c>InProgress</c> → <c>in_progress</c>, <c>NoAnswer</c> → <c>no_answer</c>), the same names
/// <see cref="Json.Options"/> writes.
/// </summary>
public static class WireNames
{
    /// <summary>The wire name of <paramref name="value"/>.</summary>
    public static string Of<T>(T value) where T : struct, Enum => Cache<T>.ToName[value];

    /// <summary>Parses an exact wire name; false for anything else (including null and other casings).</summary>
    public static bool TryParse<T>(string? name, out T value) where T : struct, Enum => Cache<T>.FromName.TryGetValue(name ?? "", out value);

    private static class Cache<T> where T : struct, Enum
    {
        public static readonly FrozenDictionary<T, string> ToName =
            Enum.GetValues<T>().ToFrozenDictionary(v => v, v => JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString()));

        public static readonly FrozenDictionary<string, T> FromName =
            ToName.ToFrozenDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
    }
}
