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

    /// <summary>
    /// Reads a loosely written number as E.164 with <paramref name="callingCode"/> (1–3 digits) as the country: formatting
    /// is removed (<see cref="RemoveFormatting"/>); <c>+…</c> is kept; <c>00…</c> (the international prefix) becomes
    /// <c>+…</c>; <c>0…</c> (a national trunk prefix) loses the 0 and gets <c>+&lt;callingCode&gt;</c>; other digits get
    /// <c>+&lt;callingCode&gt;</c>. Anything else is returned cleaned but otherwise unchanged, so that <see cref="IsValid"/>
    /// reports it. Used where a seed writes national numbers (seed 002's <c>_Destination</c>, <c>_DisplayNumber</c>).
    /// </summary>
    public static string FromNational(string raw, string callingCode)
    {
        var s = RemoveFormatting(raw);
        if (s.Length == 0 || s.StartsWith('+') || !s.All(char.IsAsciiDigit))
        {
            return s;
        }
        if (s.StartsWith("00", StringComparison.Ordinal))
        {
            return "+" + s[2..];
        }
        return "+" + callingCode + (s.StartsWith('0') ? s[1..] : s);
    }

    /// <summary>True when <paramref name="callingCode"/> is a country calling code as <see cref="FromNational"/> takes it: 1–3 ASCII digits, not starting with 0.</summary>
    public static bool IsCallingCode(string? callingCode) =>
        callingCode is { Length: >= 1 and <= 3 } && callingCode[0] != '0' && callingCode.All(char.IsAsciiDigit);

    /// <summary>The explanation given to API callers when <see cref="IsValid"/> fails.</summary>
    public const string Rule = "must be E.164: '+' followed by 8 to 15 digits, e.g. +15551234567 (no spaces or punctuation)";
}
