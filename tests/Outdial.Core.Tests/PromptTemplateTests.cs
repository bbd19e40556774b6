using Outdial.Core.Agents;

namespace Outdial.Core.Tests;

public class PromptTemplateTests
{
    private static readonly Dictionary<string, string> Values = new(StringComparer.Ordinal)
    {
        ["name"] = "Ada",
        ["company"] = "Acme",
    };

    [Fact]
    public void Render_KnownPlaceholders_AreSubstituted()
    {
        Assert.Equal("Hi Ada from Acme, Ada!", PromptTemplate.Render("Hi {name} from {company}, {name}!", Values));
    }

    [Fact]
    public void Render_PlaceholderAtStartAndEnd_IsSubstituted()
    {
        Assert.Equal("AdaAcme", PromptTemplate.Render("{name}{company}", Values));
    }

    [Fact]
    public void Render_MissingVariable_IsLeftAsWritten()
    {
        Assert.Equal("Hi Ada, your order {orderId} shipped", PromptTemplate.Render("Hi {name}, your order {orderId} shipped", Values));
    }

    [Fact]
    public void Render_NamesAreCaseSensitive()
    {
        Assert.Equal("Hi {Name}", PromptTemplate.Render("Hi {Name}", Values));
    }

    [Fact]
    public void Render_ValueContainingBraces_IsInsertedVerbatimAndNotRendered()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["a"] = "{b}}", ["b"] = "X" };
        Assert.Equal("[{b}}]", PromptTemplate.Render("[{a}]", values));
    }

    [Fact]
    public void Render_DoubledBraces_AreLiteralBraces()
    {
        Assert.Equal("{name} is Ada", PromptTemplate.Render("{{name}} is {name}", Values));
    }

    [Fact]
    public void Render_DoubledClosingBraceWithoutAnyOpeningBrace_IsOneLiteralBrace()
    {
        Assert.Equal("a } b", PromptTemplate.Render("a }} b", Values));
    }

    [Fact]
    public void Render_JsonLikeTextEscaped_RendersLiteralJson()
    {
        Assert.Equal("{\"k\": \"Ada\"}", PromptTemplate.Render("{{\"k\": \"{name}\"}}", Values));
    }

    [Fact]
    public void Render_UnclosedBrace_IsLeftAsWritten()
    {
        Assert.Equal("Hi {name", PromptTemplate.Render("Hi {name", Values));
        Assert.Equal("Hi Ada {", PromptTemplate.Render("Hi {name} {", Values));
    }

    [Fact]
    public void Render_EmptyBraces_AreLeftAsWritten()
    {
        Assert.Equal("x {} y", PromptTemplate.Render("x {} y", Values));
    }

    [Fact]
    public void Render_LoneClosingBrace_IsKept()
    {
        Assert.Equal("Ada } done", PromptTemplate.Render("{name} } done", Values));
    }

    [Fact]
    public void Placeholders_ListsEachNameOnce()
    {
        var names = PromptTemplate.Placeholders("Hi {name} from {company}, {name}!");
        Assert.Equal(["company", "name"], names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Placeholders_IgnoresEscapedBraces()
    {
        var names = PromptTemplate.Placeholders("{{literal}} and {real}");
        Assert.Equal("real", Assert.Single(names));
    }

    [Fact]
    public void Placeholders_IgnoresUnclosedAndEmptyBraces()
    {
        Assert.Empty(PromptTemplate.Placeholders("no placeholder {} here {unclosed"));
    }

    [Fact]
    public void Placeholders_TextWithoutBraces_IsEmpty()
    {
        Assert.Empty(PromptTemplate.Placeholders("plain text"));
    }

    [Fact]
    public void Placeholders_BraceInsideAnUnclosedBrace_ReportsTheNameRenderSubstitutes()
    {
        // Render treats "{a " as literal text and substitutes "{b}"; Placeholders should name what Render would fill.
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["b"] = "X" };
        Assert.Equal("Hi {a X", PromptTemplate.Render("Hi {a {b}", values));
        Assert.Equal("b", Assert.Single(PromptTemplate.Placeholders("Hi {a {b}")));
    }
}
