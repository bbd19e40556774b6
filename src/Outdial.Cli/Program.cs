using Outdial.Cli;

return await Cli.RunAsync(args);
