using Outdial.Core.Calls;
using Outdial.Core.Conversation;
using Xunit;
using static Outdial.Storage.Tests.TestData;

namespace Outdial.Storage.Tests;

/// <summary>Transcripts every storage engine must keep: turns written one by one, rewritten by index, read in index order.</summary>
public abstract class TranscriptStoreContract<TEngine> : IAsyncLifetime where TEngine : IStoreEngine, new()
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    protected TEngine Engine { get; } = new();

    public Task InitializeAsync() => Engine.InitializeAsync();

    public async Task DisposeAsync() => await Engine.DisposeAsync();

    private async Task<Call> CallAsync(string to = "+15551230000")
    {
        var t = NewTenant();
        await Engine.Accounts.CreateAccountAsync(t.Account, t.Agent, t.Number, t.Key, Ct);
        var call = NewCall(t, to: to);
        await Engine.CreateCallAsync(Write(call), Ct);
        return call;
    }

    private static TranscriptTurn Turn(int index, TranscriptSpeaker speaker, string text, int attempt = 1) => new()
    {
        Index = index,
        Attempt = attempt,
        Speaker = speaker,
        Text = text,
        StartMs = index * 1000L,
        EndMs = index * 1000L + 800,
    };

    [Fact]
    public async Task Turns_RoundTripEveryField_InIndexOrder_AndSurviveReopen()
    {
        var call = await CallAsync();
        TranscriptTurn[] turns =
        [
            Turn(0, TranscriptSpeaker.Agent, "Hi, this is Ava, an AI assistant calling for Acme. This call is recorded.") with
            {
                Disclosures = [Disclosure.Identity, Disclosure.ArtificialVoice, Disclosure.Recording],
            },
            Turn(1, TranscriptSpeaker.Callee, "") with { Dtmf = "1" },
            Turn(2, TranscriptSpeaker.Agent, "Great, you can reach us at") with
            {
                Interrupted = true,
                Disclosures = [Disclosure.CallbackNumber],
                StartMs = 3_250,
                EndMs = 4_900,
            },
            Turn(3, TranscriptSpeaker.Agent, "", attempt: 2) with { Dtmf = "12#" },
        ];
        // Written out of order: the list follows the index, not the write order.
        foreach (var i in new[] { 2, 0, 3, 1 })
        {
            await Engine.Transcripts.SaveTurnAsync(call.Id, turns[i], Ct);
        }
        await Engine.ReopenAsync();

        var read = await Engine.Transcripts.ListTurnsAsync(call.Id, Ct);
        Assert.Equal([0, 1, 2, 3], read.Select(t => t.Index));
        Assert.Equivalent(turns, read, strict: true);
        Assert.Equal(4, await Engine.Transcripts.CountTurnsAsync(call.Id, Ct));
    }

    [Fact]
    public async Task SaveTurn_WithAStoredIndex_ReplacesThatTurn()
    {
        var call = await CallAsync();
        await Engine.Transcripts.SaveTurnAsync(call.Id, Turn(0, TranscriptSpeaker.Agent, "Hello!"), Ct);
        await Engine.Transcripts.SaveTurnAsync(call.Id, Turn(1, TranscriptSpeaker.Agent, "Would you like to book a demo for next week?"), Ct);
        // The callee barged in: the turn is rewritten with what was heard.
        var heard = Turn(1, TranscriptSpeaker.Agent, "Would you like to book") with { Interrupted = true, EndMs = 1_400 };
        await Engine.Transcripts.SaveTurnAsync(call.Id, heard, Ct);

        var read = await Engine.Transcripts.ListTurnsAsync(call.Id, Ct);
        Assert.Equal(["Hello!", "Would you like to book"], read.Select(t => t.Text));
        Assert.True(read[1].Interrupted);
        Assert.Equal(1_400, read[1].EndMs);
        Assert.Equal(2, await Engine.Transcripts.CountTurnsAsync(call.Id, Ct));
    }

    [Fact]
    public async Task TurnsAndCount_ArePerCall_EmptyWithoutTurns()
    {
        var a = await CallAsync("+15551230001");
        var b = await CallAsync("+15551230002");
        var silent = await CallAsync("+15551230003");
        for (var i = 0; i < 3; i++)
        {
            await Engine.Transcripts.SaveTurnAsync(a.Id, Turn(i, i % 2 == 0 ? TranscriptSpeaker.Agent : TranscriptSpeaker.Callee, $"a{i}"), Ct);
        }
        await Engine.Transcripts.SaveTurnAsync(b.Id, Turn(0, TranscriptSpeaker.Agent, "b0"), Ct);

        Assert.Equal(3, await Engine.Transcripts.CountTurnsAsync(a.Id, Ct));
        Assert.Equal(1, await Engine.Transcripts.CountTurnsAsync(b.Id, Ct));
        Assert.Equal(0, await Engine.Transcripts.CountTurnsAsync(silent.Id, Ct));
        Assert.Equal(["a0", "a1", "a2"], (await Engine.Transcripts.ListTurnsAsync(a.Id, Ct)).Select(t => t.Text));
        Assert.Equal(["b0"], (await Engine.Transcripts.ListTurnsAsync(b.Id, Ct)).Select(t => t.Text));
        Assert.Empty(await Engine.Transcripts.ListTurnsAsync(silent.Id, Ct));
    }
}

public sealed class SqliteTranscriptStoreContract : TranscriptStoreContract<SqliteEngine>;

/// <summary>The contract on PostgreSQL.</summary>
public sealed class PostgresTranscriptStoreContract : TranscriptStoreContract<PostgresEngine>;
