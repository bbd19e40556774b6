using System.Text.Json;
using Outdial.Core.Common;

namespace Outdial.Telephony.Sandbox;

/// <summary>A dial the sandbox accepted. Times are Unix milliseconds, UTC.</summary>
public sealed record SandboxDial(string CallSid, string AttemptId, string To, string From, long DialedAtMs, int RingTimeoutSec, int MaxDurationSec)
{
    /// <summary>Set when the call was hung up early.</summary>
    public long? HungUpAtMs { get; set; }
}

/// <summary>
/// The sandbox's durable memory, standing in for the remote provider's own records: an append-only JSON-lines file
/// (one line per dial or hang-up, fsynced before the provider answers). It survives a crash of Outdial, so after a
/// restart the sandbox still knows which calls it placed — exactly what the reconciler needs from a real provider.
/// A torn last line (crash mid-write) is skipped on load.
/// Several server processes on one host may share one ledger (<c>Outdial:Sandbox:LedgerPath</c>), as several nodes share
/// one provider account: appends hold an exclusive lock on the file and first read what the others appended, and a lookup
/// that misses reads the file's new lines, so any node can look up, and none can dial again, a call another node placed.
/// </summary>
public sealed class SandboxLedger
{
    private readonly Lock _gate = new();
    private readonly string _path;
    private readonly Dictionary<string, SandboxDial> _bySid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SandboxDial> _byAttempt = new(StringComparer.Ordinal);

    /// <summary>How far into the file this process has read (bytes; complete lines only).</summary>
    private long _readOffset;

    private sealed record Line(string? Type, string? CallSid, string? AttemptId, string? To, string? From, long At, int RingTimeoutSec, int MaxDurationSec);

    /// <summary>Opens (or creates) the ledger at <paramref name="path"/> and loads it.</summary>
    public SandboxLedger(string path)
    {
        _path = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        if (!File.Exists(_path))
        {
            return;
        }
        using var stream = OpenExclusive();
        TerminateTornLine(stream);
        ReadNew(stream);
    }

    /// <summary>Every dial recorded, in no particular order.</summary>
    public IReadOnlyList<SandboxDial> All()
    {
        lock (_gate)
        {
            return [.. _bySid.Values];
        }
    }

    /// <summary>The dial of <paramref name="attemptId"/> or <paramref name="callSid"/>, reading what other processes appended when this one does not know it.</summary>
    public SandboxDial? Find(string attemptId, string? callSid)
    {
        lock (_gate)
        {
            if (Lookup(attemptId, callSid) is { } known)
            {
                return known;
            }
            if (!File.Exists(_path))
            {
                return null;
            }
            using (var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                ReadNew(stream);
            }
            return Lookup(attemptId, callSid);
        }
    }

    private SandboxDial? Lookup(string attemptId, string? callSid) =>
        callSid is not null && _bySid.TryGetValue(callSid, out var bySid) ? bySid : _byAttempt.GetValueOrDefault(attemptId);

    /// <summary>Records a dial durably; returns the existing record when this attempt was already dialed, by any process sharing the ledger (never dials twice).</summary>
    public SandboxDial RecordDial(SandboxDial dial)
    {
        lock (_gate)
        {
            using var stream = OpenExclusive();
            ReadNew(stream);
            if (_byAttempt.TryGetValue(dial.AttemptId, out var existing))
            {
                return existing;
            }
            Append(stream, new Line("dial", dial.CallSid, dial.AttemptId, dial.To, dial.From, dial.DialedAtMs, dial.RingTimeoutSec, dial.MaxDurationSec));
            _bySid[dial.CallSid] = dial;
            _byAttempt[dial.AttemptId] = dial;
            return dial;
        }
    }

    /// <summary>Records a hang-up once; false when the call is unknown or was already hung up.</summary>
    public bool RecordHangUp(string callSid, long atMs)
    {
        if (Find("", callSid) is null)
        {
            return false; // unknown here and in the file: nothing to write
        }
        lock (_gate)
        {
            using var stream = OpenExclusive();
            ReadNew(stream);
            if (!_bySid.TryGetValue(callSid, out var dial) || dial.HungUpAtMs is not null)
            {
                return false;
            }
            Append(stream, new Line("hangup", callSid, null, null, null, atMs, 0, 0));
            dial.HungUpAtMs = atMs;
            return true;
        }
    }

    /// <summary>
    /// Opens the file for reading and appending with an exclusive lock (on Unix .NET takes an advisory <c>flock</c> for
    /// <see cref="FileShare.None"/>), waiting while another process holds it.
    /// </summary>
    private FileStream OpenExclusive()
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(_path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 500)
            {
                Thread.Sleep(2); // another process is appending: a few milliseconds at most
            }
        }
    }

    /// <summary>Applies the complete lines after <see cref="_readOffset"/>; a line without its newline yet is left for later.</summary>
    private void ReadNew(FileStream stream)
    {
        if (stream.Length <= _readOffset)
        {
            return;
        }
        stream.Seek(_readOffset, SeekOrigin.Begin);
        var bytes = new byte[stream.Length - _readOffset];
        stream.ReadExactly(bytes);
        var end = Array.LastIndexOf(bytes, (byte)'\n');
        if (end < 0)
        {
            return;
        }
        foreach (var text in System.Text.Encoding.UTF8.GetString(bytes, 0, end).Split('\n'))
        {
            Apply(text);
        }
        _readOffset += end + 1;
    }

    private void Apply(string text)
    {
        Line? line;
        try
        {
            line = JsonSerializer.Deserialize<Line>(text, Json.Options);
        }
        catch (JsonException)
        {
            return;
        }
        if (line?.CallSid is null)
        {
            return;
        }
        if (line.Type == "dial" && line.AttemptId is not null)
        {
            var dial = new SandboxDial(line.CallSid, line.AttemptId, line.To ?? "", line.From ?? "", line.At, line.RingTimeoutSec, line.MaxDurationSec);
            _bySid.TryAdd(dial.CallSid, dial);
            _byAttempt.TryAdd(dial.AttemptId, dial);
        }
        else if (line.Type == "hangup" && _bySid.TryGetValue(line.CallSid, out var d))
        {
            d.HungUpAtMs ??= line.At;
        }
    }

    /// <summary>A crash mid-append can leave a last line without its newline: end it, so the next record starts on a line of its own.</summary>
    private static void TerminateTornLine(FileStream stream)
    {
        if (stream.Length == 0)
        {
            return;
        }
        stream.Seek(-1, SeekOrigin.End);
        if (stream.ReadByte() != '\n')
        {
            stream.Seek(0, SeekOrigin.End);
            stream.WriteByte((byte)'\n');
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>Appends at the end (after what <see cref="ReadNew"/> read, under the exclusive lock) and fsyncs.</summary>
    private void Append(FileStream stream, Line line)
    {
        stream.Seek(0, SeekOrigin.End);
        if (_readOffset < stream.Length)
        {
            stream.WriteByte((byte)'\n'); // a process died mid-append: end its torn line so ours stands alone
        }
        var bytes = JsonSerializer.SerializeToUtf8Bytes(line, Json.Options);
        stream.Write(bytes);
        stream.WriteByte((byte)'\n');
        stream.Flush(flushToDisk: true);
        _readOffset = stream.Length;
    }
}
