using System.Net;
using Outdial.Tests.Shared;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// The server listens where ASP.NET Core's own settings say, as every ASP.NET Core user expects: nothing in appsettings.json
/// shadows them (Outdial's 127.0.0.1:5080 applies only when none is set).
/// </summary>
public sealed class ListeningAddressTests
{
    public static TheoryData<string> Ways => ["ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "--urls", "Kestrel:Endpoints"];

    [Theory]
    [MemberData(nameof(Ways))]
    public async Task EachStandardSetting_DecidesTheAddress(string way)
    {
        var port = ServerProcess.FreePort();
        var dataDir = Path.Combine(Path.GetTempPath(), "outdial-listen-" + Guid.NewGuid().ToString("N"));
        var env = new Dictionary<string, string>
        {
            ["Outdial__DataDirectory"] = dataDir,
            ["Outdial__BootstrapApiKey"] = OutdialHost.BootstrapKey,
        };
        string[] args = [];
        switch (way)
        {
            case "ASPNETCORE_URLS":
                env["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
                break;
            case "ASPNETCORE_HTTP_PORTS":
                env["ASPNETCORE_HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                break;
            case "--urls":
                args = ["--urls", $"http://127.0.0.1:{port}"];
                break;
            default:
                env["Kestrel__Endpoints__Main__Url"] = $"http://127.0.0.1:{port}";
                break;
        }
        try
        {
            await using var server = await ServerProcess.StartAsync(port, env, setUrls: false, args);
            using var client = server.NewClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/account")).StatusCode);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
