using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;

namespace Outdial.Server.OpenApi;

/// <summary>
/// The security schemes of the OpenAPI document (<c>components.securitySchemes</c>): where each API takes its API key. Every
/// key is an Outdial API key (<c>od_live_…</c>, <c>POST /v1/api-keys</c>); the schemes differ only in where it is sent.
/// </summary>
public static class ApiSecurity
{
    /// <summary><c>Authorization: Bearer &lt;key&gt;</c>: the native API, seed 001 (Talkover) and seed 003 (BuildVoiceAI).</summary>
    public const string Bearer = "bearer";

    /// <summary>Seed 000 (Vodex): the key as the whole <c>Authorization</c> header (<c>Bearer &lt;key&gt;</c> is read too).</summary>
    public const string VodexAuthorization = "vodexAuthorization";

    /// <summary>Seed 004 (aicaller): the <c>aicaller-api-key</c> header.</summary>
    public const string AicallerApiKey = "aicallerApiKey";

    /// <summary>The schemes, by name, as declared in the document.</summary>
    public static IReadOnlyDictionary<string, OpenApiSecurityScheme> Schemes { get; } = new Dictionary<string, OpenApiSecurityScheme>(StringComparer.Ordinal)
    {
        [Bearer] = new()
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "od_live_…",
            Description = "An Outdial API key in `Authorization: Bearer <key>`. A missing, unknown or revoked key is 401; each key may make "
                + "`Outdial:Api:RateLimitPerMinute` requests per minute (default 100), then 429 with `Retry-After` (seconds).",
        },
        [VodexAuthorization] = new()
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "Authorization",
            Description = "Seed 000 (Vodex): the API key as the whole `Authorization` header value (`Authorization: <key>`; "
                + "`Bearer <key>` is accepted too). The `dburl` header must name the key's account (its `aliases.dburl`).",
        },
        [AicallerApiKey] = new()
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "aicaller-api-key",
            Description = "Seed 004 (aicaller): the API key in the `aicaller-api-key` header.",
        },
    };

    /// <summary>
    /// Declares the schemes that authenticate this route, as alternatives (any one is enough); none = the route takes no HTTP-level
    /// credential (seed 002 carries its key in the body). Routes without this metadata are described from their authorization
    /// metadata: <c>RequireAuthorization</c> = <see cref="Bearer"/>, anonymous = none.
    /// </summary>
    public static TBuilder WithSecurity<TBuilder>(this TBuilder builder, params string[] schemes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new SecurityMetadata(schemes, AllowsAnonymous: false));

    /// <summary>Like <see cref="WithSecurity"/>, and the route also answers without any credential (seed 002's token-less results).</summary>
    public static TBuilder WithOptionalSecurity<TBuilder>(this TBuilder builder, params string[] schemes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new SecurityMetadata(schemes, AllowsAnonymous: true));

    /// <summary>The route's schemes as the document states them.</summary>
    /// <param name="Schemes">Alternatives: any one authenticates.</param>
    /// <param name="AllowsAnonymous">True when a request with no credential is answered too.</param>
    public sealed record SecurityMetadata(IReadOnlyList<string> Schemes, bool AllowsAnonymous);

    /// <summary>
    /// The schemes of an endpoint: its <see cref="SecurityMetadata"/>, else <see cref="Bearer"/> when it requires authorization
    /// (the native API's only authentication handler reads the Bearer key), else none.
    /// </summary>
    public static SecurityMetadata Of(IReadOnlyList<object> endpointMetadata)
    {
        if (endpointMetadata.OfType<SecurityMetadata>().LastOrDefault() is { } declared)
        {
            return declared;
        }
        var requiresKey = endpointMetadata.OfType<IAuthorizeData>().Any() && !endpointMetadata.OfType<IAllowAnonymous>().Any();
        return requiresKey ? new SecurityMetadata([Bearer], false) : new SecurityMetadata([], true);
    }
}
