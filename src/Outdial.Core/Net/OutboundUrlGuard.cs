using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;

namespace Outdial.Core.Net;

/// <summary>
/// The SSRF guard for every URL the server calls out to (webhooks; later result destinations). Two checks, one rule:
/// <see cref="CheckAsync"/> vets a URL when it is registered, and the handler from <see cref="CreateHandler"/> judges the
/// address each connection is actually opened to, which defeats DNS rebinding and any host form that slipped past the
/// first check. An address passes when it is public (<see cref="RefusedClass"/> is null) or inside an operator
/// allow-listed network (<c>Outdial:Webhooks:AllowedNetworks</c>).
/// </summary>
/// <remarks>
/// Host handling, shared by both checks: an IP literal in any form <see cref="IPAddress.TryParse(string, out IPAddress)"/>
/// accepts (decimal <c>2130706433</c>, octal, hex, short <c>127.1</c>, one trailing dot) is judged directly;
/// <c>localhost</c> and <c>*.localhost</c> are never sent to DNS and stand for <c>127.0.0.1</c> and <c>::1</c>
/// (RFC 6761 §6.3); any other name goes to the resolver. Thread-safe; one instance serves the process.
/// </remarks>
public sealed partial class OutboundUrlGuard
{
    private static readonly IPAddress[] LocalhostAddresses = [IPAddress.Loopback, IPAddress.IPv6Loopback];

    private readonly IPNetwork[] _allowed;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve;

    /// <summary>
    /// Creates the guard. <paramref name="allowedNetworks"/>: CIDR strings (<c>127.0.0.0/8</c>, <c>::1/128</c>,
    /// <c>10.1.2.3/32</c>) the operator allow-lists; blank entries are skipped, host bits are masked off
    /// (<c>10.1.2.3/24</c> means <c>10.1.2.0/24</c>). <paramref name="resolver"/>: host name to addresses; null uses
    /// <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An entry is not a CIDR network; the message names it.</exception>
    public OutboundUrlGuard(IEnumerable<string>? allowedNetworks, Func<string, CancellationToken, Task<IPAddress[]>>? resolver = null)
    {
        var allowed = new List<IPNetwork>();
        foreach (var entry in allowedNetworks ?? [])
        {
            if (string.IsNullOrWhiteSpace(entry))
            {
                continue;
            }
            if (!IPNetwork.TryParse(entry.Trim(), out var network))
            {
                throw new ArgumentException(
                    $"allowed network '{entry}' is not a CIDR network such as 10.0.0.0/8 or fd00::/8 (write a single address as 10.1.2.3/32)",
                    nameof(allowedNetworks));
            }
            allowed.Add(network);
        }
        _allowed = [.. allowed];
        _resolve = resolver ?? ((host, ct) => Dns.GetHostAddressesAsync(host, ct));
    }

    /// <summary>The allow-listed networks, as parsed.</summary>
    public IReadOnlyList<IPNetwork> AllowedNetworks => _allowed;

    /// <summary>How <see cref="CheckAsync"/> messages name the URL (default <c>webhook URL</c>).</summary>
    public string UrlLabel { get; init; } = "webhook URL";

    /// <summary>The setting messages point the operator to (default <c>Outdial:Webhooks:AllowedNetworks</c>).</summary>
    public string AllowListSetting { get; init; } = "Outdial:Webhooks:AllowedNetworks";

