using Outdial.Storage.Sqlite;
using Xunit;

namespace Outdial.Storage.Tests;

public class SqliteVersionTests
{
    /// <summary>Microsoft.Data.Sqlite 11 bundles SQLite 3.53 (SQLitePCLRaw 3); the 3.35 of the 6.x package was five years old.</summary>
    [Fact]
    public void BundledSqlite_IsAtLeast3_53()
    {
        var version = Version.Parse(SqliteDatabase.SqliteVersion);
        Assert.True(version >= new Version(3, 53), $"SQLite {version}");
    }
}
