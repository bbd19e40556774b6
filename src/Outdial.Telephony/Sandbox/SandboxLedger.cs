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
/// </summary>
public sealed class SandboxLedger
{
    private readonly Lock _gate = new();
    private readonly string _path;
    private readonly Dictionary<string, SandboxDial> _bySid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SandboxDial> _byAttempt = new(StringComparer.Ordinal);

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
        TerminateTornLine();
        foreach (var text in File.ReadLines(_path))
        {
            Line? line;
            try
            {
                line = JsonSerializer.Deserialize<Line>(text, Json.Options);
            }
            catch (JsonException)
            {
                continue;
            }
            if (line?.CallSid is null)
            {
                continue;
            }
            if (line.Type == "dial" && line.AttemptId is not null)
            {
                var dial = new SandboxDial(line.CallSid, line.AttemptId, line.To ?? "", line.From ?? "", line.At, line.RingTimeoutSec, line.MaxDurationSec);
                _bySid[dial.CallSid] = dial;
                _byAttempt[dial.AttemptId] = dial;
            }
            else if (line.Type == "hangup" && _bySid.TryGetValue(line.CallSid, out var d))
            {
                d.HungUpAtMs ??= line.At;
            }
        }
    }

    /// <summary>Every dial recorded, in no particular order.</summary>
    public IReadOnlyList<SandboxDial> All()
    {
        lock (_gate)
        {
            return [.. _bySid.Values];
        }
    }

    public SandboxDial? Find(string attemptId, string? callSid)
    {
        lock (_gate)
        {
            return callSid is not null && _bySid.TryGetValue(callSid, out var bySid) ? bySid
                : _byAttempt.GetValueOrDefault(attemptId);
        }
    }

    /// <summary>Records a dial durably; returns the existing record when this attempt was already dialed (never dials twice).</summary>
    public SandboxDial RecordDial(SandboxDial dial)
    {
        lock (_gate)
        {
            if (_byAttempt.TryGetValue(dial.AttemptId, out var existing))
            {
                return existing;
            }
            Append(new Line("dial", dial.CallSid, dial.AttemptId, dial.To, dial.From, dial.DialedAtMs, dial.RingTimeoutSec, dial.MaxDurationSec));
            _bySid[dial.CallSid] = dial;
            _byAttempt[dial.AttemptId] = dial;
            return dial;
        }
    }

    /// <summary>Records a hang-up once; false when the call is unknown or was already hung up.</summary>
    public bool RecordHangUp(string callSid, long atMs)
    {
        lock (_gate)
        {
            if (!_bySid.TryGetValue(callSid, out var dial) || dial.HungUpAtMs is not null)
            {
                return false;
            }
            Append(new Line("hangup", callSid, null, null, null, atMs, 0, 0));
            dial.HungUpAtMs = atMs;
            return true;
        }
    }

    /// <summary>A crash mid-append can leave a last line without its newline: end it, so the next record starts on a line of its own.</summary>
    private void TerminateTornLine()
    {
        using var stream = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        if (stream.Length == 0)
        {
            return;
        }
        stream.Seek(-1, SeekOrigin.End);
        if (stream.ReadByte() != '\n')
        {
            stream.WriteByte((byte)'\n');
            stream.Flush(flushToDisk: true);
        }
    }

    private void Append(Line line)
    {
        using var stream = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(line, Json.Options);
        stream.Write(bytes);
        stream.WriteByte((byte)'\n');
        stream.Flush(flushToDisk: true);
    }
}
