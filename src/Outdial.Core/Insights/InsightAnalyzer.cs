using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Conversation;
using Outdial.Core.Storage;

namespace Outdial.Core.Insights;

/// <summary>A run of an analysis failed in a way worth retrying (the model was unreachable, slow, or answered invalidly twice). Its message holds no call content.</summary>
public sealed class InsightAnalysisException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Answers a call's insight questions from its transcript (ARCHITECTURE §3.4). No conversation with a person (voicemail, no
/// answer, busy, …) → every question <c>not_connected</c>, without asking the model. With a model configured: one request for
/// structured output matching <see cref="InsightSchema"/>, validated, with one repair request when invalid; every evidence
/// quote must occur verbatim in the turn it cites, or it is dropped — and an answered question left without evidence has its
/// confidence capped at <see cref="UnverifiedConfidenceCap"/> (<c>note: evidence_unverified</c>). Without a model: the rule-based
/// <see cref="ScriptedExtraction"/> (<c>method: scripted</c>).
/// </summary>
public sealed class InsightAnalyzer(ICallStore calls, ITranscriptStore transcripts, LanguageModels models, IOptions<LlmOptions> llm, TimeProvider clock)
{
    /// <summary>The highest confidence of an answer whose evidence could not be verified.</summary>
    public const double UnverifiedConfidenceCap = 0.3;

    private const string Instructions =
        "You analyse the transcript of a phone call placed by an AI agent and answer questions about it using only what was said. " +
        "For each question give status \"answered\" with the answer in the requested type, or \"not_discussed\" with answer null when the " +
        "transcript does not answer it. Give a confidence from 0 to 1. Support every answer with evidence: the number of the turn and a quote " +
        "copied exactly, character for character, from that turn's text. Write a summary of the call in at most three sentences. " +
        "Set success to true or false by the success criteria, or null when there are none. Reply with JSON only.";

    /// <summary>
    /// Runs <paramref name="analysis"/> and returns it completed (answers, summary, success, tokens, completion time).
    /// </summary>
    /// <exception cref="InsightAnalysisException">The model failed or answered invalidly twice: retry later.</exception>
    /// <exception cref="InvalidOperationException">The analysis names a call that does not exist.</exception>
    public async Task<InsightAnalysis> AnalyzeAsync(InsightAnalysis analysis, CancellationToken ct)
    {
        var call = await calls.GetCallByIdAsync(analysis.CallId, ct) ?? throw new InvalidOperationException($"analysis {analysis.Id} names no call");
        var attempts = await calls.ListAttemptsAsync(call.Id, ct);
        var turns = await transcripts.ListTurnsAsync(call.Id, ct);
        var judged = analysis.SuccessCriteria.Length > 0;
        if (!attempts.Any(a => a.Outcome == CallOutcome.Answered))
        {
            return Done(analysis, "not_connected", null,
                [.. analysis.Questions.Select(q => new InsightAnswer(q.Key, q.Question, q.Type, null, InsightAnswerStatus.NotConnected, 1, []))],
                $"No conversation took place: the call ended {(call.Outcome ?? CallOutcome.Error).ToWire()}.", judged ? false : null);
        }
        if (!models.Configured)
        {
            var answers = ScriptedExtraction.Extract(analysis.Questions, turns);
            var optedOut = attempts.Any(a => a.Conversation?.OptedOut == true);
            return Done(analysis, "scripted", ScriptedAgent.ModelName, answers,
                $"Scripted conversation (no model configured): {answers.Count(a => a.Status == InsightAnswerStatus.Answered)} of {answers.Count} questions answered."
                + (optedOut ? " The callee asked not to be called again." : ""), null);
        }
        return await WithModelAsync(analysis, turns, judged, ct);
    }

