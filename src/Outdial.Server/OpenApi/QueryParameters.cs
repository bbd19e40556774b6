using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Outdial.Server.Infrastructure;

namespace Outdial.Server.OpenApi;

/// <summary>
/// A query parameter a handler reads from <see cref="HttpRequest.Query"/> itself (so that a bad value is its own 400
/// <c>invalid_query</c>, not the framework's binding error), declared for the document. OpenAPI metadata only.
/// </summary>
/// <param name="Name">The parameter's name.</param>
/// <param name="Description">What it does.</param>
/// <param name="Type">Its JSON type (string, integer or boolean).</param>
/// <param name="Format">A string format such as <c>date-time</c>, or null.</param>
/// <param name="Values">The allowed values, or null for any.</param>
public sealed record QueryParameter(string Name, string Description, JsonSchemaType Type = JsonSchemaType.String, string? Format = null,
    IReadOnlyList<string>? Values = null)
{
    /// <summary><c>limit</c>: page size, 1–<see cref="Paging.MaxLimit"/>, default <see cref="Paging.DefaultLimit"/>.</summary>
    public static QueryParameter Limit { get; } = new("limit", $"Page size, 1–{Paging.MaxLimit} (default {Paging.DefaultLimit}).", JsonSchemaType.Integer);

    /// <summary><c>cursor</c>: the previous page's <c>nextCursor</c>.</summary>
    public static QueryParameter Cursor { get; } = new("cursor", "The previous page's `nextCursor`; absent for the first page.");

    /// <summary>A string filter.</summary>
    public static QueryParameter Text(string name, string description) => new(name, description);

    /// <summary>A filter that takes one of <paramref name="values"/>.</summary>
    public static QueryParameter OneOf(string name, string description, params string[] values) => new(name, description, Values: values);

    /// <summary>An ISO-8601 instant with an offset (<c>Z</c> or <c>±hh:mm</c>).</summary>
    public static QueryParameter Instant(string name, string description) => new(name, description, Format: "date-time");

    /// <summary>The parameter as an OpenAPI query parameter (never required).</summary>
    public OpenApiParameter ToOpenApi()
    {
        var schema = new OpenApiSchema { Type = Type, Format = Format };
        if (this == Limit)
        {
            schema.Format = "int32";
            schema.Minimum = "1";
            schema.Maximum = Paging.MaxLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            schema.Default = Paging.DefaultLimit;
        }
        if (Values is { Count: > 0 })
        {
            schema.Enum = [.. Values.Select(v => (JsonNode)JsonValue.Create(v))];
        }
        return new OpenApiParameter { Name = Name, In = ParameterLocation.Query, Description = Description, Schema = schema };
    }
}

/// <summary>A request header a handler reads itself, declared for the document (OpenAPI metadata only).</summary>
/// <param name="Name">The header's name.</param>
/// <param name="Description">What it carries.</param>
/// <param name="Required">True when a request without it is refused.</param>
public sealed record HeaderParameter(string Name, string Description, bool Required)
{
    /// <summary>The header as an OpenAPI parameter (a string).</summary>
    public OpenApiParameter ToOpenApi() => new()
    {
        Name = Name,
        In = ParameterLocation.Header,
        Description = Description,
        Required = Required,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };
}

/// <summary>Declaring the query and header parameters of handlers that read them themselves.</summary>
public static class QueryParameterExtensions
{
    /// <summary>Declares a request header on the route's operation (see <see cref="HeaderParameter"/>).</summary>
    public static RouteHandlerBuilder WithHeader(this RouteHandlerBuilder builder, string name, string description, bool required = false) =>
        builder.WithMetadata(new HeaderParameter(name, description, required));

    /// <summary>Declares <paramref name="parameters"/> on the route's operation (see <see cref="QueryParameter"/>).</summary>
    public static RouteHandlerBuilder WithQuery(this RouteHandlerBuilder builder, params QueryParameter[] parameters)
    {
        foreach (var parameter in parameters)
        {
            builder.WithMetadata(parameter);
        }
        return builder;
    }
}
