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

    /// <summary>
    /// Removes the formatting people type around a number — whitespace, dashes, dots and parentheses:
    /// <c>+1 (555) 123-4567</c> → <c>+15551234567</c>. Nothing else changes (no country code is added); check the result
    /// with <see cref="IsValid"/>. Used where a surface accepts formatted numbers (contact imports, the IVR dialect).
    /// </summary>
    public static string RemoveFormatting(string phone)
    {
        var sb = new System.Text.StringBuilder(phone.Length);
        foreach (var c in phone)
        {
            if (!char.IsWhiteSpace(c) && c is not ('-' or '.' or '(' or ')'))
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    /// <summary>The explanation given to API callers when <see cref="IsValid"/> fails.</summary>
    public const string Rule = "must be E.164: '+' followed by 8 to 15 digits, e.g. +15551234567 (no spaces or punctuation)";
}
