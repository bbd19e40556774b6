using System.CommandLine;
using System.Data.Common;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Outdial.Cli.Infrastructure;
using Outdial.Server;
using Outdial.Storage;
using Spectre.Console;

namespace Outdial.Cli.Commands;

/// <summary>
/// <c>serve</c> and <c>migrate</c>: the server in this process, configured exactly like <c>dotnet run --project
/// src/Outdial.Server</c> (appsettings.json, <c>Outdial__*</c> environment variables, and the extra arguments as
/// <c>--Section:Key=value</c> settings), so <c>Outdial:DataDirectory</c> (default <c>./data</c> in the working directory),
/// <c>Outdial:Database:Provider</c> and <c>ConnectionStrings:Outdial</c> choose the database for both.
/// </summary>
public static class HostCommands
{
    public static Command Serve()
    {
        var command = Cmd.Leaf("serve",
            "Run the Outdial server in this process (same settings as the server: appsettings.json, Outdial__* env, --Section:Key=value arguments, --urls)",
            async ctx =>
            {
                var app = OutdialServer.Build([.. ctx.Parse.UnmatchedTokens]);
                await using (app)
                {
                    await PrepareAsync(() => OutdialServer.PrepareAsync(app, ctx.Cancellation), app.Services);
                    // Ends on Ctrl+C / SIGTERM (through either the command's token or the host's own console lifetime).
                    try
                    {
                        await app.StartAsync(ctx.Cancellation);
                    }
                    catch (IOException e)
                    {
                        throw new CliException(ExitCodes.Usage, $"error: cannot listen: {e.Message}", e);
                    }
                    await app.WaitForShutdownAsync(ctx.Cancellation);
                }
                return ExitCodes.Ok;
            });
        command.TreatUnmatchedTokensAsErrors = false;
        return command;
    }

    public static Command Migrate()
    {
        var command = Cmd.Leaf("migrate",
            "Apply the database migrations and print the schema version (SQLite or PostgreSQL, chosen by the server's settings)",
            async ctx =>
            {
                // Warnings only: the server's informational start-up log would mix with the answer (and --json must be JSON alone).
                var app = OutdialServer.Build(["--Logging:LogLevel:Default=Warning", .. ctx.Parse.UnmatchedTokens]);
                await using (app)
                {
                    var db = app.Services.GetRequiredService<IOutdialDatabase>();
                    var before = 0;
                    var version = 0;
                    var engineVersion = "";
                    await PrepareAsync(async () =>
                    {
                        before = await db.AppliedVersionAsync(ctx.Cancellation);
                        version = await db.MigrateAsync(ctx.Cancellation);
                        engineVersion = await db.EngineVersionAsync(ctx.Cancellation);
                    }, app.Services);
                    var result = new JsonObject
                    {
                        ["engine"] = db.Engine,
                        ["engineVersion"] = engineVersion,
                        ["location"] = db.Location,
                        ["previousVersion"] = before,
                        ["schemaVersion"] = version,
                    };
                    ctx.Out.Print(result, () => Output.Console.MarkupLine(before == version
                        ? $"{Markup.Escape(db.Engine)} {Markup.Escape(db.Location)}: schema version [bold]{version}[/] (up to date)"
                        : $"{Markup.Escape(db.Engine)} {Markup.Escape(db.Location)}: migrated from schema version {before} to [bold]{version}[/]"));
                }
                return ExitCodes.Ok;
            });
        command.TreatUnmatchedTokensAsErrors = false;
        return command;
    }

    /// <summary>Runs <paramref name="step"/>; a database that cannot be opened or reached ends the command with exit 3.</summary>
    private static async Task PrepareAsync(Func<Task> step, IServiceProvider services)
    {
        try
        {
            await step();
        }
        catch (Exception e) when (e is DbException or IOException or UnauthorizedAccessException or TimeoutException)
        {
            var location = services.GetService<IOutdialDatabase>()?.Location ?? "the database";
            throw new CliException(ExitCodes.Unavailable, $"error: cannot open {location}: {e.Message}", e);
        }
    }
}
