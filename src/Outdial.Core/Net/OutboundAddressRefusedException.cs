using System.Net;

namespace Outdial.Core.Net;

/// <summary>
/// Thrown by the connect callback of <see cref="OutboundUrlGuard.CreateHandler"/> when no address of the target host is
/// allowed; no socket was opened. <see cref="HttpClient"/> surfaces it as the inner exception of an
/// <see cref="HttpRequestException"/>. The message is one sentence naming the host and the refused address, safe to store
/// in a delivery log.
/// </summary>
public sealed class OutboundAddressRefusedException : IOException
{
    public OutboundAddressRefusedException()
        : base("the outbound connection was refused: its address is not public and not allow-listed")
    {
    }

    public OutboundAddressRefusedException(string message)
        : base(message)
    {
    }

    public OutboundAddressRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>A refusal of <paramref name="host"/>, whose first refused address is <paramref name="address"/> of class <paramref name="refusedClass"/>.</summary>
    public OutboundAddressRefusedException(string message, string host, IPAddress address, string refusedClass)
        : base(message)
    {
        Host = host;
        Address = address;
        RefusedClass = refusedClass;
    }

    /// <summary>The host as the request named it (a name or an IP literal), when known.</summary>
    public string? Host { get; }

    /// <summary>The first refused address the host resolved to, when known.</summary>
    public IPAddress? Address { get; }

    /// <summary>The class <see cref="Address"/> was refused as (see <see cref="OutboundUrlGuard.RefusedClass"/>), when known.</summary>
    public string? RefusedClass { get; }
}
