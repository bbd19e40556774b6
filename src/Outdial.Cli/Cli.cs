using System.CommandLine;
using System.CommandLine.Invocation;
using Outdial.Cli.Commands;
using Outdial.Cli.Infrastructure;

namespace Outdial.Cli;

/// <summary>The <c>outdial</c> command tree and its entry point.</summary>
public static class Cli
{
    /// <summary>Ctrl+C cancels the running command; it then has this long to finish before the process ends anyway.</summary>
    private static readonly TimeSpan TerminationGrace = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Parses and runs <paramref name="args"/>; returns the process exit code (<see cref="ExitCodes"/>). Parse errors print on
    /// stderr (exit 2); a <see cref="CliException"/> prints its message on stderr (with <c>--json</c>, a server problem
    /// document is also written to stdout) and exits with its code; Ctrl+C outside the commands that expect it exits 130;
    /// invalid server settings exit 2; any other exception is a bug, reported in one line with exit 70.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine("error: " + error.Message);
            }
            Console.Error.WriteLine($"Run '{string.Join(' ', CommandPath(parse.CommandResult.Command, root))} --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TerminationGrace });
        }
        catch (ApiProblemException e)
        {
            if (parse.GetValue(GlobalOptions.Json) && e.Problem is not null)
            {
                Console.Out.WriteLine(Output.JsonText(e.Problem));
            }
            Console.Error.WriteLine(e.Message);
            return e.ExitCode;
        }
        catch (CliException e)
        {
            Console.Error.WriteLine(e.Message);
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("canceled");
            return 130;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException e)
        {
            Console.Error.WriteLine("error: invalid settings: " + string.Join("; ", e.Failures));
            return ExitCodes.Configuration;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: unexpected failure ({e.GetType().Name}): {e.Message}");
            return ExitCodes.Internal;
        }
    }

    /// <summary>The root command with every command group.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("outdial: run, migrate and script an Outdial server (outbound AI voice calls). Docs: docs/cli.md");
        GlobalOptions.AddTo(root);
        root.Subcommands.Add(HostCommands.Serve());
        root.Subcommands.Add(HostCommands.Migrate());
        root.Subcommands.Add(AdminCommands.Build());
        root.Subcommands.Add(KeysCommands.Build());
        root.Subcommands.Add(CallsCommands.Build());
        root.Subcommands.Add(CampaignsCommands.Build());
        root.Subcommands.Add(DncCommands.Build());
        root.Subcommands.Add(WebhooksCommands.Build());
        return root;
    }

    private static IEnumerable<string> CommandPath(Command command, RootCommand root)
    {
        var names = new List<string>();
        for (var c = command; c is not null && c != root; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Insert(0, c.Name);
        }
        names.Insert(0, "outdial");
        return names;
    }
}
