using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;

namespace Outdial.Storage.Sqlite;

/// <summary>
/// The writer's connection, or a reader's (<see cref="SqliteDatabase.ReadAsync{T}"/>), as the store's SQL sees it: a
/// <see cref="DbConnection"/> over one open <see cref="SqliteConnection"/>
/// whose commands keep their compiled statements. Microsoft.Data.Sqlite compiles a command's text again for every new
/// <see cref="SqliteCommand"/> (Dapper makes one per call); here each distinct SQL text is compiled once into a
/// <see cref="SqliteCommand"/> kept for the connection's life and executed again with new parameter values, which saves
/// SQLite's parser and code generator on every statement of every write (about a tenth of the server's CPU at intake, measured).
/// At most <see cref="MaxStatements"/> texts are kept; past that the cache starts over (texts that vary per call, such as
/// Dapper's expanded <c>IN</c> lists, would otherwise grow it without bound). Not thread-safe: one user at a time, the single writer loop
/// or the one read that has rented it. Transactions are SQL statements (the writer's <c>BEGIN IMMEDIATE</c>, savepoints and
/// <c>COMMIT</c>; a read's <see cref="BeginDeferred"/>), so <see cref="DbConnection.BeginTransaction()"/> is not supported.
/// </summary>
internal sealed class PreparedConnection(SqliteConnection inner) : DbConnection
{
    /// <summary>Most distinct SQL texts whose compiled statements are kept.</summary>
    public const int MaxStatements = 512;

    private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);

    /// <summary>Number of SQL texts compiled so far (tests check that a repeated statement is compiled once).</summary>
    public long Compiled { get; private set; }

    /// <summary>The compiled command for <paramref name="sql"/>, compiling it on first use.</summary>
    internal SqliteCommand For(string sql)
    {
        if (_prepared.TryGetValue(sql, out var command))
        {
            return command;
        }
        if (_prepared.Count >= MaxStatements)
        {
            DisposeStatements();
        }
        command = inner.CreateCommand();
        command.CommandText = sql;
        command.Prepare();
        Compiled++;
        _prepared[sql] = command;
        return command;
    }

    /// <summary>True while a transaction is open on the connection (SQLite is not in autocommit mode).</summary>
    internal bool InTransaction => SQLitePCL.raw.sqlite3_get_autocommit(inner.Handle) == 0;

    /// <summary>
    /// <c>BEGIN DEFERRED</c>: the reads until the returned transaction ends see one WAL snapshot and take no write lock. Commit,
    /// rollback and dispose all end it (a read changed nothing).
    /// </summary>
    internal DbTransaction BeginDeferred()
    {
        For("BEGIN DEFERRED;").ExecuteNonQuery();
        return new ReadTransaction(this);
    }

    private void DisposeStatements()
    {
        foreach (var command in _prepared.Values)
        {
            command.Dispose();
        }
        _prepared.Clear();
    }

    [AllowNull]
    public override string ConnectionString
    {
        get => inner.ConnectionString;
        set => throw new NotSupportedException("the writer's connection string is fixed");
    }

    public override string Database => inner.Database;

    public override string DataSource => inner.DataSource;

    public override string ServerVersion => inner.ServerVersion;

    public override ConnectionState State => inner.State;

    public override void ChangeDatabase(string databaseName) => throw new NotSupportedException();

    public override void Open() => inner.Open();

    public override void Close() => inner.Close();

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) =>
        throw new NotSupportedException("the writer runs every write inside its own transaction");

    protected override DbCommand CreateDbCommand() => new PreparedCommand(this);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            DisposeStatements();
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    private sealed class ReadTransaction(PreparedConnection owner) : DbTransaction
    {
        private bool _ended;

        public override IsolationLevel IsolationLevel => IsolationLevel.Serializable;

        protected override DbConnection DbConnection => owner;

        public override void Commit() => End();

        public override void Rollback() => End();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                End();
            }
            base.Dispose(disposing);
        }

        private void End()
        {
            if (!_ended && owner.State == ConnectionState.Open)
            {
                _ended = true;
                owner.For("COMMIT;").ExecuteNonQuery();
            }
        }
    }

    /// <summary>
    /// A command as Dapper fills it (text, then parameters; Dapper may rewrite the text to expand a list), executed by the
    /// connection's compiled command for its final text with its own parameters.
    /// </summary>
    private sealed class PreparedCommand(PreparedConnection owner) : DbCommand
    {
        private readonly SqliteParameterCollection _parameters = new SqliteCommand().Parameters;

        [AllowNull]
        public override string CommandText { get; set; } = "";

        public override int CommandTimeout { get; set; }

        public override CommandType CommandType
        {
            get => CommandType.Text;
            set
            {
                if (value != CommandType.Text)
                {
                    throw new NotSupportedException("only CommandType.Text");
                }
            }
        }

        public override bool DesignTimeVisible { get; set; }

        public override UpdateRowSource UpdatedRowSource { get; set; }

        protected override DbConnection? DbConnection
        {
            get => owner;
            set => throw new NotSupportedException();
        }

        protected override DbParameterCollection DbParameterCollection => _parameters;

        protected override DbTransaction? DbTransaction { get; set; }

        public override void Cancel()
        {
        }

        public override void Prepare()
        {
        }

        protected override DbParameter CreateDbParameter() => new SqliteParameter();

        /// <summary>The compiled command for the text, holding this command's parameter values.</summary>
        private SqliteCommand Bound()
        {
            var command = owner.For(CommandText);
            command.Parameters.Clear();
            foreach (SqliteParameter p in _parameters)
            {
                command.Parameters.Add(p);
            }
            return command;
        }

        public override int ExecuteNonQuery() => Bound().ExecuteNonQuery();

        public override object? ExecuteScalar() => Bound().ExecuteScalar();

        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => Bound().ExecuteReader(behavior);
    }
}
