using System.Globalization;

namespace Outdial.Storage.Sql;

/// <summary>The numbered migrations embedded in this assembly: <c>Migrations/{Dialect}/NNNN_name.sql</c>.</summary>
public static class EmbeddedMigrations
{
    /// <summary>Migrations of one dialect folder (<c>Sqlite</c>, <c>Postgres</c>), ordered by their number prefix.</summary>
    public static IEnumerable<(int Version, string Name, string Sql)> Of(string dialect)
    {
        var asm = typeof(EmbeddedMigrations).Assembly;
        var prefix = $"{asm.GetName().Name}.Migrations.{dialect}.";
        return asm.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n[prefix.Length..];
                var version = int.Parse(file.AsSpan(0, file.IndexOf('_', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
                using var stream = asm.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return (version, file, reader.ReadToEnd());
            })
            .OrderBy(m => m.version);
    }
}
