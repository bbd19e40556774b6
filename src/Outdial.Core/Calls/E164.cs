using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Lib = PhoneNumbers;

namespace Outdial.Core.Calls;

/// <summary>
/// E.164 numbers (ITU-T E.164 §6), read with Google's libphonenumber (the <c>libphonenumber-csharp</c> port): the form is
/// strict — a <c>+</c>, then 8 to 15 ASCII digits (7 where the country's plan has such short numbers), the first not 0; nothing is normalised, so spaces, dashes, brackets or a
/// missing <c>+</c> make a number invalid — and the country calling code must be one ITU-T has assigned (the library's
/// metadata). What kind of line a number is (<see cref="TypeOf"/>) and how a national number is written internationally
/// (<see cref="FromNational"/>) come from the same metadata.
/// </summary>
/// <remarks>
/// A number in an assigned calling code that the library cannot place in its country's numbering plan (wrong length, an
/// unassigned area code such as NANP 555) is still accepted here, as type <c>unknown</c>: libphonenumber's metadata lags new
/// number ranges, and refusing them is the operator's choice (<c>Outdial:Compliance:RefusedNumberTypes</c>).
/// </remarks>
public static class E164
{
    private static readonly Lib.PhoneNumberUtil Util = Lib.PhoneNumberUtil.GetInstance();

    /// <summary>The explanation given to API callers when <see cref="IsValid"/> fails.</summary>
    public const string Rule = "must be E.164: '+' followed by 8 to 15 digits with an assigned country calling code, e.g. +15551234567 (no spaces or punctuation)";

    /// <summary>
    /// True when <paramref name="value"/> is <c>+</c> and 8–15 ASCII digits (the first 1–9) whose country calling code is
    /// assigned, or 7 digits where the country's plan has numbers that short (Niue <c>+683 7012</c>).
    /// </summary>
    public static bool IsValid([NotNullWhen(true)] string? value) => TryParse(value, out _);

    /// <summary>
    /// The kind of line <paramref name="e164"/> is, by libphonenumber's metadata, as its wire name: <c>mobile</c>,
    /// <c>fixed_line</c>, <c>fixed_line_or_mobile</c> (the plan does not tell them apart, as in NANP), <c>toll_free</c>,
    /// <c>premium_rate</c>, <c>shared_cost</c>, <c>voip</c>, <c>personal_number</c>, <c>pager</c>, <c>uan</c> (universal access),
    /// <c>voicemail</c>, or <c>unknown</c> (not a valid number of its country's plan, or not E.164).
    /// </summary>
    public static string TypeOf(string e164) => TryParse(e164, out var number) ? NumberTypes.Of(Util.GetNumberType(number)) : NumberTypes.Unknown;

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
    /// is removed (<see cref="RemoveFormatting"/>); <c>+…</c> is kept; <c>00…</c> (the ITU-T E.164 international prefix)
    /// becomes <c>+…</c>; other digits are a national number of the calling code's main country, read by libphonenumber with
    /// that country's rules (its trunk prefix dropped where the plan drops it — <c>020 7946 0018</c> in +44 is
    /// <c>+442079460018</c> — and kept where it is part of the number, as in Italy's <c>06…</c>; a leading 0 that makes the
    /// number too long for a plan whose trunk prefix is not 0, such as NANP's, is dropped too). Anything else is returned
    /// cleaned but otherwise unchanged, so that <see cref="IsValid"/> reports it. Used where a seed writes national numbers
    /// (seed 002's <c>_Destination</c>, <c>_DisplayNumber</c>).
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
        var region = IsCallingCode(callingCode) ? Util.GetRegionCodeForCountryCode(int.Parse(callingCode, CultureInfo.InvariantCulture)) : null;
        if (region is not null and not "ZZ" and not "001")
        {
            if (ReadNational(s, region, callingCode) is { } read)
            {
                // 0 is the trunk prefix in most plans; where the country's is another (NANP's 1), a leading 0 that makes the
                // number too long for the plan is dropped as well.
                return !Util.IsPossibleNumber(read) && s.StartsWith('0') && ReadNational(s[1..], region, callingCode) is { } dropped
                    && Util.IsPossibleNumber(dropped)
                    ? Util.Format(dropped, Lib.PhoneNumberFormat.E164)
                    : Util.Format(read, Lib.PhoneNumberFormat.E164);
            }
        }
        return "+" + callingCode + (s.StartsWith('0') ? s[1..] : s);
    }

    private static Lib.PhoneNumber? ReadNational(string digits, string region, string callingCode)
    {
        try
        {
            var number = Util.Parse(digits, region);
            return number.CountryCode.ToString(CultureInfo.InvariantCulture) == callingCode ? number : null;
        }
        catch (Lib.NumberParseException)
        {
            return null; // Too short or too long for the library: written plainly, for IsValid to report.
        }
    }

    /// <summary>True when <paramref name="callingCode"/> is a country calling code as <see cref="FromNational"/> takes it: 1–3 ASCII digits, not starting with 0.</summary>
    public static bool IsCallingCode(string? callingCode) =>
        callingCode is { Length: >= 1 and <= 3 } && callingCode[0] != '0' && callingCode.All(char.IsAsciiDigit);

    /// <summary>Parses a strict E.164 string with libphonenumber; false when it is not well formed or its calling code is unassigned.</summary>
    internal static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out Lib.PhoneNumber? number)
    {
        number = null;
        if (!IsWellFormed(value))
        {
            return false;
        }
        try
        {
            number = Util.Parse(value, null);
        }
        catch (Lib.NumberParseException)
        {
            return false;
        }
        // The library reads unassigned codes as errors; a code it knows but maps to no region ("ZZ") is unassigned too.
        // Seven digits are a whole number only where the country's plan has numbers that short (Niue, Tokelau, Tristan da Cunha).
        return Util.GetRegionCodeForCountryCode(number.CountryCode) != "ZZ" && (value.Length > 8 || Util.IsPossibleNumber(number));
    }

    /// <summary>The strict form alone: <c>+</c>, then 7–15 ASCII digits, the first 1–9.</summary>
    private static bool IsWellFormed([NotNullWhen(true)] string? value)
    {
        if (value is null || value.Length < 8 || value.Length > 16 || value[0] != '+' || value[1] == '0')
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
}