    /// <summary>TCP connect timeout of handlers from <see cref="CreateHandler"/>, across all addresses tried (default 10 s).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// True when <paramref name="address"/> is public, or it or the IPv4 address it embeds (<see cref="EmbeddedIPv4"/>) lies in
    /// an allow-listed network.
    /// </summary>
    public bool IsAllowed(IPAddress address)
    {
        if (RefusedClass(address) is null)
        {
            return true;
        }
        var embedded = EmbeddedIPv4(address);
        foreach (var network in _allowed)
        {
            if (network.Contains(address) || (embedded is not null && network.Contains(embedded)))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Registration-time check of <paramref name="url"/>: absolute <c>http</c>/<c>https</c> only, no user-info, a host
    /// required; an IP-literal host is judged directly, a name is resolved and every address it resolves to must be allowed,
    /// and a name that does not resolve is refused. Never throws for bad input (only <see cref="OperationCanceledException"/>
    /// when <paramref name="ct"/> fires): returns <c>Ok=true</c> with the parsed <see cref="Uri"/>, or <c>Ok=false</c>, a null
    /// <c>Uri</c> and a one-sentence lower-case <c>Error</c> for an API error message.
    /// </summary>
    public async Task<UrlCheck> CheckAsync(string url, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return Refuse($"{UrlLabel} is required");
        }
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri))
        {
            return Refuse($"{UrlLabel} is not a valid absolute URL");
        }
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            return Refuse($"{UrlLabel} must use http or https, not '{uri.Scheme}'");
        }
        if (uri.UserInfo.Length > 0)
        {
            return Refuse($"{UrlLabel} must not contain user information (user:password@)");
        }
        string host;
        try
        {
            // IdnHost is the form HttpClient connects to: punycode, NFKC-folded ("①②⑦.0.0.1" becomes "127.0.0.1").
            host = uri.IdnHost;
        }
        catch (UriFormatException)
        {
            return Refuse($"{UrlLabel} has an invalid host name");
        }
        if (host.Length == 0)
        {
            return Refuse($"{UrlLabel} has no host");
        }

        Target target;
        try
        {
            target = await ResolveAsync(host, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception)
        {
            return Refuse($"{UrlLabel} host '{host}' does not resolve");
        }
        if (target.Addresses.Length == 0)
        {
            return Refuse($"{UrlLabel} host '{host}' resolves to no addresses");
        }
        foreach (var address in target.Addresses)
        {
            if (!IsAllowed(address))
            {
                var verb = target.IsLiteral ? "points at" : "resolves to";
                return Refuse($"{UrlLabel} {verb} {address}, {Describe(RefusedClass(address)!)}; outbound requests to private " +
                              $"networks are refused unless {AllowListSetting} allows them");
            }
        }
        return new UrlCheck(true, uri, null);
    }

    /// <summary>
    /// A handler for every outbound request: redirects not followed (<c>AllowAutoRedirect=false</c>; a 3xx is returned as
    /// is), no proxy (a proxy would connect on our behalf, unchecked), no cookies, <see cref="ConnectTimeout"/>, and a
    /// <c>ConnectCallback</c> that resolves the host as <see cref="CheckAsync"/> does, tries the allowed addresses in order,
    /// and when none is allowed throws <see cref="OutboundAddressRefusedException"/> without opening a socket to any refused
    /// address. The caller owns (disposes) the handler.
    /// </summary>
    /// <remarks>
    /// Send HTTP/1.1 or HTTP/2 requests only (the default <see cref="HttpVersionPolicy.RequestVersionOrLower"/>): HTTP/3 runs
    /// over QUIC, which does not go through <c>ConnectCallback</c>, so a request asking for version 3.0 or
    /// <c>RequestVersionOrHigher</c> over https would bypass the connect-time check where QUIC is available.
    /// </remarks>
    public SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        ConnectTimeout = ConnectTimeout,
        ConnectCallback = ConnectAsync,
    };

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var target = await ResolveAsync(host, ct);
        var allowed = Array.FindAll(target.Addresses, IsAllowed);
        if (allowed.Length == 0)
        {
            var refused = target.Addresses.FirstOrDefault();
            if (refused is null)
            {
                throw new OutboundAddressRefusedException($"outbound connection to '{host}' refused: the host resolves to no addresses");
            }
            var refusedClass = RefusedClass(refused)!;
            throw new OutboundAddressRefusedException(
                $"outbound connection to '{host}' refused: it resolves to {refused}, {Describe(refusedClass)}, and " +
                $"{AllowListSetting} does not allow it",
                host, refused, refusedClass);
        }

        ExceptionDispatchInfo? lastError = null;
        foreach (var address in allowed)
        {
            // Connect to exactly the address judged; a mapped IPv6 form goes out as the IPv4 address it is.
            var to = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            var socket = new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(to, context.DnsEndPoint.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                lastError = ExceptionDispatchInfo.Capture(ex);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        lastError!.Throw();
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Host string (a URI IdnHost, IPv6 possibly bracketed) to the addresses it stands for.</summary>
    private async Task<Target> ResolveAsync(string host, CancellationToken ct)
    {
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        var trimmed = bare.EndsWith('.') ? bare[..^1] : bare;
        if (IPAddress.TryParse(trimmed, out var literal))
        {
            return new Target([literal], IsLiteral: true);
        }
        if (IsLocalhostName(trimmed))
        {
            return new Target(LocalhostAddresses, IsLiteral: false);
        }
        return new Target(await _resolve(bare, ct) ?? [], IsLiteral: false);
    }

    /// <summary><c>localhost</c> and any name under it, in any case (RFC 6761 §6.3).</summary>
    private static bool IsLocalhostName(string name) =>
        name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);

    private static UrlCheck Refuse(string error) => new(false, null, error);

    private readonly record struct Target(IPAddress[] Addresses, bool IsLiteral);
}

/// <summary>
/// The result of <see cref="OutboundUrlGuard.CheckAsync"/>: <c>Ok</c> with the parsed absolute <c>Uri</c> and a null
/// <c>Error</c>, or not <c>Ok</c> with a null <c>Uri</c> and a one-sentence, lower-case <c>Error</c> for an API message.
/// </summary>
public sealed record UrlCheck(bool Ok, Uri? Uri, string? Error);
