using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Outdial.Core.Net;

public sealed partial class OutboundUrlGuard
{
    /// <summary>Refused class: <c>127.0.0.0/8</c>, <c>::1</c> (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3).</summary>
    public const string Loopback = "loopback";

    /// <summary>Refused class: RFC 1918 <c>10/8</c>, <c>172.16/12</c>, <c>192.168/16</c>; IPv6 unique local <c>fc00::/7</c> (RFC 4193); local-use NAT64 <c>64:ff9b:1::/48</c> (RFC 8215).</summary>
    public const string Private = "private";

    /// <summary>Refused class: <c>169.254.0.0/16</c> (RFC 3927; cloud metadata services live at 169.254.169.254), <c>fe80::/10</c>.</summary>
    public const string LinkLocal = "link_local";

    /// <summary>Refused class: IPv6 site-local <c>fec0::/10</c> (deprecated by RFC 3879, still routed inside some networks).</summary>
    public const string SiteLocal = "site_local";

    /// <summary>Refused class: carrier-grade NAT shared space <c>100.64.0.0/10</c> (RFC 6598).</summary>
    public const string Cgnat = "cgnat";

    /// <summary>Refused class: <c>224.0.0.0/4</c> (RFC 5771), <c>ff00::/8</c> (RFC 4291 §2.7).</summary>
    public const string Multicast = "multicast";

    /// <summary>Refused class: "this network" <c>0.0.0.0/8</c> (RFC 1122 §3.2.1.3; Linux connects 0.0.0.0 to the local host), <c>::</c>.</summary>
    public const string Unspecified = "unspecified";

    /// <summary>Refused class: limited broadcast <c>255.255.255.255</c> (RFC 919).</summary>
    public const string Broadcast = "broadcast";

    /// <summary>Refused class: TEST-NET <c>192.0.2.0/24</c>, <c>198.51.100.0/24</c>, <c>203.0.113.0/24</c> (RFC 5737), <c>2001:db8::/32</c> (RFC 3849), <c>3fff::/20</c> (RFC 9637).</summary>
    public const string Documentation = "documentation";

    /// <summary>Refused class: <c>198.18.0.0/15</c> (RFC 2544), <c>2001:2::/48</c> (RFC 5180).</summary>
    public const string Benchmarking = "benchmarking";

    /// <summary>Refused class: IPv6 discard-only prefix <c>100::/64</c> (RFC 6666).</summary>
    public const string Discard = "discard";

    /// <summary>
    /// Refused class: everything else IANA reserves rather than routes — <c>192.0.0.0/24</c> (RFC 6890), the deprecated 6to4
    /// relay anycast <c>192.88.99.0/24</c> (RFC 7526), <c>240.0.0.0/4</c> (RFC 1112 §4), ORCHID <c>2001:10::/28</c> and
    /// <c>2001:20::/28</c> (RFC 7343), and every IPv6 address outside global unicast <c>2000::/3</c> (RFC 4291 §2.4) that is
    /// not classified above.
    /// </summary>
    public const string Reserved = "reserved";

    // First match wins; order matters only where ranges nest (none do within one family today).
    // Source: IANA IPv4 / IPv6 Special-Purpose Address Registries (RFC 6890 and updates).
    private static readonly (IPNetwork Network, string Class)[] V4Ranges =
    [
        (IPNetwork.Parse("0.0.0.0/8"), Unspecified),
        (IPNetwork.Parse("10.0.0.0/8"), Private),
        (IPNetwork.Parse("100.64.0.0/10"), Cgnat),
        (IPNetwork.Parse("127.0.0.0/8"), Loopback),
        (IPNetwork.Parse("169.254.0.0/16"), LinkLocal),
        (IPNetwork.Parse("172.16.0.0/12"), Private),
        (IPNetwork.Parse("192.0.0.0/24"), Reserved),
        (IPNetwork.Parse("192.0.2.0/24"), Documentation),
        (IPNetwork.Parse("192.88.99.0/24"), Reserved),
        (IPNetwork.Parse("192.168.0.0/16"), Private),
        (IPNetwork.Parse("198.18.0.0/15"), Benchmarking),
        (IPNetwork.Parse("198.51.100.0/24"), Documentation),
        (IPNetwork.Parse("203.0.113.0/24"), Documentation),
        (IPNetwork.Parse("224.0.0.0/4"), Multicast),
        (IPNetwork.Parse("255.255.255.255/32"), Broadcast),
        (IPNetwork.Parse("240.0.0.0/4"), Reserved),
    ];