/// <summary>Wire names of libphonenumber's number types (<see cref="E164.TypeOf"/>).</summary>
public static class NumberTypes
{
    /// <summary>The type of a number the library cannot place in its country's plan.</summary>
    public const string Unknown = "unknown";

    /// <summary>The premium-rate type, refused by default (<c>Outdial:Compliance:RefusedNumberTypes</c>).</summary>
    public const string PremiumRate = "premium_rate";

    /// <summary>Every wire name, in libphonenumber's order.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        "fixed_line", "mobile", "fixed_line_or_mobile", "toll_free", PremiumRate, "shared_cost", "voip", "personal_number", "pager", "uan",
        "voicemail", Unknown,
    ];

    /// <summary>A human label for messages: <c>premium_rate</c> → "premium-rate".</summary>
    public static string Label(string wire) => wire switch
    {
        "fixed_line_or_mobile" => "fixed-line or mobile",
        "uan" => "universal access (UAN)",
        _ => wire.Replace('_', '-'),
    };

    internal static string Of(Lib.PhoneNumberType type) => type switch
    {
        Lib.PhoneNumberType.FIXED_LINE => "fixed_line",
        Lib.PhoneNumberType.MOBILE => "mobile",
        Lib.PhoneNumberType.FIXED_LINE_OR_MOBILE => "fixed_line_or_mobile",
        Lib.PhoneNumberType.TOLL_FREE => "toll_free",
        Lib.PhoneNumberType.PREMIUM_RATE => PremiumRate,
        Lib.PhoneNumberType.SHARED_COST => "shared_cost",
        Lib.PhoneNumberType.VOIP => "voip",
        Lib.PhoneNumberType.PERSONAL_NUMBER => "personal_number",
        Lib.PhoneNumberType.PAGER => "pager",
        Lib.PhoneNumberType.UAN => "uan",
        Lib.PhoneNumberType.VOICEMAIL => "voicemail",
        _ => Unknown,
    };
}
