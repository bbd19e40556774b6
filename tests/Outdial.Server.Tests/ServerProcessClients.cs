using Outdial.Tests.Shared;

namespace Outdial.Server.Tests;

/// <summary>The server tests start their processes with <see cref="OutdialHost.BootstrapKey"/>.</summary>
public static class ServerProcessClients
{
    /// <summary>A client of <paramref name="server"/> holding the bootstrap account's key.</summary>
    public static HttpClient NewClient(this ServerProcess server) => server.NewClient(OutdialHost.BootstrapKey);
}
