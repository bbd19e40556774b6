using System.CommandLine;

namespace Outdial.Cli.Infrastructure;

/// <summary>What a running command needs: its parsed values, the Ctrl+C token, the output, and clients for the server.</summary>
public sealed class CommandContext(ParseResult parse, CancellationToken cancellation)
{
    public ParseResult Parse { get; } = parse;

    /// <summary>Canceled on Ctrl+C / SIGTERM.</summary>
    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>True with <c>--json</c>.</summary>
    public bool Json => Parse.GetValue(GlobalOptions.Json);

    public Output Out { get; } = new(parse.GetValue(GlobalOptions.Json));

    public T? Get<T>(Option<T> option) => Parse.GetValue(option);

    public T Get<T>(Argument<T> argument) => Parse.GetRequiredValue(argument);

    /// <summary><c>--url</c>, else <c>OUTDIAL_URL</c>, else <see cref="GlobalOptions.DefaultUrl"/>; exit 2 when it is not an absolute http(s) URL.</summary>
    public Uri ServerUrl
    {
        get
        {
            var text = Parse.GetValue(GlobalOptions.Url) ?? Environment.GetEnvironmentVariable("OUTDIAL_URL");
            text = string.IsNullOrWhiteSpace(text) ? GlobalOptions.DefaultUrl : text.Trim();
            if (!Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                throw new CliException(ExitCodes.Usage, $"error: --url '{text}' is not an absolute http or https URL");
            }
            return url;
        }
    }

    /// <summary>A client holding the account's API key (<c>--api-key</c> or <c>OUTDIAL_API_KEY</c>; exit 2 when neither is set).</summary>
    public ApiClient Api() => new(ServerUrl, Key(GlobalOptions.ApiKey, "OUTDIAL_API_KEY", "an API key"));

    /// <summary>A client holding the operator key (<c>--admin-key</c> or <c>OUTDIAL_ADMIN_KEY</c>; exit 2 when neither is set).</summary>
    public ApiClient Admin() => new(ServerUrl, Key(GlobalOptions.AdminKey, "OUTDIAL_ADMIN_KEY", "the operator key"));

    private string Key(Option<string?> option, string env, string what)
    {
        var key = (Parse.GetValue(option) ?? Environment.GetEnvironmentVariable(env))?.Trim();
        if (string.IsNullOrEmpty(key))
        {
            throw new CliException(ExitCodes.Usage, $"error: {what} is needed: pass {option.Name} or set {env}");
        }
        // An HTTP header carries printable ASCII only; say so here rather than as a failed connection.
        return key.All(c => c is > ' ' and < (char)127)
            ? key
            : throw new CliException(ExitCodes.Usage, $"error: {option.Name} holds characters a key never has (spaces, control or non-ASCII characters)");
    }
}
