using System.Diagnostics.CodeAnalysis;

namespace Outdial.Core.Calls;

/// <summary>
/// Strict E.164 (ITU-T E.164 §6): a <c>+</c>, then 8 to 15 digits, the first not 0. Nothing is
/// normalised: spaces, dashes, brackets or a missing <c>+</c> make the number invalid.
/// </summary>
public static class E164
{
    /// <summary>True when <paramref name="value"/> is exactly <c>+</c> followed by 8–15 ASCII digits, the first 1–9.</summary>
    public static bool IsValid([NotNullWhen(true)] string? value)
    {
        if (value is null || value.Length < 9 || value.Length > 16 || value[0] != '+' || value[1] == '0')
        {
            return false;
        }
        for (var i = 1; i < value.Length; i++)
        {
            if (!char.IsAsciiDigit(value[i]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The explanation given to API callers when <see cref="IsValid"/> fails.</summary>
    public const string Rule = "must be E.164: '+' followed by 8 to 15 digits, e.g. +15551234567 (no spaces or punctuation)";
}
