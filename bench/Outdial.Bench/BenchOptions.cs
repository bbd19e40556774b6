using System.Globalization;

namespace Outdial.Bench;

/// <summary>Command-line options of the benchmark, parsed by hand (no package).</summary>
public sealed record BenchOptions
{
    /// <summary>Measured duration of each phase, in seconds.</summary>
    public int Seconds { get; init; } = 10;

    /// <summary>Warm-up before each phase, in seconds; its numbers are discarded.</summary>
    public int WarmupSeconds { get; init; } = 2;

    /// <summary>Number of concurrent clients, each looping one request at a time.</summary>
    public int Clients { get; init; } = 64;

    /// <summary>Webhook endpoints to register on an in-process receiver before the phases (0 = no webhook measurement).</summary>
    public int WebhookEndpoints { get; init; }

    /// <summary>Longest wait after the <c>calls</c> phase for every webhook delivery to arrive, in seconds.</summary>
    public int WebhookDrainSeconds { get; init; } = 60;

    /// <summary>Contact rows to import in one CSV upload (<c>--import-rows N</c>); 0 = off. When set, only the import is measured.</summary>
    public int ImportRows { get; init; }

    /// <summary>Callee-zone lookups to time in process (<c>--zones N</c>); 0 = off. When set, only that is measured.</summary>
    public int Zones { get; init; }

    /// <summary>Longest wait for the import to finish after the upload was accepted, in seconds.</summary>
    public int ImportTimeoutSeconds { get; init; } = 1800;

    /// <summary>Most rows one import accepts (the server's documented limit).</summary>
    public const int MaxImportRows = 1_000_000;

    /// <summary>Most webhook endpoints an account may have (the server answers 409 beyond).</summary>
    public const int MaxWebhookEndpoints = 20;

    /// <summary>Concurrent relay sessions to run (<c>--conversations N</c>); 0 = off. When set, only conversations are measured.</summary>
    public int Conversations { get; init; }

    /// <summary>Turns (prompt → streamed reply) per session.</summary>
    public int Turns { get; init; } = 10;

    /// <summary>Mean pause between a session's turns, milliseconds (each pause is 50–150 % of it, at random).</summary>
    public int PauseMs { get; init; } = 3000;

    /// <summary>The fake model's fixed time to first token, in milliseconds.</summary>
    public int TimeToFirstTokenMs { get; init; } = 50;

    /// <summary><c>--scale</c>: measure only the side-by-side table of SQLite, PostgreSQL ×1 and PostgreSQL ×3 nodes (see <see cref="ScaleBench"/>).</summary>
    public bool Scale { get; init; }

    /// <summary>PostgreSQL server for <c>--scale</c> (an Npgsql connection string without a database); null = start a throw-away cluster.</summary>
    public string? Postgres { get; init; }

    /// <summary>Calls queued for the large claim-latency measurement and the server's RSS (<c>--queued N</c>, at least 10,000).</summary>
    public int Queued { get; init; } = 1_000_000;

    /// <summary>Calls queued due at one instant for the dispatch measurement of <c>--scale</c>.</summary>
    public int DispatchCalls { get; init; } = 2000;

    /// <summary>Calls scheduled 1–2 s ahead, one after the other, for the due-time lateness of <c>--scale</c>.</summary>
    public int LatenessCalls { get; init; } = 100;

    /// <summary>Calls per second of the lateness measurement (light load).</summary>
    public int LatenessRate { get; init; } = 5;

    /// <summary>Measured claim rounds (claim a batch + hand it back) at each queue size.</summary>
    public int ClaimRounds { get; init; } = 100;

    /// <summary>How long the server runs with workers on over the large queue while its RSS is sampled, in seconds.</summary>
    public int RssSeconds { get; init; } = 15;

    /// <summary>The small queue of the claim-latency comparison.</summary>
    public const int SmallQueue = 10_000;

    /// <summary>Path of <c>Outdial.Server.dll</c>; <c>null</c> means the Release build under the repository root.</summary>
    public string? ServerDll { get; init; }

    /// <summary><c>--help</c> was given: print <see cref="Usage"/> and exit.</summary>
    public bool ShowHelp { get; init; }

