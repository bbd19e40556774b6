using Microsoft.AspNetCore.Mvc;

namespace Outdial.Server.OpenApi;

/// <summary>
/// Which problem <c>code</c>s (RFC 9457 problem details, <c>urn:outdial:problem:{code}</c>) a native endpoint answers with one HTTP
/// status. OpenAPI metadata only: the handler decides what it answers; the document lists the codes in the response's description.
/// </summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Codes">The stable problem codes answered with it, e.g. <c>duplicate_call</c>.</param>
public sealed record ProblemCodes(int Status, IReadOnlyList<string> Codes);

/// <summary>Declaring problem responses on native routes.</summary>
public static class ProblemResponses
{
    /// <summary>
    /// Declares an <c>application/problem+json</c> response (<see cref="ProblemDetails"/> with Outdial's <c>code</c> and
    /// <c>errors</c>) for <paramref name="status"/>, answered with the problem <paramref name="codes"/>.
    /// </summary>
    public static RouteHandlerBuilder ProducesProblemCodes(this RouteHandlerBuilder builder, int status, params string[] codes) =>
        builder.ProducesProblem(status).WithMetadata(new ProblemCodes(status, codes));

    /// <summary>404 <c>not_found</c>: no such object in the caller's account (another account's object answers the same).</summary>
    public static RouteHandlerBuilder ProducesNotFound(this RouteHandlerBuilder builder) =>
        builder.ProducesProblemCodes(StatusCodes.Status404NotFound, "not_found");

    /// <summary>422 <c>validation_failed</c>, with <c>errors</c> naming each invalid field.</summary>
    public static RouteHandlerBuilder ProducesValidationFailed(this RouteHandlerBuilder builder) =>
        builder.ProducesProblemCodes(StatusCodes.Status422UnprocessableEntity, "validation_failed");

    /// <summary>400 <c>invalid_query</c>: a query parameter (<c>limit</c>, a filter) has a bad value.</summary>
    public static RouteHandlerBuilder ProducesInvalidQuery(this RouteHandlerBuilder builder) =>
        builder.ProducesProblemCodes(StatusCodes.Status400BadRequest, "invalid_query");
}
