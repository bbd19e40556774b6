using System.CommandLine;
using System.Text.Json.Nodes;

namespace Outdial.Cli.Infrastructure;

/// <summary>Small helpers that keep command definitions to one statement each.</summary>
public static class Cmd
{
    /// <summary>A command group: no action of its own, so naming no subcommand is a usage error.</summary>
    public static Command Group(string name, string description, params Command[] subcommands)
    {
        var group = new Command(name, description);
        foreach (var sub in subcommands)
        {
            group.Subcommands.Add(sub);
        }
        return group;
    }

    /// <summary>A command with <paramref name="symbols"/> (options and arguments) that runs <paramref name="action"/>.</summary>
    public static Command Leaf(string name, string description, Func<CommandContext, Task<int>> action, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option option:
                    command.Options.Add(option);
                    break;
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                default:
                    throw new ArgumentException($"unsupported symbol {symbol.GetType().Name}", nameof(symbols));
            }
        }
        command.SetAction((parse, ct) => action(new CommandContext(parse, ct)));
        return command;
    }

    /// <summary>
    /// A command on one object: takes its <c>id</c> argument, makes <paramref name="call"/> with the account's client and the
    /// id (already URL-escaped), and prints the answer as a record of <paramref name="fields"/> (or the JSON with <c>--json</c>).
    /// </summary>
    public static Command ForId(string name, string description, string idDescription,
        Func<ApiClient, string, CancellationToken, Task<JsonNode>> call, params string[] fields)
    {
        var id = Arg("id", idDescription);
        return Leaf(name, description, async ctx =>
        {
            using var api = ctx.Api();
            ctx.Out.Record(await call(api, Path(ctx.Get(id)), ctx.Cancellation), fields);
            return ExitCodes.Ok;
        }, id);
    }

    /// <summary>A required string argument, e.g. an id.</summary>
    public static Argument<string> Arg(string name, string description) => new(name) { Description = description };

    /// <summary>An optional string option.</summary>
    public static Option<string?> Opt(string name, string description) => new(name) { Description = description };

    /// <summary>A required string option.</summary>
    public static Option<string> Required(string name, string description) => new(name) { Description = description, Required = true };

    /// <summary>A repeatable <c>key=value</c> option (<c>--var name=Ann --var plan=gold</c>).</summary>
    public static Option<string[]> Pairs(string name, string description) => new(name)
    {
        Description = description + " (key=value; repeatable)",
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>Escapes <paramref name="segment"/> for a URL path (<c>+</c> becomes <c>%2B</c>).</summary>
    public static string Path(string segment) => Uri.EscapeDataString(segment);
}
