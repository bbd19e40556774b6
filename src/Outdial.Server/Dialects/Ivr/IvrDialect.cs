namespace Outdial.Server.Dialects.Ivr;

/// <summary>Seed 002 (IVR): <c>POST /v2/call</c>, <c>POST /v2/callresult</c>. Not served yet (issue 5, in progress).</summary>
public static class IvrDialect
{
    public static void MapIvrDialect(this IEndpointRouteBuilder app)
    {
        _ = app;
    }
}
