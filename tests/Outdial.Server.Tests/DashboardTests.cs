using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// A browser and its pages, with every console error and uncaught page error collected. Chromium is Debian's
/// (<c>/usr/bin/chromium</c>, or env <c>OUTDIAL_CHROMIUM</c>), which <c>.ci/run</c> installs; Playwright cannot download one here.
/// </summary>
public sealed class TestBrowser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private TestBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>Console messages of type error and uncaught exceptions of every page opened, as "page: text".</summary>
    public List<string> Errors { get; } = [];

    public static async Task<TestBrowser> LaunchAsync()
    {
        var path = Environment.GetEnvironmentVariable("OUTDIAL_CHROMIUM") ?? "/usr/bin/chromium";
        Assert.True(File.Exists(path), $"Chromium not found at {path}: install Debian's chromium (apt-get install -y --no-install-recommends chromium), as .ci/run does");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = path, Args = ["--no-sandbox"], Headless = true });
        return new TestBrowser(playwright, browser);
    }

    public async Task<IPage> NewPageAsync(Uri baseAddress)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (Errors) Errors.Add($"{page.Url}: {message.Text}");
            }
        };
        page.PageError += (_, error) =>
        {
            lock (Errors) Errors.Add($"{page.Url}: {error}");
        };
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}

/// <summary>
/// The dashboard at <c>/</c> (issue 19) in a real browser: sign-in, live call updates over Server-Sent Events, a call's
/// detail with its evidence highlighted, every page reachable by keyboard, no console errors. Screenshots of each page go
/// to <c>artifacts/dashboard-screenshots/</c> in the repository (env <c>OUTDIAL_SCREENSHOTS</c> to change), which CI keeps.
/// </summary>
public sealed class DashboardTests
{
    private static readonly string Screenshots = Environment.GetEnvironmentVariable("OUTDIAL_SCREENSHOTS") ?? Path.Combine(RepositoryRoot(), "artifacts", "dashboard-screenshots");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Outdial.slnx")))
            {
                return dir.FullName;
            }
        }
        return Path.GetTempPath();
    }

    private static async Task ShotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
    }

    private static async Task SignInAsync(IPage page, string key)
    {
        await page.GotoAsync("/");
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Calls", Exact = true })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task SignIn_LiveCallsList_AndTheCallsDetail_WithItsEvidenceHighlighted()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Sandbox:SpeedFactor"] = "10" });
        await using var browser = await TestBrowser.LaunchAsync();
        var page = await browser.NewPageAsync(host.BaseAddress);

        // The page itself needs no key; a wrong key is refused with the server's reason.
        var index = await host.NewClient(null).GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Contains("default-src 'self'", index.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        await page.GotoAsync("/");
        await ShotAsync(page, "01-sign-in");
        await page.GetByLabel("API key").FillAsync("od_live_notarealkeynotarealkeynotreal");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("refused");
        browser.Errors.Clear(); // the browser logs the refused request (401) itself

        await SignInAsync(page, OutdialHost.BootstrapKey);
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("● Live");
        // A call placed through the API appears without a reload and moves to ended, live.
        var created = await (await host.Client.PostCallAsync(Calls.Body("+12125550123", b =>
        {
            b["insightQuestions"] = new JsonArray("Is now a good time?");
            b["sandbox"] = new JsonObject { ["replies"] = new JsonArray("Hi.", "Yes, it is a good time.") };
        }))).JsonAsync();
        var id = (string)created["id"]!;
        var row = page.Locator($"tr[data-call='{id}']");
        await Assertions.Expect(row).ToBeVisibleAsync();
        await Assertions.Expect(row.Locator(".status")).ToHaveTextAsync("ended", new() { Timeout = 30_000 });
        await Assertions.Expect(row.Locator(".outcome")).ToHaveTextAsync("answered");
        await ShotAsync(page, "02-calls");

        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Timeline" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".timeline")).ToContainTextAsync("call.ended");
        await Assertions.Expect(page.Locator(".timeline")).ToContainTextAsync("fictional_test_number");
        // The insights arrive a moment after the end: the open page follows the stream and shows them, evidence marked.
        await Assertions.Expect(page.Locator(".transcript mark")).ToHaveTextAsync("Yes, it is a good time.", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = "Is now a good time?" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("table").Nth(0)).ToContainTextAsync("200"); // the attempt's SIP code
        await ShotAsync(page, "03-call-detail");
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task EveryPage_Loads_WorksItsForms_AndIsReachableByKeyboard_WithNoConsoleError()
    {
        await using var host = await OutdialHost.StartAsync();
        await using var browser = await TestBrowser.LaunchAsync();
        var page = await browser.NewPageAsync(host.BaseAddress);
        await SignInAsync(page, OutdialHost.BootstrapKey);

        // Keyboard: the first Tab reaches the skip link, and the main navigation follows; Enter opens a page.
        await page.GotoAsync("/#/calls");
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Calls", Exact = true })).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Skip to content", await page.EvaluateAsync<string>("document.activeElement.textContent"));
        for (var i = 0; i < 10 && await page.EvaluateAsync<string>("document.activeElement.textContent") != "Campaigns"; i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Campaigns", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("nav a[aria-current='page']")).ToHaveTextAsync("Campaigns");

        // Campaigns: create one with a calling window, then its page with stats and actions.
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Spring recall");
        await page.GetByLabel("Time zone").FillAsync("America/New_York");
        await page.GetByLabel("sat").CheckAsync();
        await ShotAsync(page, "04-campaigns");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create campaign" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Spring recall" })).ToBeVisibleAsync();
        var campaigns = (await host.Client.GetFromJsonAsync<JsonObject>("/v1/campaigns"))!["data"]!.AsArray();
        var window = campaigns.Single(c => (string?)c!["name"] == "Spring recall")!["callingWindow"]!;
        Assert.Equal("America/New_York", (string?)window["timeZone"]);
        Assert.Contains("sat", window["days"]!.AsArray().Select(d => (string?)d));
        await page.GetByRole(AriaRole.Button, new() { Name = "Activate" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Pause" })).ToBeVisibleAsync();
        await ShotAsync(page, "05-campaign");
        // Edit it: the form shows its settings; a new pace is saved as a merge patch.
        Assert.Equal("America/New_York", await page.GetByLabel("Time zone").InputValueAsync());
        await page.GetByLabel("Calls per second").FillAsync("2.5");
        var patch = await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Save campaign" }).ClickAsync(),
            r => r.Request.Method == "PATCH" && r.Url.Contains("/v1/campaigns/", StringComparison.Ordinal));
        Assert.Equal(200, patch.Status);
        await Assertions.Expect(page.GetByLabel("Calls per second")).ToHaveValueAsync("2.5");
        var spring = (string)campaigns.Single(c => (string?)c!["name"] == "Spring recall")!["id"]!;
        Assert.Equal(2.5, (double)(await host.Client.GetFromJsonAsync<JsonObject>($"/v1/campaigns/{spring}"))!["pacing"]!["callsPerSecond"]!);

        // Contact import with its progress, then the campaign's charts once its calls ended (a campaign without a calling window).
        var quick = await (await host.Client.PostAsJsonAsync("/v1/campaigns", new { name = "Quick list" })).JsonAsync();
        Assert.Equal(HttpStatusCode.OK, (await host.Client.PostAsync($"/v1/campaigns/{quick["id"]}/activate", null)).StatusCode);
        await page.GotoAsync($"/#/campaigns/{quick["id"]}");
        // A hash change renders the new page a moment later: wait for it, or the old page's form would get the file.
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Quick list" })).ToBeVisibleAsync();
        var csv = "phone,firstName\n+12125550131,Ada\n+12125550132,Grace\n+12125550133,Edsger\nnot-a-number,Bad\n";
        await page.GetByLabel("Contacts (CSV").SetInputFilesAsync(new FilePayload { Name = "contacts.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes(csv) });
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Assertions.Expect(page.GetByText("3 accepted, 1 invalid")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        for (var i = 0; i < 300; i++)
        {
            var stats = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/campaigns/{quick["id"]}/stats"))!;
            if (stats["doneByOutcome"]!.AsObject().Sum(o => (int)o.Value!) == 3)
            {
                break;
            }
            await Task.Delay(100);
        }
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("figure.chart .uplot")).ToHaveCountAsync(2);
        await ShotAsync(page, "05b-campaign-progress");

        // Do not call: add, then check.
        await page.GotoAsync("/#/dnc");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Do not call" })).ToBeVisibleAsync();
        await page.GetByLabel("Number", new() { Exact = true }).FillAsync("+12125550177");
        await page.GetByLabel("Reason", new() { Exact = true }).FillAsync("asked on the phone");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = "asked on the phone" })).ToBeVisibleAsync();
        await page.GetByLabel("Search / check numbers").FillAsync("+12125550177 +12125550178");
        await page.GetByRole(AriaRole.Button, new() { Name = "Check" }).ClickAsync();
        await Assertions.Expect(page.GetByText("+12125550178: not listed")).ToBeVisibleAsync();
        await ShotAsync(page, "06-dnc");

        // Agents: the prompt editor lists the variables the prompt uses.
        await page.GotoAsync("/#/agents");
        await page.GetByRole(AriaRole.Link, new() { Name = "Default agent" }).ClickAsync();
        await Assertions.Expect(page.Locator(".vars")).ToContainTextAsync("{firstName}");
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Prompt", Exact = true }).FillAsync("Call {firstName} about {appointmentDate}.");
        await Assertions.Expect(page.Locator(".vars")).ToContainTextAsync("{appointmentDate}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Saved.")).ToBeVisibleAsync();
        await ShotAsync(page, "07-agent");

        foreach (var (path, heading, shot) in new[] { ("/#/numbers", "Phone numbers", "08-numbers"), ("/#/webhooks", "Webhooks", "09-webhooks"), ("/#/keys", "API keys", "10-keys") })
        {
            await page.GotoAsync(path);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Exact = true })).ToBeVisibleAsync();
            await ShotAsync(page, shot);
        }
        // API keys: a new key is shown once.
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("from the dashboard");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await Assertions.Expect(page.GetByText("New key (shown once")).ToBeVisibleAsync();

        // A page that fails shows the server's problem, not a blank page.
        await page.GotoAsync("/#/calls/call_doesnotexist");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not found", new() { IgnoreCase = true });
        // The one expected failure: the unknown call answered 404 (the browser logs the failed request).
        Assert.DoesNotContain(browser.Errors, e => !e.Contains("404", StringComparison.Ordinal));
    }

    /// <summary>Lists longer than a page (100) show the newest page and load older pages on request, until there are no more.</summary>
    [Fact]
    public async Task LongLists_LoadOlderPagesOnRequest_UntilTheLast()
    {
        await using var host = await OutdialHost.StartAsync();
        await using var browser = await TestBrowser.LaunchAsync();
        var page = await browser.NewPageAsync(host.BaseAddress);
        var first = (string)(await (await host.Client.PostCallAsync(Calls.Body(Numbers.Next()))).JsonAsync())["id"]!;
        for (var i = 1; i < 103; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await host.Client.PostCallAsync(Calls.Body(Numbers.Next()))).StatusCode);
        }
        var entries = new JsonArray([.. Enumerable.Range(0, 101).Select(i => (JsonNode)new JsonObject { ["number"] = $"+1212555{i:D4}" })]);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.PostAsJsonAsync("/v1/dnc/bulk", new JsonObject { ["entries"] = entries })).StatusCode);
        await SignInAsync(page, OutdialHost.BootstrapKey);

        await Assertions.Expect(page.Locator("caption")).ToHaveTextAsync("100 calls, newest first; live");
        await Assertions.Expect(page.Locator($"tr[data-call='{first}']")).ToHaveCountAsync(0);
        var older = page.GetByRole(AriaRole.Button, new() { Name = "Load older calls" });
        await older.ClickAsync();
        await Assertions.Expect(page.Locator("caption")).ToHaveTextAsync("103 calls, newest first; live");
        await Assertions.Expect(page.Locator($"tr[data-call='{first}']")).ToBeVisibleAsync();
        await Assertions.Expect(older).ToBeHiddenAsync();

        await page.GotoAsync("/#/dnc");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Do not call" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("tbody tr")).ToHaveCountAsync(100);
        var more = page.GetByRole(AriaRole.Button, new() { Name = "Load more numbers" });
        await more.ClickAsync();
        await Assertions.Expect(page.Locator("tbody tr")).ToHaveCountAsync(101);
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = "+12125550100" })).ToBeVisibleAsync();
        await Assertions.Expect(more).ToBeHiddenAsync();

        // A list that fits one page offers nothing more.
        await page.GotoAsync("/#/campaigns");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Campaigns", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Load older campaigns" })).ToBeHiddenAsync();
        Assert.Empty(browser.Errors);
    }

    /// <summary>
    /// The operator key signs in to the Accounts page alone: create an account (its first API key shown once), disable it
    /// (its key refused at once), enable it again; that account's key then signs in to the account's own pages.
    /// </summary>
    [Fact]
    public async Task OperatorKey_ManagesAccounts_WhoseKeySignsInToTheirOwnPages()
    {
        const string operatorKey = "od_admin_dashboardoperatorkey0001";
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Admin:ApiKey"] = operatorKey });
        await using var browser = await TestBrowser.LaunchAsync();
        var page = await browser.NewPageAsync(host.BaseAddress);
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync(); // "Disable …?"
        await page.GotoAsync("/");
        await page.GetByLabel("API key").FillAsync(operatorKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Accounts", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Accounts" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Calls" })).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("tbody tr")).ToHaveCountAsync(1); // the bootstrap account

        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Acme Dental");
        await page.GetByLabel("Caller ID (optional)").FillAsync("+15550000177");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        var key = page.Locator("[role=status] code");
        await Assertions.Expect(key).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^od_live_"));
        var apiKey = await key.TextContentAsync();
        var acme = page.Locator("tbody tr", new() { HasText = "Acme Dental" });
        await Assertions.Expect(acme.Locator(".state")).ToHaveTextAsync("enabled");
        await ShotAsync(page, "11-accounts");
        Assert.Equal(HttpStatusCode.OK, (await host.NewClient(apiKey).GetAsync("/v1/account")).StatusCode);

        await acme.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await Assertions.Expect(acme.Locator(".state")).ToHaveTextAsync("disabled");
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.NewClient(apiKey).GetAsync("/v1/account")).StatusCode);
        await acme.GetByRole(AriaRole.Button, new() { Name = "Enable" }).ClickAsync();
        await Assertions.Expect(acme.Locator(".state")).ToHaveTextAsync("enabled");
        Assert.Equal(HttpStatusCode.OK, (await host.NewClient(apiKey).GetAsync("/v1/account")).StatusCode);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await SignInAsync(page, apiKey!);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Accounts" })).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("● Live");
        Assert.Empty(browser.Errors);
    }
}
