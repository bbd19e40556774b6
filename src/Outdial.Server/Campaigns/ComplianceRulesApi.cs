using Outdial.Core.Compliance;

namespace Outdial.Server.Campaigns;

/// <summary>Calling hours of a rule: on <c>days</c> (<c>mon</c>…<c>sun</c>), from <c>start</c> to <c>end</c> (<c>HH:mm</c>, the callee's local time).</summary>
public sealed record CallingHoursResource(IReadOnlyList<string> Days, string Start, string End);

/// <summary>
/// One legal rule: <c>region</c> is a country (<c>US</c>) or subdivision (<c>US-FL</c>); <c>hours</c> is a union (empty = no hour
/// limit); <c>frequency</c> caps attempts per number in a rolling window (seconds); <c>source</c> cites the statute or regulation.
/// </summary>
public sealed record ComplianceRuleResource(string Id, string Region, string Title, string Source, string? SourceUrl, bool Enabled,
    IReadOnlyList<CallingHoursResource> Hours, FrequencyLimit? Frequency);

/// <summary>A rule pack (one country's rules) and whether it is enabled.</summary>
public sealed record RulePackResource(string Id, string Name, string Country, bool Enabled, IReadOnlyList<ComplianceRuleResource> Rules);

/// <summary>Every rule pack in force (<c>GET /v1/compliance/rules</c>).</summary>
public sealed record RulePackList(IReadOnlyList<RulePackResource> Data);

/// <summary>
/// <c>GET /v1/compliance/rules</c>: the legal floor in force on this server — every rule pack with its rules, hours
/// (callee local time), frequency limits, sources and whether each is enabled (the operator edits them in configuration,
/// <c>Outdial:Compliance</c>).
/// </summary>
public static class ComplianceRulesApi
{
    public static RouteHandlerBuilder MapComplianceRules(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1/compliance/rules", (ComplianceChecker compliance) => TypedResults.Ok(new RulePackList(
        [
            .. compliance.Floor.Packs.Select(p => new RulePackResource(p.Id, p.Name, p.Country, p.Enabled,
            [
                .. p.Rules.Select(r => new ComplianceRuleResource(r.Id, r.Region, r.Title, r.Source, r.SourceUrl, r.Enabled,
                    [
                        .. r.Hours.Select(h => new CallingHoursResource(
                            [.. h.Days.Select(d => d.ToString()[..3].ToLowerInvariant())], h.Start.ToString("HH:mm", null), h.End.ToString("HH:mm", null))),
                    ],
                    r.Frequency)),
            ])),
        ])))
        .WithTags("Compliance").WithName("ListComplianceRules").RequireAuthorization()
        .WithSummary("List the legal calling rules in force")
        .WithDescription("""
            The legal floor on this server: every rule pack (one per country, such as the shipped US pack) with its rules, calling
            hours in the callee's local time, frequency limits, legal sources and whether each is enabled. The operator changes
            them in configuration (`Outdial:Compliance`); every call is checked against them.
            """);
}
