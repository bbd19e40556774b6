using Xunit;

namespace Outdial.Server.Tests;

/// <summary>One shared server for tests that do not need special settings (each test uses its own numbers).</summary>
public sealed class HostFixture : IAsyncLifetime
{
    public OutdialHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await OutdialHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Hands out destination numbers no other test uses, with a chosen sandbox suffix.</summary>
public static class Numbers
{
    private static int _next = 1000;

    /// <summary>A fresh +1 number ending in <paramref name="suffix"/> (four digits; 0001–0007 pick sandbox outcomes).</summary>
    public static string Next(string suffix = "5678") => $"+1{Interlocked.Increment(ref _next):D6}{suffix}";
}