    /// <summary>Usage text printed by <c>--help</c> and after a bad option.</summary>
    public const string Usage = """
        Usage: dotnet run -c Release --project bench/Outdial.Bench -- [options]

        Starts Outdial.Server as a child process (it must already be built), then measures
          ceiling  POST /v1/bench/parse  (authenticates and parses a call body, stores nothing)
          calls    POST /v1/calls        (full intake: validation, duplicate guard, durable insert)
        and prints throughput, latency percentiles and the calls/ceiling ratio.
        With --webhook-endpoints N it also registers N webhook endpoints on an in-process receiver, and after
        the calls phase waits until no delivery is pending and prints delivery rates and event-to-arrival lag.
        With --conversations N it measures only conversations: N concurrent ConversationRelay sessions (through the
        Twilio provider, against an in-process stand-in of Twilio's REST API and a fake OpenAI-compatible model with a
        fixed time to first token); prints Outdial's overhead (prompt received → first text frame, minus that time)
        p50/p99 and sessions per core.
        With --import-rows N it measures only a bulk contact import instead: one streamed CSV upload of N rows to
        POST /v1/campaigns/{id}/contacts, then polls the import until it completes; prints upload and import time,
        rows per second and the peak memory of the server and of the bench.
        With --zones N it measures only, in this process, N callee-zone lookups (libphonenumber's zones and type of a
        number, as eligibility asks for them) over numbers of several countries: first each number once (a parse), then
        the same numbers again (the cache); prints microseconds per lookup for both.
        With --scale it measures only one side-by-side table of SQLite, PostgreSQL with 1 node and with 3 nodes over
        one database: intake (calls/s, p50/p99), dispatch of a backlog due at once with pacing lifted (dials/s), due-time
        lateness at light load (p50/p99), claim latency with 10k and --queued calls (store-level, in this process) and
        the server's RSS with --queued calls queued; each target is marked met or not met.

        Options:
          --seconds N          measured duration of each phase (default 10)
          --warmup-seconds N   warm-up before each phase, discarded (default 2; 0 = none)
          --clients N          concurrent clients (default 64)
          --webhook-endpoints N
                               webhook endpoints to register, 0 to 20 (default 0 = no webhooks)
          --webhook-drain-seconds N
                               longest wait for the deliveries after the calls phase (default 60)
          --import-rows N      import N generated contacts (1 to 1000000) and measure only that (default off)
          --zones N            time N callee-zone lookups in process and measure only that (default off)
          --import-timeout-seconds N
                               longest wait for the import after the upload is accepted (default 1800)
          --conversations N    run N concurrent relay sessions and measure only that (default off)
          --turns N            turns per session, the first not measured (default 10)
          --pause-ms N         mean pause between a session's turns in ms, each 50-150 % of it (default 3000)
          --ttft-ms N          the fake model's time to first token in ms (default 50)
          --scale              SQLite | PostgreSQL x1 | PostgreSQL x3 side by side, measure only that (default off);
                               intake uses --seconds, --warmup-seconds and --clients
          --postgres CONN      PostgreSQL for --scale, e.g. "Host=127.0.0.1;Port=5432;Username=postgres"; a fresh
                               database is created and dropped per use (default: start a throw-away cluster)
          --queued N           calls queued for the large claim measurement and the RSS (default 1000000, min 10000)
          --dispatch-calls N   calls due at one instant for the dispatch measurement (default 2000)
          --lateness-calls N   calls scheduled 1-2 s ahead for the lateness measurement (default 100)
          --lateness-rate N    of those, per second (default 5)
          --claim-rounds N     measured claim rounds at each queue size (default 100)
          --rss-seconds N      seconds the server runs over the large queue while its RSS is sampled (default 15)
          --server-dll PATH    Outdial.Server.dll to start
                               (default src/Outdial.Server/bin/Release/net10.0/Outdial.Server.dll
                               under the folder holding Outdial.slnx)
          --help               print this text
        """;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> with a readable message on a bad option.</summary>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inline = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }
            string Value() => inline ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value"));

            options = arg switch
            {
                "--help" or "-h" or "-?" => options with { ShowHelp = true },
                "--seconds" => options with { Seconds = PositiveInt(arg, Value(), allowZero: false) },
                "--warmup-seconds" => options with { WarmupSeconds = PositiveInt(arg, Value(), allowZero: true) },
                "--clients" => options with { Clients = PositiveInt(arg, Value(), allowZero: false) },
                "--webhook-endpoints" => options with { WebhookEndpoints = WebhookCount(arg, Value()) },
                "--webhook-drain-seconds" => options with { WebhookDrainSeconds = PositiveInt(arg, Value(), allowZero: false) },
                "--import-rows" => options with { ImportRows = ImportCount(arg, Value()) },
                "--zones" => options with { Zones = PositiveInt(arg, Value(), allowZero: false) },
                "--import-timeout-seconds" => options with { ImportTimeoutSeconds = PositiveInt(arg, Value(), allowZero: false) },
                "--conversations" => options with { Conversations = PositiveInt(arg, Value(), allowZero: false) },
                "--turns" => options with { Turns = Math.Max(2, PositiveInt(arg, Value(), allowZero: false)) },
                "--pause-ms" => options with { PauseMs = PositiveInt(arg, Value(), allowZero: true) },
                "--ttft-ms" => options with { TimeToFirstTokenMs = PositiveInt(arg, Value(), allowZero: true) },
                "--scale" => options with { Scale = true },
                "--postgres" => options with { Postgres = Value() },
                "--queued" => options with { Queued = Math.Max(SmallQueue, PositiveInt(arg, Value(), allowZero: false)) },
                "--dispatch-calls" => options with { DispatchCalls = PositiveInt(arg, Value(), allowZero: false) },
                "--lateness-calls" => options with { LatenessCalls = PositiveInt(arg, Value(), allowZero: false) },
                "--lateness-rate" => options with { LatenessRate = PositiveInt(arg, Value(), allowZero: false) },
                "--claim-rounds" => options with { ClaimRounds = PositiveInt(arg, Value(), allowZero: false) },
                "--rss-seconds" => options with { RssSeconds = PositiveInt(arg, Value(), allowZero: false) },
                "--server-dll" => options with { ServerDll = Value() },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }
        return options;
    }

    private static int WebhookCount(string name, string text)
    {
        var value = PositiveInt(name, text, allowZero: true);
        return value <= MaxWebhookEndpoints
            ? value
            : throw new ArgumentException($"{name} must be at most {MaxWebhookEndpoints} (the server's limit per account), got '{text}'");
    }

    private static int ImportCount(string name, string text)
    {
        var value = PositiveInt(name, text, allowZero: false);
        return value <= MaxImportRows
            ? value
            : throw new ArgumentException($"{name} must be at most {MaxImportRows} (the server's limit per import), got '{text}'");
    }

    private static int PositiveInt(string name, string text, bool allowZero)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || (value == 0 && !allowZero))
        {
            throw new ArgumentException($"{name} must be a {(allowZero ? "non-negative" : "positive")} integer, got '{text}'");
        }
        return value;
    }
}
