namespace Outdial.Storage.Sqlite;

/// <summary>SQLite settings (configuration section <c>Outdial:Sqlite</c>).</summary>
public sealed class SqliteOptions
{
    /// <summary>File name inside <c>Outdial:DataDirectory</c>. Default <c>outdial.db</c>.</summary>
    public string FileName { get; set; } = "outdial.db";

    /// <summary>
    /// <c>PRAGMA synchronous</c> for the writer: <c>FULL</c> (default: a commit survives power loss) or <c>NORMAL</c>
    /// (WAL: a commit survives a process crash but may be lost on power loss).
    /// </summary>
    public string Synchronous { get; set; } = "FULL";

    /// <summary>Most writes committed together in one transaction (group commit).</summary>
    public int MaxBatch { get; set; } = 256;
}
