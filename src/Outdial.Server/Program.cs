using Outdial.Server;

var app = OutdialServer.Build(args);
await OutdialServer.PrepareAsync(app);
await app.RunAsync();
