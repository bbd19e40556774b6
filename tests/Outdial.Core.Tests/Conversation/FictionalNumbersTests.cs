using Outdial.Core.Compliance;

namespace Outdial.Core.Tests.Conversation;

public class FictionalNumbersTests
{
    [Theory]
    [InlineData("+12125550100", true)]
    [InlineData("+13105550199", true)]
    [InlineData("+12125550200", false)]
    [InlineData("+12125550099", false)]
    [InlineData("+15551234567", false)]
    [InlineData("+442079460123", true)]
    [InlineData("+447700900001", true)]
    [InlineData("+441614960999", true)]
    [InlineData("+442079470123", false)]
    [InlineData("+4420794601234", false)]
    public void IsFictional_KnowsTheReservedRanges(string number, bool fictional) => Assert.Equal(fictional, FictionalNumbers.IsFictional(number));
}
