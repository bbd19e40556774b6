using System.Globalization;

namespace Outdial.Bench;

/// <summary>The side-by-side table of <c>--scale</c> and its targets (issue 17), each marked met or not met.</summary>
internal static class ScaleReport
{
    private const int LabelWidth = 50;
    private const int ColumnWidth = 17;
    private const double LatenessTargetMs = 50;
    private const double ClaimTargetRatio = 1.5;
    private const double RssTargetMb = 300;

    public static void Print(IReadOnlyList<ColumnResult> columns, ClaimResult sqlite, ClaimResult pg, BenchOptions o, TimeSpan elapsed)
    {
        var inv = CultureInfo.InvariantCulture;
        var large = Size(o.Queued);
        Console.WriteLine();
        Console.WriteLine(string.Create(inv, $"== scale: SQLite | PostgreSQL ×1 | PostgreSQL ×3 nodes ({Environment.ProcessorCount} cores, {elapsed.TotalMinutes:0.0} min) =="));
        Row("", columns.Select(c => c.Name));
        Row(string.Create(inv, $"intake calls/s ({o.Clients} clients, {o.Seconds} s)"), columns.Select(c => F(c.Intake.AcceptedPerSecond, "0")));
        Row("intake p50 / p99 ms", columns.Select(c => $"{F(c.Intake.LatencyMs(0.5), "0.0")} / {F(c.Intake.LatencyMs(0.99), "0.0")}"));
        Row(string.Create(inv, $"dispatch dials/s ({o.DispatchCalls} due at once)"), columns.Select(c => F(c.DialsPerSecond, "0")));
        Row("dispatch first / last dial after due, ms", columns.Select(c => $"{F(c.FirstDialMs, "0")} / {F(c.LastDialMs, "0")}"));
        Row(string.Create(inv, $"lateness p50 / p99 ms ({o.LatenessCalls} at {o.LatenessRate}/s)"),
            columns.Select(c => $"{F(ScaleBench.Quantile(c.LatenessMs, 0.5), "0.0")} / {F(ScaleBench.Quantile(c.LatenessMs, 0.99), "0.0")}"));
        Row("claim only p50 / p99 ms, 10k queued", [ClaimOnly(sqlite.Small), ClaimOnly(pg.Small), "(as ×1)"]);
        Row(string.Create(inv, $"claim only p50 / p99 ms, {large} queued"), [ClaimOnly(sqlite.Large), ClaimOnly(pg.Large), "(as ×1)"]);
        Row("claim round p50 / p99 ms, 10k queued", [RoundText(sqlite.Small), RoundText(pg.Small), "(as ×1)"]);
        Row(string.Create(inv, $"claim round p50 / p99 ms, {large} queued"), [RoundText(sqlite.Large), RoundText(pg.Large), "(as ×1)"]);
        Row(string.Create(inv, $"claim round p50 {large} ÷ 10k"), [F(Ratio(sqlite), "0.00") + "×", F(Ratio(pg), "0.00") + "×", "(as ×1)"]);
        Row(string.Create(inv, $"server RSS MB, {large} queued (max / VmHWM)"),
            [$"{F(sqlite.RssMaxMb, "0")} / {F(sqlite.RssHwmMb, "0")}", $"{F(pg.RssMaxMb, "0")} / {F(pg.RssHwmMb, "0")}", "(as ×1)"]);
        Row("errors (failed requests, calls not dialed)", columns.Select(c => c.Errors.ToString(inv)));

        Console.WriteLine();
        Console.WriteLine("targets");
        Console.WriteLine(string.Create(inv, $"  lateness p99 < {LatenessTargetMs:0} ms: ")
            + string.Join("; ", columns.Select(c => Mark(c.Name, ScaleBench.Quantile(c.LatenessMs, 0.99), v => v < LatenessTargetMs, "0.0", " ms"))));
        Console.WriteLine(string.Create(inv, $"  claim round p50 at {large} ≤ {ClaimTargetRatio}× at 10k: ")
            + string.Join("; ", new[] { sqlite, pg }.Select(r => Mark(r.Engine, Ratio(r), v => v <= ClaimTargetRatio, "0.00", "×"))));
        Console.WriteLine(string.Create(inv, $"  server RSS with {large} queued < {RssTargetMb:0} MB: ")
            + string.Join("; ", new[] { sqlite, pg }.Select(r => Mark(r.Engine, Math.Max(r.RssMaxMb, r.RssHwmMb), v => v < RssTargetMb, "0", " MB"))));
        foreach (var c in columns.Where(c => !c.QueuedBeforeDue))
        {
            Console.WriteLine($"  note: {c.Name}'s dispatch calls were still being queued at their due time, so its dials/s is a lower bound");
        }
    }

    private static double Ratio(ClaimResult r) => r.Large.Round(0.5) / r.Small.Round(0.5);

    private static string ClaimOnly(ClaimSample s) => $"{F(s.Claim(0.5), "0.00")} / {F(s.Claim(0.99), "0.00")}";

    private static string RoundText(ClaimSample s) => $"{F(s.Round(0.5), "0.0")} / {F(s.Round(0.99), "0.0")}";

    private static string Mark(string name, double value, Func<double, bool> met, string format, string unit) =>
        double.IsNaN(value) ? $"{name} not measured" : $"{name} {(met(value) ? "met" : "NOT met")} ({F(value, format)}{unit})";

    private static string Size(int n) => n % 1_000_000 == 0 ? $"{n / 1_000_000}M" : n % 1000 == 0 ? $"{n / 1000}k" : n.ToString(CultureInfo.InvariantCulture);

    private static string F(double v, string format) => double.IsNaN(v) ? "-" : v.ToString(format, CultureInfo.InvariantCulture);

    private static void Row(string label, IEnumerable<string> cells) =>
        Console.WriteLine(label.PadRight(LabelWidth) + string.Concat(cells.Select(c => c.PadLeft(ColumnWidth))));
}
