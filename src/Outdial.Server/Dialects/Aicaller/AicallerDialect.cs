namespace Outdial.Server.Dialects.Aicaller;

/// <summary>Seed 004 (aicaller): <c>POST /v1/phoneCalls</c>, <c>GET /v1/phoneCalls/{id}</c>. Not served yet (issue 5, in progress).</summary>
public static class AicallerDialect
{
    public static void MapAicallerDialect(this IEndpointRouteBuilder app)
    {
        _ = app;
    }
}
