namespace Outdial.Server.Dialects.Vodex;

/// <summary>Seed 000 (Vodex): <c>POST /api/v1/trigger-call</c>. Not served yet (issue 5, in progress).</summary>
public static class VodexDialect
{
    public static void MapVodexDialect(this IEndpointRouteBuilder app)
    {
        _ = app;
    }
}
