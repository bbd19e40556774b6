using System.CommandLine;

namespace Outdial.Cli.Infrastructure;

/// <summary>Options every command accepts (recursive on the root command), with their environment fallbacks.</summary>
public static class GlobalOptions
{
    /// <summary>The server used when neither <c>--url</c> nor <c>OUTDIAL_URL</c> names one (the server's own default address).</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static readonly Option<string?> Url = new("--url")
    {
        Description = $"Base URL of the Outdial server [env: OUTDIAL_URL; default: {DefaultUrl}]",
        Recursive = true,
    };

    public static readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = "API key of the account to act for [env: OUTDIAL_API_KEY]",
        Recursive = true,
    };

    public static readonly Option<string?> AdminKey = new("--admin-key")
    {
        Description = "Operator key, for 'admin' commands [env: OUTDIAL_ADMIN_KEY]",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the server's JSON instead of tables (for scripts)",
        Recursive = true,
    };

    public static void AddTo(RootCommand root)
    {
        root.Options.Add(Url);
        root.Options.Add(ApiKey);
        root.Options.Add(AdminKey);
        root.Options.Add(Json);
    }
}
