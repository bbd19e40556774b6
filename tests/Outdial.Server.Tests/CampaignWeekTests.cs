using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using NodaTime;
using Outdial.Core.Calls;
using Outdial.Core.Compliance;
using Xunit;
using Xunit.Abstractions;

namespace Outdial.Server.Tests;

/// <summary>
/// Acceptance: a simulated week on a manual clock. A 10,000-contact campaign (plus 500 duplicate rows, 500 numbers on the
/// DNC list, mixed sandbox outcomes) with the legal floor and the frequency cap on: no dial outside the calling window or
/// the legal hours in any zone the callee may be in, no dial to a listed number, no cap violation, retries no earlier
/// than the configured cooldowns, and stats that add up.
/// </summary>
public sealed class CampaignWeekTests(ITestOutputHelper output)
{
    /// <summary>Monday 2026-11-23 00:00 UTC.</summary>
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] AreaCodes = ["212", "305", "312", "713", "303", "602", "415", "907", "808", "208"];

    /// <summary>Cooldowns configured on the campaign (seconds), by outcome wire name.</summary>
    private static readonly Dictionary<string, int> Cooldowns = new(StringComparer.Ordinal)
    {
        ["busy"] = 3600,
        ["no_answer"] = 7200,
        ["voicemail"] = 14400,
        ["unreachable"] = 3600,
        ["error"] = 1800,
    };

    private const int Distinct = 10_000;
    private const int DncCount = 500;
    private const int DuplicateRows = 500;
    private const int MaxAttempts = 3;
    private const int CampaignConcurrency = 200;

    /// <summary>How far (simulated time) the dialer may fall behind what is due before the driver waits for it.</summary>
    private static readonly TimeSpan AllowedLag = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task AWeekOf10kContacts_NoDialOutsideWindows_NoDncDial_NoCapViolation_RetriesAtCooldowns_StatsAddUp()
    {
        var wall = Stopwatch.StartNew();
        // Time moves only when the test advances it, plus a little on every read: a dispatcher round then sees time
        // pass from call to call as it does in production, so per-caller-ID pacing spaces dials instead of allowing one
        // dial per clock value.
        var clock = new ManualClock(Start, tickPerRead: TimeSpan.FromMilliseconds(25));
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string>
        {
            ["Outdial:Compliance:LegalFloorEnabled"] = "true",
            ["Outdial:Compliance:FrequencyCapMaxAttempts"] = "3",
            ["Outdial:Sandbox:SpeedFactor"] = "1000",
            ["Outdial:Dispatcher:BatchSize"] = "500",
            ["Outdial:Campaigns:MinFeedAhead"] = "2000",
        }, clock);
        var client = host.Client;

        var account = await client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, "/v1/account")
        {
            Content = JsonContent.Create(new JsonObject { ["maxConcurrentCalls"] = 500 }),
        });
        Assert.Equal(HttpStatusCode.OK, account.StatusCode);

        var phone = (await client.GetFromJsonAsync<JsonObject>("/v1/phone-numbers"))!["data"]![0]!;
        var phonePatch = await client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/v1/phone-numbers/{phone["id"]}")
        {
            Content = JsonContent.Create(new JsonObject { ["callsPerSecond"] = 50 }),
        });
        Assert.True(phonePatch.IsSuccessStatusCode, await phonePatch.Content.ReadAsStringAsync());

        // ---- Contacts: 10,000 distinct numbers, 500 of them on the DNC list, plus 500 duplicate rows. ----------------
        var numbers = Enumerable.Range(0, Distinct).Select(NumberFor).ToList();
        Assert.Equal(Distinct, numbers.Distinct(StringComparer.Ordinal).Count());
        var random = new Random(20261123);
        var dnc = numbers.OrderBy(_ => random.Next()).Take(DncCount).ToHashSet(StringComparer.Ordinal);
        var dncResponse = await client.PostAsJsonAsync("/v1/dnc/bulk", new JsonObject
        {
            ["entries"] = new JsonArray([.. dnc.Select(n => (JsonNode)new JsonObject { ["number"] = n, ["reason"] = "asked" })]),
        });
        Assert.True(dncResponse.IsSuccessStatusCode, await dncResponse.Content.ReadAsStringAsync());
        Assert.Equal(DncCount, (int)(await dncResponse.JsonAsync())["added"]!);

        var callable = numbers.Where(n => !dnc.Contains(n)).ToList();
        var csv = new StringBuilder("phone,firstName\n");
        for (var i = 0; i < Distinct; i++)
        {
            csv.Append(numbers[i]).Append(",C").Append(i).Append('\n');
            if (i % 20 == 19)
            {
                // A duplicate of an earlier callable number (never of a listed one, so each row has one reason to drop).
                string earlier;
                do
                {
                    earlier = numbers[random.Next(i)];
                }
                while (dnc.Contains(earlier));
                csv.Append(earlier).Append(",Dup\n");
            }
        }

        // This test is about when calls are dialed: the campaign's (default) agent hangs up as soon as a person answers, so a
        // week of calls costs no conversations (those are tested in SandboxConversationTests and ModelConversationTests).
        var agentId = (string)(await client.GetFromJsonAsync<JsonObject>("/v1/agents"))!["data"]!.AsArray().Single(a => (bool)a!["isDefault"]!)!["id"]!;
        var quiet = await client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/v1/agents/{agentId}")
        {
            Content = JsonContent.Create(new JsonObject { ["mode"] = "message", ["firstMessage"] = "", ["disclosures"] = new JsonObject { ["enabled"] = false } }),
        });
        Assert.True(quiet.IsSuccessStatusCode, await quiet.Content.ReadAsStringAsync());

        // ---- Campaign. -------------------------------------------------------------------------------------------
        var created = await client.PostAsJsonAsync("/v1/campaigns", new JsonObject
        {
            ["name"] = "week-" + Guid.NewGuid().ToString("N"),
            ["callingWindow"] = new JsonObject
            {
                ["timeZone"] = "callee",
                ["days"] = new JsonArray("mon", "tue", "wed", "thu", "fri"),
                ["ranges"] = new JsonArray(new JsonObject { ["start"] = "09:00", ["end"] = "18:00" }),
            },
            ["retry"] = new JsonObject
            {
                ["maxAttempts"] = MaxAttempts,
                ["cooldownSec"] = new JsonObject([.. Cooldowns.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]),
                ["endOn"] = new JsonArray("rejected"),
            },
            ["autoDncOutcomes"] = new JsonArray("rejected"),
            ["pacing"] = new JsonObject { ["maxConcurrentCalls"] = CampaignConcurrency, ["callsPerSecond"] = 50 },
        });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (string)(await created.JsonAsync())["id"]!;

        var upload = await client.PostAsync($"/v1/campaigns/{id}/contacts", new StringContent(csv.ToString(), Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var import = await WaitForImportAsync(client, upload.Headers.Location!.ToString());
        output.WriteLine($"import: {import.ToJsonString()}");
        Assert.Equal("completed", (string?)import["status"]);
        Assert.Equal(Distinct + DuplicateRows, (long)import["rowsRead"]!);
        Assert.Equal(Distinct - DncCount, (long)import["accepted"]!);
        Assert.Equal(DuplicateRows, (long)import["duplicate"]!);
        Assert.Equal(DncCount, (long)import["dncSuppressed"]!);
        Assert.Equal(0, (long)import["invalid"]!);

        var activated = await client.PostAsync($"/v1/campaigns/{id}/activate", null);
        Assert.Equal(HttpStatusCode.OK, activated.StatusCode);

        // ---- Drive a week of simulated time. -----------------------------------------------------------------------
        var endOfWeek = Start.AddDays(7);
        var step = TimeSpan.FromMinutes(1);
        JsonObject stats = await StatsAsync(client, id);
        var nextReport = Start.AddHours(6);
        long lastAttempts = -1;
        var steps = 0;
        var jumps = 0;
        var holds = 0;
        while (clock.GetUtcNow() < endOfWeek && wall.Elapsed < TimeSpan.FromMinutes(12))
        {
            var now = clock.GetUtcNow();
            var attempts = (long)stats["attempts"]!;
            var idle = (long)stats["pending"]! == 0 && (long)stats["inProgress"]! == 0 && attempts == lastAttempts;
            lastAttempts = attempts;
            if ((string?)stats["status"] == "completed")
            {
                break;
            }
            if (idle && stats["nextScheduledDial"] is { } nextNode
                && new DateTimeOffset(DateTime.SpecifyKind((DateTime)nextNode, DateTimeKind.Utc)) is var next && next - now > TimeSpan.FromMinutes(5))
            {
                var target = next - TimeSpan.FromMinutes(1);
                clock.Advance(target - now < endOfWeek - now ? target - now : endOfWeek - now);
                jumps++;
            }
            else
            {
                clock.Advance(step);
                steps++;
            }
            await Task.Delay(5);
            stats = await StatsAsync(client, id);
            // Back-pressure: when the dialer is more than a few simulated minutes behind what is due, simulated time waits (a
            // bounded while) for it, so a slow machine simulates the same week instead of one in which the dialer falls
            // hours behind the clock and contacts that finish on a fast machine spill into the next week.
            var held = Stopwatch.StartNew();
            while (DueNow(stats, clock.GetUtcNow() - AllowedLag) && (long)stats["inProgress"]! < CampaignConcurrency && held.Elapsed < TimeSpan.FromSeconds(5))
            {
                holds++;
                await Task.Delay(100); // not less: each stats read costs the server CPU the dialer needs
                stats = await StatsAsync(client, id);
            }
            if (clock.GetUtcNow() >= nextReport)
            {
                nextReport = clock.GetUtcNow().AddHours(6);
                output.WriteLine($"[{wall.Elapsed:mm\\:ss}] sim {clock.GetUtcNow():ddd yyyy-MM-dd HH:mm}Z status={stats["status"]} pending={stats["pending"]} " +
                    $"scheduled={stats["scheduled"]} inProgress={stats["inProgress"]} attempts={stats["attempts"]} done={Sum(stats["doneByOutcome"])} next={stats["nextScheduledDial"]}");
            }
        }
        // Stop dialing (unless done), let calls in progress end, and read the figures once nothing moves any more.
        if ((string?)stats["status"] != "completed")
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/v1/campaigns/{id}/pause", null)).StatusCode);
        }
        for (var i = 0; i < 100; i++)
        {
            var before = stats.ToJsonString();
            clock.Advance(TimeSpan.FromSeconds(10));
            await Task.Delay(50);
            stats = await StatsAsync(client, id);
            if ((long)stats["inProgress"]! == 0 && stats.ToJsonString() == before)
            {
                break;
            }
        }
        output.WriteLine($"driving took {wall.Elapsed:mm\\:ss} wall, {steps} steps + {jumps} jumps + {holds} holds, simulated until {clock.GetUtcNow():ddd yyyy-MM-dd HH:mm}Z");
        output.WriteLine($"stats: {stats.ToJsonString()}");

        // ---- Facts straight from the database. ---------------------------------------------------------------------
        var rows = new List<Attempt>();
        var dncRows = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await using (var conn = new SqliteConnection($"Data Source={Path.Combine(host.DataDirectory, "outdial.db")};Mode=ReadOnly;Pooling=False"))
        {
            foreach (var doc in await conn.QueryAsync<string>(
                "SELECT a.doc FROM call_attempts a JOIN calls c ON c.id = a.call_id WHERE c.campaign_id = @id", new { id }))
            {
                rows.Add(JsonSerializer.Deserialize<Attempt>(doc, Outdial.Core.Common.Json.Options)!);
            }
            foreach (var (number, at) in await conn.QueryAsync<(string, long)>("SELECT number, created_at FROM dnc_entries"))
            {
                dncRows[number] = DateTimeOffset.FromUnixTimeMilliseconds(at);
            }
        }
        output.WriteLine($"attempt rows: {rows.Count}; outcomes: {string.Join(", ", rows.GroupBy(a => a.Outcome?.ToWire() ?? "(none)").OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}"))}");
        output.WriteLine($"attempts per call: {string.Join(", ", rows.GroupBy(a => a.CallId).GroupBy(g => g.Count()).OrderBy(g => g.Key).Select(g => $"{g.Key}x{g.Count()}"))}");
        output.WriteLine($"dnc entries: {dncRows.Count} ({dncRows.Count - DncCount} added by auto-DNC)");

        var problems = new List<string>();
        var floor = LegalFloor.Load(new ComplianceOptions());
        var windowStart = new LocalTime(9, 0);
        var windowEnd = new LocalTime(18, 0);

        // 0 dials outside windows: the campaign window and every legal rule's hours, in every zone the callee may be in.
        foreach (var a in rows)
        {
            var location = CalleeZones.Resolve(a.To);
            Assert.NotEmpty(location.Zones);
            var rules = floor.RulesFor(location);
            foreach (var zoneId in location.Zones)
            {
                var local = Instant.FromDateTimeOffset(a.CreatedAt).InZone(DateTimeZoneProviders.Tzdb[zoneId]).LocalDateTime;
                if (local.DayOfWeek is IsoDayOfWeek.Saturday or IsoDayOfWeek.Sunday || local.TimeOfDay < windowStart || local.TimeOfDay >= windowEnd)
                {
                    problems.Add($"outside campaign window: attempt {a.Id} to {a.To} at {a.CreatedAt:O} = {local} {zoneId}");
                }
                foreach (var rule in rules.Where(r => r.Hours.Count > 0))
                {
                    if (!rule.Hours.Any(h => h.Days.Contains(local.DayOfWeek) && local.TimeOfDay >= h.Start && local.TimeOfDay < h.End))
                    {
                        problems.Add($"outside legal hours ({rule.Id}): attempt {a.Id} to {a.To} at {a.CreatedAt:O} = {local} {zoneId}");
                    }
                }
            }
        }

        // 0 DNC dials: no attempt at or after the number was listed.
        foreach (var a in rows)
        {
            if (dncRows.TryGetValue(a.To, out var listedAt) && a.CreatedAt >= listedAt)
            {
                problems.Add($"DNC dial: attempt {a.Id} to {a.To} at {a.CreatedAt:O}, listed since {listedAt:O}");
            }
        }
        Assert.DoesNotContain(rows, a => dnc.Contains(a.To));

        // 0 cap violations: the account cap (3 per rolling 24 h) and every legal frequency rule, per number.
        foreach (var byNumber in rows.GroupBy(a => a.To))
        {
            var times = byNumber.Select(a => a.CreatedAt).Order().ToList();
            var limits = floor.RulesFor(CalleeZones.Resolve(byNumber.Key)).Where(r => r.Frequency is not null)
                .Select(r => (r.Id, r.Frequency!.MaxAttempts, Window: TimeSpan.FromSeconds(r.Frequency.WindowSec)))
                .Append(("account.frequency_cap", 3, TimeSpan.FromHours(24)));
            foreach (var (rule, max, window) in limits)
            {
                for (var k = 0; k + max < times.Count; k++)
                {
                    if (times[k + max] - times[k] < window)
                    {
                        problems.Add($"cap violation ({rule}): {max + 1} attempts to {byNumber.Key} between {times[k]:O} and {times[k + max]:O}");
                    }
                }
            }
            if (byNumber.Select(a => a.CallId).Distinct().Count() != 1)
            {
                problems.Add($"number {byNumber.Key} has attempts on more than one call (duplicate not suppressed)");
            }
        }

        // Retries at the configured cooldowns, only after retryable outcomes, at most maxAttempts.
        var retried = 0;
        foreach (var call in rows.GroupBy(a => a.CallId))
        {
            var ordered = call.OrderBy(a => a.Number).ToList();
            if (ordered.Count > MaxAttempts)
            {
                problems.Add($"call {call.Key} has {ordered.Count} attempts (max {MaxAttempts})");
            }
            for (var n = 0; n + 1 < ordered.Count; n++)
            {
                var (prev, next) = (ordered[n], ordered[n + 1]);
                var outcome = prev.Outcome?.ToWire();
                if (outcome is null || !Cooldowns.TryGetValue(outcome, out var cooldownSec))
                {
                    problems.Add($"call {call.Key}: attempt {next.Number} follows outcome '{outcome}', which is not retried");
                    continue;
                }
                retried++;
                var earliest = (prev.EndedAt ?? prev.CreatedAt) + TimeSpan.FromSeconds(cooldownSec);
                if (next.CreatedAt < earliest - TimeSpan.FromSeconds(1))
                {
                    problems.Add($"call {call.Key}: attempt {next.Number} at {next.CreatedAt:O} is before {earliest:O} (cooldown {cooldownSec}s after {outcome} ended {prev.EndedAt:O})");
                }
            }
        }
        output.WriteLine($"retries checked: {retried}");

        output.WriteLine($"problems: {problems.Count}");
        foreach (var p in problems.Take(40))
        {
            output.WriteLine("  " + p);
        }
        Assert.Empty(problems);

        // Stats add up.
        var done = Sum(stats["doneByOutcome"]);
        var skipped = Sum(stats["skippedByReason"]);
        var contacts = (long)stats["contacts"]!;
        Assert.Equal(Distinct, contacts);
        Assert.Equal(contacts, (long)stats["pending"]! + (long)stats["scheduled"]! + (long)stats["inProgress"]! + done + skipped);
        Assert.Equal(rows.Count, (long)stats["attempts"]!);
        Assert.Equal(DncCount, (long)stats["skippedByReason"]!["dnc_listed"]!);
        Assert.Equal(rows.Count(a => a.Outcome == CallOutcome.Answered || a.Outcome == CallOutcome.Voicemail), (long)stats["attemptsAnswered"]!);
        // Ended calls by outcome agree with each call's last attempt.
        var lastOutcomes = rows.GroupBy(a => a.CallId).Select(g => g.MaxBy(a => a.Number)!)
            .Where(a => a.Outcome is not null).ToList();
        foreach (var (outcome, count) in stats["doneByOutcome"]!.AsObject())
        {
            Assert.True(lastOutcomes.Count(a => a.Outcome!.Value.ToWire() == outcome) >= (long)count!, $"doneByOutcome.{outcome}={count} exceeds calls whose last attempt ended so");
        }

        // Progress: the week is long enough for every contact (3 attempts with cooldowns of at most 4 h, weekday windows),
        // so the campaign must have finished its work: every callable contact done. (The wall budget of 12 minutes is a
        // guard against a hang; on 2 cores the week takes about 3–4 minutes.)
        Assert.Equal(callable.Count, done);
        Assert.Equal("completed", (string?)stats["status"]);
        Assert.True(retried > 0, "no retries happened");
        output.WriteLine($"done: {done} of {callable.Count} callable contacts ({100.0 * done / callable.Count:F1}%)");
        output.WriteLine($"total wall time {wall.Elapsed:mm\\:ss}");
    }

    /// <summary>
    /// The i-th distinct number: area code by i % 10; per area code, pairs of consecutive rows share an exchange, one of
    /// the pair answered (suffix 5xxx) and the other one of the sandbox's failing suffixes, so every number is unique.
    /// Mix per 20 rows: 10 answered, 3 busy, 2 no answer, 2 voicemail, 1 rejected, 1 unreachable, 1 provider error.
    /// </summary>
    private static string NumberFor(int i)
    {
        var npa = AreaCodes[i % 10];
        var j = i / 10;
        var exchange = 200 + j / 2;
        var suffix = (j % 20) switch
        {
            1 or 7 or 13 => "0001",
            3 or 15 => "0002",
            5 or 17 => "0006",
            9 => "0003",
            11 => "0005",
            19 => "0007",
            _ => "5" + (j % 1000).ToString("D3", CultureInfo.InvariantCulture),
        };
        return $"+1{npa}{exchange}{suffix}";
    }

    /// <summary>Whether the campaign has a call due (UTC) at or before <paramref name="now"/> that is not dialed yet.</summary>
    private static bool DueNow(JsonObject stats, DateTimeOffset now) =>
        stats["nextScheduledDial"] is { } next && new DateTimeOffset(DateTime.SpecifyKind((DateTime)next, DateTimeKind.Utc)) <= now;

    private static long Sum(JsonNode? counts) => counts?.AsObject().Sum(kv => (long)kv.Value!) ?? 0;

    private static async Task<JsonObject> StatsAsync(HttpClient client, string id) =>
        (await client.GetFromJsonAsync<JsonObject>($"/v1/campaigns/{id}/stats"))!;

    private static async Task<JsonObject> WaitForImportAsync(HttpClient client, string location)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var import = (await client.GetFromJsonAsync<JsonObject>(location))!;
            if ((string?)import["status"] != "running")
            {
                return import;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("import never finished");
    }
}
