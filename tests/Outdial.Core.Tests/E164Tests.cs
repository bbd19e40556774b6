using Outdial.Core.Calls;

namespace Outdial.Core.Tests;

public class E164Tests
{
    [Theory]
    [InlineData("+15551234567")]
    [InlineData("+4930123456")]
    [InlineData("+12345678")] // 8 digits: the shortest allowed
    [InlineData("+123456789012345")] // 15 digits: the longest allowed
    [InlineData("+6837012")] // 7 digits: Niue's numbers are that short (ITU-T E.164 allows it; libphonenumber's plan for +683)
    [InlineData("+15551230001")] // not in NANP's plan (type unknown), but well formed with an assigned code
    public void IsValid_PlusThenEightToFifteenDigitsNotStartingWithZero_ReturnsTrue(string value)
    {
        Assert.True(E164.IsValid(value));
    }

    [Theory]
    [InlineData("15551234567")] // missing +
    [InlineData("+1 555 123 4567")] // spaces
    [InlineData("+1-555-123-4567")] // dashes
    [InlineData("+1(555)1234567")] // brackets
    [InlineData("+05551234567")] // leading 0 after +
    [InlineData("+1234567")] // 7 digits, too short for +1
    [InlineData("+1234567890123456")] // 16 digits
    [InlineData("+1555CALLNOW")] // letters
    [InlineData("+15551234a67")] // a letter in the middle
    [InlineData("+999999999999999")] // +999 is not an assigned country calling code
    [InlineData("+99912345678")]
    [InlineData("")]
    [InlineData("+")]
    [InlineData("++15551234567")]
    [InlineData("+15551234567 ")] // trailing space
    [InlineData(" +15551234567")] // leading space
    public void IsValid_AnythingElse_ReturnsFalse(string value)
    {
        Assert.False(E164.IsValid(value));
    }

    [Fact]
    public void IsValid_NonAsciiDigits_ReturnsFalse()
    {
        // Arabic-Indic and full-width digits are char.IsDigit but not ASCII.
        Assert.False(E164.IsValid("+\u0661\u0665\u0665\u0665\u0661\u0662\u0663\u0664\u0665\u0666\u0667"));
        Assert.False(E164.IsValid("+\uFF11\uFF15\uFF15\uFF15\uFF11\uFF12\uFF13\uFF14\uFF15\uFF16\uFF17"));
    }

    [Fact]
    public void IsValid_Null_ReturnsFalse()
    {
        Assert.False(E164.IsValid(null));
    }

    [Theory]
    [InlineData("+1 (555) 123-4567", "+15551234567")]
    [InlineData(" +44 20.7946.0000\t", "+442079460000")]
    [InlineData("0555 123\u00a04567", "05551234567")] // no country code is added
    [InlineData("+1-555-abc", "+1555abc")] // letters stay, so IsValid still refuses it
    public void RemoveFormatting_DropsWhitespaceDashesDotsParentheses_Only(string raw, string expected)
    {
        Assert.Equal(expected, E164.RemoveFormatting(raw));
    }

    [Theory]
    [InlineData("5551234567", "1", "+15551234567")]      // national digits get the calling code
    [InlineData("(555) 123-4567", "1", "+15551234567")]  // formatting removed first
    [InlineData("020 7946 0018", "44", "+442079460018")] // a national trunk prefix 0 is dropped
    [InlineData("0044 20 7946 0018", "1", "+442079460018")] // 00 is the international prefix
    [InlineData("+49 30 901820", "1", "+4930901820")]    // already international: kept
    [InlineData("06 1234 5678", "39", "+390612345678")]  // Italy keeps its leading 0 (libphonenumber's plan for +39)
    [InlineData("1 212 555 0123", "1", "+12125550123")]  // NANP's trunk prefix 1 is dropped
    [InlineData("200", "1", "+1200")]                    // too short: returned for IsValid to refuse
    [InlineData("12ab", "1", "12ab")]                    // not digits: unchanged, so that IsValid reports it
    [InlineData("", "1", "")]
    public void FromNational_ReadsNationalAndInternationalForms(string raw, string callingCode, string expected)
    {
        Assert.Equal(expected, E164.FromNational(raw, callingCode));
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("44", true)]
    [InlineData("358", true)]
    [InlineData("0", false)]
    [InlineData("1234", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("+1", false)]
    [InlineData("4a", false)]
    public void IsCallingCode_IsOneToThreeDigitsNotStartingWithZero(string? code, bool expected)
    {
        Assert.Equal(expected, E164.IsCallingCode(code));
    }

    [Theory]
    [InlineData("+447400123456", "mobile")]
    [InlineData("+442079460123", "fixed_line")]
    [InlineData("+12125550123", "fixed_line_or_mobile")]
    [InlineData("+18005550123", "toll_free")]
    [InlineData("+19005550123", "premium_rate")]
    [InlineData("+15551230001", "unknown")]
    [InlineData("not a number", "unknown")]
    public void TypeOf_IsLibphonenumbersClassification(string e164, string type)
    {
        Assert.Equal(type, E164.TypeOf(e164));
        Assert.Contains(type, NumberTypes.All);
    }
}
