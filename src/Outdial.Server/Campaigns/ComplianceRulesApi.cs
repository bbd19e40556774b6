using Outdial.Core.Compliance;

namespace Outdial.Server.Campaigns;

/// <summary>
/// <c>GET /v1/compliance/rules</c>: the legal floor in force on this server — every rule pack with its rules, hours
/// (callee local time), frequency limits, sources and whether each is enabled (the operator edits them in configuration,
/// <c>Outdial:Compliance</c>).
/// </summary>
public static class ComplianceRulesApi
{
    public static RouteHandlerBuilder MapComplianceRules(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1/compliance/rules", (ComplianceChecker compliance) => TypedResults.Ok(new
        {
            data = compliance.Floor.Packs.Select(p => new
            {
                p.Id,
                p.Name,
                p.Country,
                p.Enabled,
                Rules = p.Rules.Select(r => new
                {
                    r.Id,
                    r.Region,
                    r.Title,
                    r.Source,
                    r.SourceUrl,
                    r.Enabled,
                    Hours = r.Hours.Select(h => new
                    {
                        Days = h.Days.Select(d => d.ToString()[..3].ToLowerInvariant()),
                        Start = h.Start.ToString("HH:mm", null),
                        End = h.End.ToString("HH:mm", null),
                    }),
                    r.Frequency,
                }),
            }),
        })).WithTags("Compliance").WithName("ListComplianceRules").RequireAuthorization();
}