    private static readonly (IPNetwork Network, string Class)[] V6Ranges =
    [
        (IPNetwork.Parse("::/128"), Unspecified),
        (IPNetwork.Parse("::1/128"), Loopback),
        (IPNetwork.Parse("64:ff9b:1::/48"), Private),
        (IPNetwork.Parse("100::/64"), Discard),
        (IPNetwork.Parse("2001:2::/48"), Benchmarking),
        (IPNetwork.Parse("2001:10::/28"), Reserved),
        (IPNetwork.Parse("2001:20::/28"), Reserved),
        (IPNetwork.Parse("2001:db8::/32"), Documentation),
        (IPNetwork.Parse("3fff::/20"), Documentation),
        (IPNetwork.Parse("fc00::/7"), Private),
        (IPNetwork.Parse("fe80::/10"), LinkLocal),
        (IPNetwork.Parse("fec0::/10"), SiteLocal),
        (IPNetwork.Parse("ff00::/8"), Multicast),
    ];

    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");

    /// <summary>
    /// Null when <paramref name="address"/> is public; otherwise the class it is refused as — one of the constants above
    /// (<see cref="Loopback"/>, <see cref="Private"/>, <see cref="LinkLocal"/>, <see cref="Cgnat"/>, …). IPv6 forms that carry
    /// an IPv4 address (see <see cref="EmbeddedIPv4"/>) are judged by that IPv4 address, so <c>::ffff:127.0.0.1</c> and
    /// <c>2002:7f00:1::</c> are <c>loopback</c>. Source: IANA special-purpose address registries (RFC 6890).
    /// </summary>
    public static string? RefusedClass(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return Classify(V4Ranges, address);
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return Reserved;
        }
        if (Classify(V6Ranges, address) is { } v6Class)
        {
            return v6Class;
        }
        if (EmbeddedIPv4(address) is { } v4)
        {
            return Classify(V4Ranges, v4);
        }
        return GlobalUnicast.Contains(address) ? null : Reserved;
    }

    /// <summary>
    /// The IPv4 address an IPv6 address carries, or null: IPv4-mapped <c>::ffff:a.b.c.d</c> and IPv4-compatible <c>::a.b.c.d</c>
    /// (RFC 4291 §2.5.5), IPv4-translated <c>::ffff:0:a.b.c.d</c> (RFC 2765), NAT64 well-known prefix <c>64:ff9b::/96</c>
    /// (RFC 6052), 6to4 <c>2002:AABB:CCDD::/48</c> (RFC 3056) and Teredo <c>2001:0::/32</c>, whose client address is the last
    /// 32 bits inverted (RFC 4380 §4). <c>::</c> and <c>::1</c> are not IPv4-compatible forms and give null.
    /// </summary>
    public static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        var high = BinaryPrimitives.ReadUInt64BigEndian(b);
        var low = BinaryPrimitives.ReadUInt64BigEndian(b[8..]);
        var last32 = b[12..];
        var wordsFourAndFive = low >> 32;
        if (high == 0 && (wordsFourAndFive is 0xffff or 0xffff_0000))
        {
            return new IPAddress(last32);
        }
        if (high == 0 && wordsFourAndFive == 0)
        {
            return low is 0 or 1 ? null : new IPAddress(last32);
        }
        if (high == 0x0064_ff9b_0000_0000 && wordsFourAndFive == 0)
        {
            return new IPAddress(last32);
        }
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return new IPAddress(b[2..6]);
        }
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
        {
            Span<byte> client = stackalloc byte[4];
            for (var i = 0; i < 4; i++)
            {
                client[i] = (byte)~last32[i];
            }
            return new IPAddress(client);
        }
        return null;
    }

    private static string? Classify((IPNetwork Network, string Class)[] ranges, IPAddress address)
    {
        foreach (var (network, refused) in ranges)
        {
            if (network.Contains(address))
            {
                return refused;
            }
        }
        return null;
    }

    private static string Describe(string refusedClass) => refusedClass switch
    {
        Loopback => "a loopback address",
        Private => "a private address",
        LinkLocal => "a link-local address",
        SiteLocal => "a site-local address",
        Cgnat => "a carrier-grade NAT address",
        Multicast => "a multicast address",
        Unspecified => "an unspecified address",
        Broadcast => "a broadcast address",
        Documentation => "a documentation address",
        Benchmarking => "a benchmarking address",
        Discard => "a discard-only address",
        _ => "a reserved address",
    };
}
