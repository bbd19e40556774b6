using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace Outdial.Server.OpenApi;

/// <summary>
/// The examples shown in the document, one JSON file each in <c>OpenApi/Examples</c> (embedded). The native ones are a sandbox
/// server's real answers (ids and times as it wrote them): a call to the fictional <c>+12125550123</c> with scripted replies
/// (<c>CreateCallRequest</c> → <c>CallQueued</c> → <c>CallEnded</c>, <c>WebhookCallEnded</c>); the dialect ones follow their seeds.
/// CI's spectral check validates every example against its schema, so one that no longer fits its type fails the build.
/// </summary>
public static class OpenApiExamples
{
    private const string Prefix = "Outdial.Server.OpenApi.Examples.";

    private static readonly FrozenDictionary<string, string> Texts = Load();

    /// <summary>A fresh copy of the example <paramref name="name"/> (a JSON node has one parent).</summary>
    /// <exception cref="KeyNotFoundException">No example file has that name.</exception>
    public static JsonNode Get(string name) =>
        JsonNode.Parse(Texts.TryGetValue(name, out var text) ? text : throw new KeyNotFoundException($"No OpenAPI example '{name}' (OpenApi/Examples/{name}.json)."))
        ?? throw new InvalidOperationException($"The OpenAPI example '{name}' is null.");

    private static FrozenDictionary<string, string> Load()
    {
        var assembly = typeof(OpenApiExamples).Assembly;
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            texts[resource[Prefix.Length..^".json".Length]] = reader.ReadToEnd();
        }
        return texts.ToFrozenDictionary(StringComparer.Ordinal);
    }
}

/// <summary>An example of a route's request body (<see cref="Status"/> null) or of its answer with <see cref="Status"/> (OpenAPI metadata only).</summary>
/// <param name="Status">The response's HTTP status, or null for the request body.</param>
/// <param name="Name">The example's name in <see cref="OpenApiExamples"/>.</param>
public sealed record ExampleMetadata(int? Status, string Name);

/// <summary>Attaching examples to routes.</summary>
public static class ExampleExtensions
{
    /// <summary>Shows the example <paramref name="name"/> as the request body.</summary>
    public static RouteHandlerBuilder WithRequestExample(this RouteHandlerBuilder builder, string name) =>
        builder.WithMetadata(new ExampleMetadata(null, name));

    /// <summary>Shows the example <paramref name="name"/> as the answer with <paramref name="status"/>.</summary>
    public static RouteHandlerBuilder WithResponseExample(this RouteHandlerBuilder builder, int status, string name) =>
        builder.WithMetadata(new ExampleMetadata(status, name));
}
