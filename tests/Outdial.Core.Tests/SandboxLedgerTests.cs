using Outdial.Telephony.Sandbox;

namespace Outdial.Core.Tests;

public sealed class SandboxLedgerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "outdial-ledger-tests-" + Guid.NewGuid().ToString("N"));

    private string LedgerPath => Path.Combine(_dir, "sandbox-ledger.jsonl");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
        GC.SuppressFinalize(this);
    }

    private static SandboxDial Dial(string sid, string attemptId, long atMs = 1_768_402_800_000) =>
        new(sid, attemptId, "+15551234567", "+15557654321", atMs, 25, 600);

    [Fact]
    public void Constructor_MissingDirectory_IsCreatedAndLedgerStartsEmpty()
    {
        var ledger = new SandboxLedger(LedgerPath);
        Assert.True(Directory.Exists(_dir));
        Assert.Empty(ledger.All());
        Assert.Null(ledger.Find("att_1", "SB1"));
    }

    [Fact]
    public void SharedByTwoNodes_EachFindsTheOthersDials_AndNeitherDialsAnAttemptTwice()
    {
        // Two ledgers open on one file, as two server processes sharing one sandbox "account".
        var a = new SandboxLedger(LedgerPath);
        var b = new SandboxLedger(LedgerPath);
        a.RecordDial(Dial("SB1", "att_1"));
        Assert.Equal("SB1", b.Find("att_1", null)?.CallSid);
        Assert.Equal("SB1", b.RecordDial(Dial("SB2", "att_1")).CallSid); // b learns a dialed it: no second dial
        Parallel.For(0, 40, i => (i % 2 == 0 ? a : b).RecordDial(Dial($"SBx{i}", $"att_x{i / 2}")));
        Assert.True(b.RecordHangUp("SB1", 1_768_402_900_000));
        Assert.False(a.RecordHangUp("SB1", 1_768_402_901_000)); // a reads b's hang-up before writing its own

        var lines = File.ReadAllLines(LedgerPath);
        Assert.Equal(1 + 20 + 1, lines.Length); // every line whole: the appends did not interleave
        Assert.Equal(21, new SandboxLedger(LedgerPath).All().Count);
    }

    [Fact]
    public void RecordDial_ThenReopen_FindsItByAttemptIdAndByCallSid()
    {
        var dial = Dial("SB1", "att_1");
        new SandboxLedger(LedgerPath).RecordDial(dial);

        var reopened = new SandboxLedger(LedgerPath);

        Assert.Equal(dial, reopened.Find("att_1", null));
        Assert.Equal(dial, reopened.Find("", "SB1"));
        Assert.Equal(dial, Assert.Single(reopened.All()));
    }

    [Fact]
    public void Find_UnknownSid_FallsBackToAttemptId()
    {
        var ledger = new SandboxLedger(LedgerPath);
        ledger.RecordDial(Dial("SB1", "att_1"));
        Assert.Equal("SB1", ledger.Find("att_1", "SB-unknown")?.CallSid);
        Assert.Null(ledger.Find("att_2", "SB-unknown"));
    }

    [Fact]
    public void RecordDial_SameAttemptTwice_ReturnsFirstRecordAndWritesOneLine()
    {
        var ledger = new SandboxLedger(LedgerPath);
        var first = Dial("SB1", "att_1");

        Assert.Same(first, ledger.RecordDial(first));
        var second = ledger.RecordDial(Dial("SB2", "att_1", 1_768_402_900_000));

        Assert.Same(first, second);
        Assert.Single(File.ReadAllLines(LedgerPath));
        Assert.Null(ledger.Find("", "SB2"));
        Assert.Null(new SandboxLedger(LedgerPath).Find("", "SB2"));
    }

    [Fact]
    public void RecordDial_SameAttemptAfterReopen_ReturnsTheRecordedDial()
    {
        new SandboxLedger(LedgerPath).RecordDial(Dial("SB1", "att_1"));

        var again = new SandboxLedger(LedgerPath).RecordDial(Dial("SB2", "att_1"));

        Assert.Equal("SB1", again.CallSid);
        Assert.Single(File.ReadAllLines(LedgerPath));
    }

    [Fact]
    public void Load_TornLastLine_IsSkipped()
    {
        var ledger = new SandboxLedger(LedgerPath);
        ledger.RecordDial(Dial("SB1", "att_1"));
        File.AppendAllText(LedgerPath, "{\"type\":\"dial\",\"callSid\":\"SB2\",\"attemptId\":\"att_2\",\"to\":\"+1555");

        var reopened = new SandboxLedger(LedgerPath);

        Assert.Equal("SB1", Assert.Single(reopened.All()).CallSid);
        Assert.Null(reopened.Find("att_2", "SB2"));
    }

    [Fact]
    public void RecordDial_AfterTornLastLine_SurvivesTheNextReload()
    {
        new SandboxLedger(LedgerPath).RecordDial(Dial("SB1", "att_1"));
        File.AppendAllText(LedgerPath, "{\"type\":\"dial\",\"callSid\":\"SBx"); // crash mid-write

        new SandboxLedger(LedgerPath).RecordDial(Dial("SB2", "att_2")); // restart, then a new dial

        var reopened = new SandboxLedger(LedgerPath);
        Assert.Equal("SB2", reopened.Find("att_2", null)?.CallSid);
        Assert.Equal(2, reopened.All().Count);
    }

    [Fact]
    public void RecordHangUp_OnceTrueTwiceFalse()
    {
        var ledger = new SandboxLedger(LedgerPath);
        var dial = ledger.RecordDial(Dial("SB1", "att_1"));

        Assert.True(ledger.RecordHangUp("SB1", 1_768_402_805_000));
        Assert.Equal(1_768_402_805_000, dial.HungUpAtMs);
        Assert.False(ledger.RecordHangUp("SB1", 1_768_402_806_000));
        Assert.Equal(1_768_402_805_000, dial.HungUpAtMs);
        Assert.Equal(2, File.ReadAllLines(LedgerPath).Length);
    }

    [Fact]
    public void RecordHangUp_UnknownCall_ReturnsFalseAndWritesNothing()
    {
        var ledger = new SandboxLedger(LedgerPath);
        Assert.False(ledger.RecordHangUp("SB-nope", 1));
        Assert.False(File.Exists(LedgerPath));
    }

    [Fact]
    public void RecordHangUp_SurvivesReopen()
    {
        var ledger = new SandboxLedger(LedgerPath);
        ledger.RecordDial(Dial("SB1", "att_1"));
        ledger.RecordHangUp("SB1", 1_768_402_805_000);

        var reopened = new SandboxLedger(LedgerPath);

        Assert.Equal(1_768_402_805_000, reopened.Find("att_1", "SB1")!.HungUpAtMs);
        Assert.False(reopened.RecordHangUp("SB1", 1_768_402_806_000));
    }
}