    private async Task<InsightAnalysis> WithModelAsync(InsightAnalysis analysis, IReadOnlyList<TranscriptTurn> turns, bool judged, CancellationToken ct)
    {
        var schema = InsightSchema.For(analysis.Questions);
        var model = models.AnalysisModel;
        var options = new ChatOptions
        {
            ModelId = model,
            Temperature = 0,
            ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonSerializer.SerializeToElement(schema), "call_insights",
                "Typed answers to the call's insight questions with verbatim evidence, a summary and success."),
        };
        List<ChatMessage> messages = [new(ChatRole.System, Instructions), new(ChatRole.User, Prompt(analysis, turns))];
        long promptTokens = 0, completionTokens = 0;
        IReadOnlyList<string> errors = [];
        for (var round = 0; round < 2; round++)
        {
            ChatResponse response;
            using (var timeout = new CancellationTokenSource(llm.Value.AnalysisTimeout, clock))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token))
            {
                try
                {
                    response = await models.For(model).GetResponseAsync(messages, options, linked.Token);
                }
                catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    throw new InsightAnalysisException($"the model did not answer within {llm.Value.AnalysisTimeout.TotalSeconds:0} s", e);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    throw new InsightAnalysisException($"the model request failed ({e.GetType().Name})", e);
                }
            }
            promptTokens += response.Usage?.InputTokenCount ?? 0;
            completionTokens += response.Usage?.OutputTokenCount ?? 0;
            var text = response.Text;
            errors = await InsightSchema.ValidateAsync(text, schema, analysis.Questions);
            if (errors.Count == 0)
            {
                var root = JsonNode.Parse(text)!.AsObject();
                var answers = analysis.Questions.Select(q => Verified(q, root["answers"]![q.Key]!.AsObject(), turns)).ToList();
                return Done(analysis, "llm", model, answers, (string?)root["summary"] ?? "", judged ? (bool?)root["success"] : null) with
                {
                    PromptTokens = analysis.PromptTokens + promptTokens,
                    CompletionTokens = analysis.CompletionTokens + completionTokens,
                };
            }
            // One repair request: the model sees its answer and what was wrong with it.
            messages.AddRange(response.Messages);
            messages.Add(new ChatMessage(ChatRole.User,
                "That JSON does not match the schema: " + string.Join("; ", errors.Take(10)) + ". Reply again with only the corrected JSON."));
        }
        throw new InsightAnalysisException($"the model's answer did not match the schema twice ({errors.Count} problems, first: {errors[0]})");
    }

    /// <summary>The answer to <paramref name="q"/> with only evidence that occurs verbatim in its turn; downgraded when none is left.</summary>
    private static InsightAnswer Verified(InsightQuestion q, JsonObject a, IReadOnlyList<TranscriptTurn> turns)
    {
        var answered = (string?)a["status"] == "answered";
        var confidence = Math.Clamp((double)a["confidence"]!, 0, 1);
        var evidence = new List<InsightEvidence>();
        foreach (var item in a["evidence"]!.AsArray())
        {
            var index = (int)item!["turn"]!;
            var quote = ((string?)item["quote"] ?? "").Trim();
            if (quote.Length > 0 && turns.FirstOrDefault(t => t.Index == index) is { } turn && turn.Text.Contains(quote, StringComparison.Ordinal))
            {
                evidence.Add(new InsightEvidence(index, quote));
            }
        }
        if (!answered)
        {
            return new InsightAnswer(q.Key, q.Question, q.Type, null, InsightAnswerStatus.NotDiscussed, confidence, evidence);
        }
        var answer = new InsightAnswer(q.Key, q.Question, q.Type, a["answer"]?.DeepClone(), InsightAnswerStatus.Answered, confidence, evidence);
        return evidence.Count > 0 ? answer : answer with { Confidence = Math.Min(confidence, UnverifiedConfidenceCap), Note = "evidence_unverified" };
    }

    private InsightAnalysis Done(InsightAnalysis analysis, string method, string? model, IReadOnlyList<InsightAnswer> answers, string summary, bool? success)
    {
        var now = clock.GetUtcNow();
        return analysis with
        {
            Status = AnalysisStatus.Completed,
            Method = method,
            Model = model,
            Answers = answers,
            Summary = summary,
            Success = success,
            LastError = null,
            UpdatedAt = now,
            CompletedAt = now,
        };
    }

    /// <summary>The questions, the success criteria and the numbered transcript, as the model reads them.</summary>
    private static string Prompt(InsightAnalysis analysis, IReadOnlyList<TranscriptTurn> turns)
    {
        var text = new StringBuilder("Questions (key, type: question):\n");
        foreach (var q in analysis.Questions)
        {
            text.Append("- ").Append(q.Key).Append(", ").Append(WireNames.Of(q.Type));
            if (q.Choices is { } choices)
            {
                text.Append(" (one of: ").Append(string.Join(" | ", choices)).Append(')');
            }
            text.Append(": ").Append(q.Question).Append('\n');
        }
        text.Append("\nSuccess criteria: ").Append(analysis.SuccessCriteria.Length > 0 ? analysis.SuccessCriteria : "(none)").Append('\n');
        text.Append("\nTranscript (turn number, speaker, text):\n");
        foreach (var turn in turns)
        {
            text.Append('[').Append(turn.Index.ToString(CultureInfo.InvariantCulture)).Append("] ")
                .Append(turn.Speaker == TranscriptSpeaker.Agent ? "Agent" : "Callee").Append(": ").Append(turn.Text);
            if (turn.Dtmf is { } digits)
            {
                text.Append(turn.Speaker == TranscriptSpeaker.Agent ? " (sent keys " : " (pressed keys ").Append(digits).Append(')');
            }
            if (turn.Interrupted)
            {
                text.Append(" (interrupted)");
            }
            text.Append('\n');
        }
        return text.ToString();
    }
}
