using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Outdial.Core.Net;

namespace Outdial.Core.Tests;

public class OutboundUrlGuardTests
{
    private const string PublicV4 = "93.184.215.14";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Every entry must be refused by <see cref="OutboundUrlGuard.CheckAsync"/>. The fake resolver answers unknown names with
    /// a PUBLIC address, so a hostile form that wrongly falls through to DNS resolution is accepted and the test fails.
    /// </summary>
    public static TheoryData<string> HostileUrls => new(
        // Decimal, octal, hex and mixed IPv4 forms (Uri normalises these; getaddrinfo would too).
        "http://2130706433/",
        "http://017700000001/",
        "http://0177.0.0.1/",
        "http://00000177.0.0.01/",
        "http://0x7f.0.0.1/",
        "http://0x7F000001/",
        "http://0x7f.0x00.0x00.0x01/",
        "http://0177.0x0.0.1/",
        "http://127.000.000.001/",
        "http://2852039166/latest/meta-data/",
        "http://0xa9fea9fe/latest/meta-data/",
        "http://167772161/",
        // Short forms.
        "http://127.1/",
        "http://127.0.1/",
        "http://0x7f.1/",
        "http://0177.1/",
        "http://10.1/",
        "http://0/",
        // Unicode digits and dots that IDN (NFKC) folds into an IPv4 literal, and a trailing dot.
        "http://①②⑦.0.0.1/",
        "http://127。0。0。1/",
        "http://１２７.０.０.１/",
        "http://127.0.0.1./",
        // IPv4 special ranges.
        "http://127.0.0.1/",
        "http://127.255.255.254:8080/",
        "http://10.0.0.1/",
        "http://10.255.255.255/",
        "http://172.16.0.1/",
        "http://172.31.255.254/",
        "http://192.168.0.1/",
        "http://192.168.255.255/",
        "http://169.254.169.254/latest/meta-data/",
        "http://169.254.0.1/",
        "http://100.64.0.1/",
        "http://100.127.255.254/",
        "http://224.0.0.1/",
        "http://239.255.255.250:1900/",
        "http://0.0.0.0/",
        "http://0.1.2.3/",
        "http://255.255.255.255/",
        "http://4294967295/",
        "http://192.0.0.8/",
        "http://192.0.2.1/",
        "http://198.51.100.7/",
        "http://203.0.113.9/",
        "http://198.18.0.1/",
        "http://240.0.0.1/",
        // IPv6 special ranges.
        "http://[::1]/",
        "http://[0:0:0:0:0:0:0:1]:8080/",
        "http://[::]/",
        "http://[fc00::1]/",
        "http://[fd12:3456:789a::1]/",
        "http://[fe80::1]/",
        "http://[fe80::1%25eth0]/",
        "http://[fec0::1]/",
        "http://[ff02::1]/",
        "http://[ff05::1:3]/",
        "http://[2001:db8::1]/",
        "http://[100::1]/",
        // IPv4-mapped, -compatible and -translated IPv6 forms.
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[0:0:0:0:0:ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[::127.0.0.1]/",
        "http://[::192.168.1.1]/",
        "http://[::ffff:0:127.0.0.1]/",
        // NAT64, 6to4 and Teredo carrying a non-public IPv4 address.
        "http://[64:ff9b::127.0.0.1]/",
        "http://[64:ff9b::a00:1]/",
        "http://[64:ff9b::169.254.169.254]/",
        "http://[2002:7f00:1::]/",
        "http://[2002:c0a8:101::1]/",
        "http://[2002:a9fe:a9fe::]/",
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
        // localhost names (RFC 6761), in any case, with a trailing dot, and below localhost.
        "http://localhost/",
        "http://LOCALHOST/",
        "http://localhost./",
        "http://LocalHost.:8080/",
        "http://sub.localhost/",
        "http://a.b.LOCALHOST./",
        // User-info tricks.
        "http://example.com@127.0.0.1/",
        "http://public.example@10.0.0.1:8080/",
        "http://user:pass@public.example/",
        "http://127.0.0.1:80@public.example/",
        // Other schemes and non-absolute forms.
        "file:///etc/passwd",
        "ftp://public.example/",
        "gopher://127.0.0.1:6379/_INFO",
        "dict://127.0.0.1:11211/stats",
        "ldap://public.example/",
        "ws://public.example/",
        "javascript:alert(1)",
        "//127.0.0.1/",
        "/etc/passwd",
        "",
        "   ",
        "not a url",
        "http://",
        // Names the (fake) resolver maps to non-public addresses, or cannot resolve.
        "http://loopback.example/",
        "http://127.0.0.1.nip.io/",
        "http://metadata.example/",
        "http://mixed.example/",
        "http://v6loopback.example/",
        "http://ula.example/",
        "http://mapped.example/",
        "http://nxdomain.example/",
        "http://empty.example/");

    [Fact]
    public void HostileUrls_AreAtLeastFifty() => Assert.True(HostileUrls.Count >= 50, $"only {HostileUrls.Count}");

    [Theory]
    [MemberData(nameof(HostileUrls))]
    public async Task CheckAsync_HostileUrl_IsRefusedWithAOneLineError(string url)
    {
        var guard = new OutboundUrlGuard([], new FakeResolver().ResolveAsync);

        var check = await guard.CheckAsync(url, CancellationToken.None);

        Assert.False(check.Ok, $"{url} was accepted as {check.Uri}");
        Assert.Null(check.Uri);
        Assert.False(string.IsNullOrWhiteSpace(check.Error));
        Assert.DoesNotContain('\n', check.Error);
    }

    [Theory]
    [InlineData("https://93.184.215.14/")]
    [InlineData("http://8.8.8.8:8080/hook?x=1")]
    [InlineData("https://[2606:4700::1111]/")]
    [InlineData("https://[2001:4860:4860::8888]:8443/path")]
    [InlineData("https://[::ffff:8.8.8.8]/")]
    [InlineData("https://[2002:5db8:d70e::1]/")]
    [InlineData("https://public.example/hooks/outdial")]
    [InlineData("HTTPS://Public.Example./hooks")]
    public async Task CheckAsync_PublicUrl_IsAcceptedWithItsUri(string url)
    {
        var guard = new OutboundUrlGuard([], new FakeResolver().ResolveAsync);

        var check = await guard.CheckAsync(url, CancellationToken.None);

        Assert.True(check.Ok, check.Error);
        Assert.Null(check.Error);
        Assert.NotNull(check.Uri);
    }

    [Fact]
    public async Task CheckAsync_LiteralLoopback_ErrorNamesAddressClassAndSetting()
    {
        var guard = new OutboundUrlGuard(null, new FakeResolver().ResolveAsync);

        Assert.Equal(
            "webhook URL points at 127.0.0.1, a loopback address; outbound requests to private networks are refused unless Outdial:Webhooks:AllowedNetworks allows them",
            (await guard.CheckAsync("http://2130706433/", CancellationToken.None)).Error);
        Assert.Equal(
            "webhook URL resolves to 127.0.0.1, a loopback address; outbound requests to private networks are refused unless Outdial:Webhooks:AllowedNetworks allows them",
            (await guard.CheckAsync("http://loopback.example/", CancellationToken.None)).Error);
    }

    [Fact]
    public async Task CheckAsync_NameWithOnePrivateAddressAmongPublicOnes_IsRefusedNamingIt()
    {
        var guard = new OutboundUrlGuard([], new FakeResolver().ResolveAsync);

        var check = await guard.CheckAsync("https://mixed.example/", CancellationToken.None);

        Assert.False(check.Ok);
        Assert.Contains("10.0.0.1, a private address", check.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_LocalhostNames_AreNeverSentToTheResolver()
    {
        var resolver = new FakeResolver();
        var guard = new OutboundUrlGuard([], resolver.ResolveAsync);

        foreach (var url in new[] { "http://localhost/", "http://LOCALHOST./", "http://sub.localhost:8080/" })
        {
            Assert.False((await guard.CheckAsync(url, CancellationToken.None)).Ok, url);
        }
        Assert.Empty(resolver.Queried);

        Assert.True((await guard.CheckAsync("http://public.example/", CancellationToken.None)).Ok);
        Assert.Equal(["public.example"], resolver.Queried);
    }

    [Fact]
    public async Task CheckAsync_InternationalisedName_IsResolvedInItsPunycodeForm()
    {
        var resolver = new FakeResolver();
        var guard = new OutboundUrlGuard([], resolver.ResolveAsync);

        Assert.True((await guard.CheckAsync("https://bücher.example/", CancellationToken.None)).Ok);
        Assert.Equal(["xn--bcher-kva.example"], resolver.Queried);
    }

    [Fact]
    public async Task CheckAsync_CancelledWhileResolving_Throws()
    {
        var guard = new OutboundUrlGuard([], (_, ct) => Task.FromCanceled<IPAddress[]>(ct));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => guard.CheckAsync("https://public.example/", cts.Token));
    }

    [Fact]
    public async Task CheckAsync_LoopbackAllowListed_AcceptsLoopbackButStillRefusesOtherPrivateRanges()
    {
        var guard = new OutboundUrlGuard(["127.0.0.0/8"], new FakeResolver().ResolveAsync);

        Assert.True((await guard.CheckAsync("http://127.0.0.1:8080/", CancellationToken.None)).Ok);
        Assert.True((await guard.CheckAsync("http://[::ffff:127.0.0.1]:8080/", CancellationToken.None)).Ok);
        Assert.True((await guard.CheckAsync("http://loopback.example:8080/", CancellationToken.None)).Ok);
        Assert.False((await guard.CheckAsync("http://10.0.0.1/", CancellationToken.None)).Ok);
        Assert.False((await guard.CheckAsync("http://169.254.169.254/", CancellationToken.None)).Ok);
        Assert.False((await guard.CheckAsync("http://[::1]/", CancellationToken.None)).Ok);
        // localhost stands for 127.0.0.1 and ::1; every address must be allowed, and ::1 is not.
        var localhost = await guard.CheckAsync("http://localhost:8080/", CancellationToken.None);
        Assert.False(localhost.Ok);
        Assert.Contains("::1", localhost.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_BothLoopbacksAllowListed_AcceptsLocalhost()
    {
        var guard = new OutboundUrlGuard(["127.0.0.0/8", "::1/128"], new FakeResolver().ResolveAsync);

        Assert.True((await guard.CheckAsync("http://localhost:8080/", CancellationToken.None)).Ok);
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("not-a-cidr")]
    [InlineData("10.0.0.1")]
    [InlineData("::1/129")]
    [InlineData("10.0.0.0/8/8")]
    [InlineData("300.0.0.0/8")]
    public void Constructor_InvalidCidr_ThrowsArgumentExceptionNamingTheEntry(string entry)
    {
        var ex = Assert.Throws<ArgumentException>(() => new OutboundUrlGuard(["127.0.0.0/8", entry]));

        Assert.Contains($"'{entry}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_BlankEntriesSkipped_HostBitsMasked()
    {
        var guard = new OutboundUrlGuard(["", "  ", " 10.1.2.3/24 "]);

        Assert.Equal([IPNetwork.Parse("10.1.2.0/24")], guard.AllowedNetworks);
        Assert.True(guard.IsAllowed(IPAddress.Parse("10.1.2.200")));
        Assert.False(guard.IsAllowed(IPAddress.Parse("10.1.3.1")));
    }

    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.255.255", "loopback")]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.16.0.0", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("169.254.169.254", "link_local")]
    [InlineData("100.64.0.0", "cgnat")]
    [InlineData("100.127.255.255", "cgnat")]
    [InlineData("224.0.0.251", "multicast")]
    [InlineData("239.255.255.255", "multicast")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("0.1.2.3", "unspecified")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("240.0.0.1", "reserved")]
    [InlineData("192.0.0.170", "reserved")]
    [InlineData("192.88.99.1", "reserved")]
    [InlineData("192.0.2.1", "documentation")]
    [InlineData("198.51.100.1", "documentation")]
    [InlineData("203.0.113.255", "documentation")]
    [InlineData("198.19.255.255", "benchmarking")]
    [InlineData("::1", "loopback")]
    [InlineData("::", "unspecified")]
    [InlineData("fd00::1", "private")]
    [InlineData("fc00::1", "private")]
    [InlineData("fe80::1", "link_local")]
    [InlineData("febf:ffff::1", "link_local")]
    [InlineData("fec0::1", "site_local")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("2001:db8:1::1", "documentation")]
    [InlineData("3fff::1", "documentation")]
    [InlineData("2001:2::1", "benchmarking")]
    [InlineData("100::1", "discard")]
    [InlineData("64:ff9b:1::1", "private")]
    [InlineData("4000::1", "reserved")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::10.0.0.1", "private")]
    [InlineData("::ffff:0:192.168.0.1", "private")]
    [InlineData("64:ff9b::169.254.169.254", "link_local")]
    [InlineData("2002:0a00:0001::1", "private")]
    [InlineData("2002:6440:0001::", "cgnat")]
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback")]
    public void RefusedClass_NonPublicAddress_NamesItsClass(string address, string expected)
    {
        Assert.Equal(expected, OutboundUrlGuard.RefusedClass(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("8.8.8.8")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.0")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.0")]
    [InlineData("192.167.255.255")]
    [InlineData("192.169.0.0")]
    [InlineData("198.20.0.0")]
    [InlineData("223.255.255.255")]
    [InlineData("2606:4700::1111")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    [InlineData("2002:5db8:d70e::1")]
    public void RefusedClass_PublicAddress_IsNull(string address)
    {
        Assert.Null(OutboundUrlGuard.RefusedClass(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("::ffff:127.0.0.1", "127.0.0.1")]
    [InlineData("::ffff:0:10.0.0.1", "10.0.0.1")]
    [InlineData("::192.168.1.1", "192.168.1.1")]
    [InlineData("64:ff9b::a9fe:a9fe", "169.254.169.254")]
    [InlineData("2002:c0a8:0101:1::1", "192.168.1.1")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", "192.0.2.45")]
    [InlineData("::1", null)]
    [InlineData("::", null)]
    [InlineData("2606:4700::1111", null)]
    [InlineData("127.0.0.1", null)]
    public void EmbeddedIPv4_ExtractsTheCarriedAddress(string address, string? expected)
    {
        Assert.Equal(expected, OutboundUrlGuard.EmbeddedIPv4(IPAddress.Parse(address))?.ToString());
    }

    [Fact]
    public void IsAllowed_AllowListMatchesTheEmbeddedIPv4Form()
    {
        var guard = new OutboundUrlGuard(["10.0.0.0/8"]);

        Assert.True(guard.IsAllowed(IPAddress.Parse("10.9.8.7")));
        Assert.True(guard.IsAllowed(IPAddress.Parse("::ffff:10.9.8.7")));
        Assert.True(guard.IsAllowed(IPAddress.Parse("2002:0a09:0807::1")));
        Assert.True(guard.IsAllowed(IPAddress.Parse(PublicV4)));
        Assert.False(guard.IsAllowed(IPAddress.Parse("192.168.0.1")));
        Assert.False(guard.IsAllowed(IPAddress.Parse("::ffff:192.168.0.1")));
    }

    [Fact]
    public void CreateHandler_DoesNotFollowRedirectsOrUseAProxy()
    {
        var guard = new OutboundUrlGuard([]) { ConnectTimeout = TimeSpan.FromSeconds(3) };

        using var handler = guard.CreateHandler();

        Assert.False(handler.AllowAutoRedirect);
        Assert.False(handler.UseProxy);
        Assert.False(handler.UseCookies);
        Assert.Equal(TimeSpan.FromSeconds(3), handler.ConnectTimeout);
        Assert.NotNull(handler.ConnectCallback);
    }

    [Fact]
    public async Task Handler_LoopbackInAnyFormOrRebound_IsRefusedBeforeAnySocketOpens()
    {
        await using var listener = RawHttpServer.Start(IPAddress.Loopback, 0, OkResponse);
        var port = listener.Port;
        var resolver = new FakeResolver();
        var guard = new OutboundUrlGuard([], resolver.ResolveAsync);
        // DNS rebinding: rebind.example answers with a public address at registration, with 127.0.0.1 afterwards.
        var registered = await guard.CheckAsync($"http://rebind.example:{port}/", CancellationToken.None);
        Assert.True(registered.Ok, registered.Error);
        using var client = new HttpClient(guard.CreateHandler()) { Timeout = RequestTimeout };

        string[] forms =
        [
            $"http://127.0.0.1:{port}/",
            $"http://localhost:{port}/",
            $"http://LOCALHOST.:{port}/",
            $"http://[::ffff:127.0.0.1]:{port}/",
            $"http://[::ffff:7f00:1]:{port}/",
            $"http://2130706433:{port}/",
            $"http://0x7f000001:{port}/",
            $"http://0177.0.0.1:{port}/",
            $"http://127.1:{port}/",
            $"http://127.0.0.1.:{port}/",
            $"http://①②⑦.0.0.1:{port}/",
            $"http://loopback.example:{port}/",
            $"http://127.0.0.1.nip.io:{port}/",
            $"http://rebind.example:{port}/",
        ];
        foreach (var url in forms)
        {
            var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri(url)));
            Assert.True(RefusalIn(ex) is not null, $"{url}: {ex}");
        }

        Assert.Equal(0, listener.Accepted);
        Assert.Contains("rebind.example", resolver.Queried);
        // The listener is reachable, so the zero above means refused, not unreachable.
        using var plain = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = RequestTimeout };
        using var response = await plain.GetAsync(new Uri($"http://127.0.0.1:{port}/"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, listener.Accepted);
    }

    /// <summary>
    /// The whole hostile table again, at connect time: each http(s) URL is pointed at the port of real listeners on
    /// 127.0.0.1 and [::1] and sent through the guard's handler. No request may reach them (names with several addresses
    /// may still be tried on their public address, which is allowed; nothing answers there in a test sandbox).
    /// </summary>
    [Fact]
    public async Task Handler_EveryHostileUrl_NeverReachesAListenerOnARefusedAddress()
    {
        await using var v4 = RawHttpServer.Start(IPAddress.Loopback, 0, OkResponse);
        await using var v6 = RawHttpServer.Start(IPAddress.IPv6Loopback, v4.Port, OkResponse);
        var guard = new OutboundUrlGuard([], new FakeResolver().ResolveAsync);
        using var client = new HttpClient(guard.CreateHandler()) { Timeout = TimeSpan.FromSeconds(3) };
        var urls = ((IEnumerable<object?[]>)HostileUrls).Select(row => (string)row[0]!).ToList();
        var sent = 0;
        var outcomes = await Task.WhenAll(urls.Select(async url =>
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                return (url, Reached: false);
            }
            var target = new UriBuilder(uri) { Port = v4.Port }.Uri;
            Interlocked.Increment(ref sent);
            try
            {
                using var response = await client.GetAsync(target);
                return (url, Reached: true);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return (url, Reached: false);
            }
        }));
        Assert.True(sent >= 50, $"only {sent} hostile http(s) URLs were sent");
        Assert.Empty(outcomes.Where(o => o.Reached).Select(o => o.url));
        Assert.Equal(0, v4.Accepted);
        Assert.Equal(0, v6.Accepted);
        // Both listeners answer a plain client, so the zeros above mean refused, not unreachable.
        using var plain = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = RequestTimeout };
        (await plain.GetAsync(new Uri($"http://127.0.0.1:{v4.Port}/"))).Dispose();
        (await plain.GetAsync(new Uri($"http://[::1]:{v4.Port}/"))).Dispose();
        Assert.Equal(1, v4.Accepted);
        Assert.Equal(1, v6.Accepted);
    }

    [Fact]
    public async Task Handler_RefusalMessage_NamesHostAddressAndSetting()
    {
        var guard = new OutboundUrlGuard([], new FakeResolver().ResolveAsync);
        using var client = new HttpClient(guard.CreateHandler()) { Timeout = RequestTimeout };

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("http://metadata.example/latest/")));

        var refusal = RefusalIn(ex);
        Assert.NotNull(refusal);
        Assert.Equal("metadata.example", refusal.Host);
        Assert.Equal(IPAddress.Parse("169.254.169.254"), refusal.Address);
        Assert.Equal(OutboundUrlGuard.LinkLocal, refusal.RefusedClass);
        Assert.Equal(
            "outbound connection to 'metadata.example' refused: it resolves to 169.254.169.254, a link-local address, and Outdial:Webhooks:AllowedNetworks does not allow it",
            refusal.Message);
    }

    [Fact]
    public async Task Handler_AllowListedLoopback_ConnectsThroughTheCallback()
    {
        await using var listener = RawHttpServer.Start(IPAddress.Loopback, 0, OkResponse);
        var guard = new OutboundUrlGuard(["127.0.0.0/8", "::1/128"], new FakeResolver().ResolveAsync);
        using var client = new HttpClient(guard.CreateHandler()) { Timeout = RequestTimeout };

        using (var viaDecimal = await client.GetAsync(new Uri($"http://2130706433:{listener.Port}/")))
        {
            Assert.Equal(HttpStatusCode.OK, viaDecimal.StatusCode);
        }
        using (var viaLocalhost = await client.GetAsync(new Uri($"http://localhost:{listener.Port}/")))
        {
            Assert.Equal(HttpStatusCode.OK, viaLocalhost.StatusCode);
        }
        Assert.Equal(2, listener.Accepted);
    }

    [Fact]
    public async Task Handler_NameWithRefusedAndAllowedAddresses_ConnectsOnlyToTheAllowedOne()
    {
        await using var allowed = RawHttpServer.Start(IPAddress.Loopback, 0, OkResponse);
        // 127.0.0.0/8 is all loopback on Linux, so 127.0.0.2 is a second, separately countable host on the same port.
        await using var refused = RawHttpServer.Start(IPAddress.Parse("127.0.0.2"), allowed.Port, OkResponse);
        var resolver = new FakeResolver { ["split.example"] = [IPAddress.Parse("127.0.0.2"), IPAddress.Loopback] };
        var guard = new OutboundUrlGuard(["127.0.0.1/32"], resolver.ResolveAsync);
        using var client = new HttpClient(guard.CreateHandler()) { Timeout = RequestTimeout };

        using var response = await client.GetAsync(new Uri($"http://split.example:{allowed.Port}/"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, allowed.Accepted);
        Assert.Equal(0, refused.Accepted);
    }

    [Fact]
    public async Task Handler_RedirectToRefusedAddress_IsReturnedNotFollowed()
    {
        await using var target = RawHttpServer.Start(IPAddress.Loopback, 0, OkResponse);
        var redirect = $"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{target.Port}/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        await using var redirector = RawHttpServer.Start(IPAddress.Parse("127.0.0.2"), 0, redirect);
        var guard = new OutboundUrlGuard(["127.0.0.2/32"], new FakeResolver().ResolveAsync);
        var start = new Uri($"http://127.0.0.2:{redirector.Port}/hook");
        Assert.True((await guard.CheckAsync(start.ToString(), CancellationToken.None)).Ok);

        using (var client = new HttpClient(guard.CreateHandler()) { Timeout = RequestTimeout })
        using (var response = await client.GetAsync(start))
        {
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
            Assert.Equal(new Uri($"http://127.0.0.1:{target.Port}/"), response.Headers.Location);
        }
        Assert.Equal(1, redirector.Accepted);
        Assert.Equal(0, target.Accepted);

        // Even with redirects switched back on, the connect-time check refuses the redirect target.
        var reckless = guard.CreateHandler();
        reckless.AllowAutoRedirect = true;
        using (var client = new HttpClient(reckless) { Timeout = RequestTimeout })
        {
            var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(start));
            Assert.NotNull(RefusalIn(ex));
        }
        Assert.Equal(2, redirector.Accepted);
        Assert.Equal(0, target.Accepted);

        // A plain client does follow the redirect to the target, so the zero counts above could have failed.
        using (var plain = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = RequestTimeout })
        using (var followed = await plain.GetAsync(start))
        {
            Assert.Equal(HttpStatusCode.OK, followed.StatusCode);
        }
        Assert.Equal(1, target.Accepted);
    }

    private const string OkResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

    private static OutboundAddressRefusedException? RefusalIn(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is OutboundAddressRefusedException refused)
            {
                return refused;
            }
        }
        return null;
    }

    /// <summary>
    /// A resolver with fixed answers; unknown names get a public address (so a hostile form that reaches DNS is accepted
    /// and shows up as a failure). <c>rebind.example</c> answers public once, then 127.0.0.1.
    /// </summary>
    private sealed class FakeResolver
    {
        private readonly Dictionary<string, IPAddress[]> _answers = new(StringComparer.OrdinalIgnoreCase)
        {
            ["loopback.example"] = [IPAddress.Loopback],
            ["127.0.0.1.nip.io"] = [IPAddress.Loopback],
            ["metadata.example"] = [IPAddress.Parse("169.254.169.254")],
            ["mixed.example"] = [IPAddress.Parse(PublicV4), IPAddress.Parse("10.0.0.1")],
            ["v6loopback.example"] = [IPAddress.IPv6Loopback],
            ["ula.example"] = [IPAddress.Parse("fd00::1")],
            ["mapped.example"] = [IPAddress.Parse("::ffff:192.168.0.1")],
            ["empty.example"] = [],
            ["public.example"] = [IPAddress.Parse(PublicV4), IPAddress.Parse("2606:2800:21f:cb07:6820:80da:af6b:8b2c")],
        };
        private readonly ConcurrentQueue<string> _queried = new();
        private int _rebindLookups;

        public IPAddress[] this[string name] { set => _answers[name] = value; }

        public IReadOnlyList<string> Queried => [.. _queried];

        public Task<IPAddress[]> ResolveAsync(string name, CancellationToken ct)
        {
            _queried.Enqueue(name);
            var key = name.TrimEnd('.');
            if (key.Equals("nxdomain.example", StringComparison.OrdinalIgnoreCase))
            {
                return Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
            }
            if (key.Equals("rebind.example", StringComparison.OrdinalIgnoreCase))
            {
                var first = Interlocked.Increment(ref _rebindLookups) == 1;
                return Task.FromResult<IPAddress[]>([first ? IPAddress.Parse(PublicV4) : IPAddress.Loopback]);
            }
            return Task.FromResult(_answers.TryGetValue(key, out var answer) ? answer : [IPAddress.Parse(PublicV4)]);
        }
    }

    /// <summary>A TCP listener that counts accepted connections and answers each with a fixed raw HTTP response.</summary>
    private sealed class RawHttpServer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly byte[] _response;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _accepted;

        private RawHttpServer(IPAddress address, int port, string response)
        {
            _listener = new TcpListener(address, port);
            _listener.Start();
            _response = Encoding.ASCII.GetBytes(response);
            _loop = Task.Run(AcceptLoopAsync);
        }

        public static RawHttpServer Start(IPAddress address, int port, string response) => new(address, port, response);

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Accepted => Volatile.Read(ref _accepted);

        private async Task AcceptLoopAsync()
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException
                    or InvalidOperationException) // Stop() ran before this iteration's accept: "Not listening"
                {
                    return;
                }
                Interlocked.Increment(ref _accepted);
                _ = RespondAsync(client);
            }
        }

        private async Task RespondAsync(TcpClient client)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    var request = new StringBuilder();
                    var buffer = new byte[4096];
                    while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var read = await stream.ReadAsync(buffer, _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }
                        request.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    }
                    await stream.WriteAsync(_response, _stop.Token);
                }
                catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
                {
                    // The client went away; nothing to answer.
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            _stop.Dispose();
        }
    }
}
