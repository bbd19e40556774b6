namespace Outdial.Core.Compliance;

/// <summary>
/// Telephone numbers reserved for fiction and tests, which no person can answer. On the sandbox provider, calls to them skip
/// the legal floor's quiet hours (nobody can be disturbed), so a quick start works at any hour; real numbers, and these numbers
/// on a real provider, keep every rule.
/// <list type="bullet">
/// <item>NANP: <c>NXX-555-0100</c> to <c>NXX-555-0199</c> in every area code, reserved for fictional use (NANPA, "555 line
/// numbers").</item>
/// <item>United Kingdom: Ofcom's drama numbers ("TV and radio drama telephone numbers"): 020 7946 0000–0999, 0113/0114/0115/
/// 0116/0117/0118/0121/0131/0141/0151/0161 496 0000–0999, 028 9649 6000–6999, 029 2018 0000–0999, 01632 960000–960999,
/// 07700 900000–900999, 08081 570000–570999, 0909 8790000–8790999, 03069 990000–990999.</item>
/// </list>
/// </summary>
public static class FictionalNumbers
{
    /// <summary>E.164 prefixes of the UK ranges; each range is its prefix plus three more digits (13 characters in all).</summary>
    private static readonly string[] UkPrefixes =
    [
        "+442079460", "+441134960", "+441144960", "+441154960", "+441164960", "+441174960", "+441184960", "+441214960", "+441314960",
        "+441414960", "+441514960", "+441614960", "+442896496", "+442920180", "+441632960", "+447700900", "+448081570", "+449098790",
        "+443069990",
    ];

    /// <summary>The reason recorded on a call's decision when the quiet hours were skipped for a fictional number.</summary>
    public const string ReasonCode = "fictional_test_number";

    /// <summary>True for a number in one of the fictional ranges above (E.164).</summary>
    public static bool IsFictional(string e164) =>
        IsFictionalNanp(e164) || (e164.Length == 13 && UkPrefixes.Any(p => e164.StartsWith(p, StringComparison.Ordinal)));

    /// <summary>True for <c>+1 NXX 555 01XX</c>.</summary>
    public static bool IsFictionalNanp(string e164) =>
        e164.Length == 12 && e164.StartsWith("+1", StringComparison.Ordinal) && e164.AsSpan(5, 5).SequenceEqual("55501")
        && char.IsAsciiDigit(e164[10]) && char.IsAsciiDigit(e164[11]);
}
