namespace Outdial.Cli.Infrastructure;

/// <summary>The process exit codes of <c>outdial</c> (documented in docs/cli.md, "Exit codes").</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>The server refused the request (an HTTP 4xx answer, shown as its problem details), or the work it ran failed (an import ended <c>failed</c>).</summary>
    public const int Refused = 1;

    /// <summary>Usage error: unknown command or option, a missing or malformed value, a missing API key, an unreadable file, an address already in use, invalid server settings.</summary>
    public const int Usage = 2;

    /// <summary>The server (or, for <c>serve</c> and <c>migrate</c>, the database) could not be reached, timed out, or answered 5xx.</summary>
    public const int Unavailable = 3;

    /// <summary>
    /// The settings are invalid: the server's options failed validation (<c>serve</c>, <c>migrate</c>). Same code as a usage
    /// error: the command line or its environment must change.
    /// </summary>
    public const int Configuration = Usage;

    /// <summary>An unexpected failure inside the CLI (a bug): the message names the exception (BSD sysexits EX_SOFTWARE).</summary>
    public const int Internal = 70;
}

/// <summary>A failure that ends the command with <see cref="ExitCode"/> after <see cref="Exception.Message"/> is printed on stderr.</summary>
public class CliException(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>One of <see cref="ExitCodes"/>.</summary>
    public int ExitCode { get; } = exitCode;
}
