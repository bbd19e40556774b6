using System.Diagnostics;
using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Outdial.Tests.Shared;

/// <summary>
/// One chat completion request as it arrived. <paramref name="Raw"/> is the whole JSON body; the other members are views of
/// it (treat them as read-only). <paramref name="Stream"/> is false when the body has no <c>stream</c> (the official SDK
/// leaves it out of non-streaming requests). <paramref name="Authorization"/> is the header as sent (<c>Bearer sk-…</c>), or null.
/// </summary>
public sealed record FakeRequest(
    string Model, bool Stream, JsonArray Messages, JsonArray? Tools, JsonObject? ResponseFormat, double? Temperature,
    JsonObject Raw, string? Authorization)
{
    /// <summary>Whether the body asks for the final usage chunk (<c>stream_options.include_usage</c>).</summary>
    public bool IncludeUsage => Raw["stream_options"]?["include_usage"]?.GetValueKind() == JsonValueKind.True;

    /// <summary>Text of the last <c>user</c> message (a string content, or its <c>text</c> parts joined), or null if none.</summary>
    public string? LastUserText =>
        Messages.LastOrDefault(m => (string?)m?["role"] == "user")?["content"] switch
        {
            JsonValue value when value.GetValueKind() == JsonValueKind.String => (string?)value,
            JsonArray parts => string.Concat(parts.Select(p => (string?)p?["text"])),
            _ => null,
        };
}

/// <summary>
/// What <see cref="FakeOpenAi"/> answers to one request. Content replies carry token counts for the <c>usage</c> object
/// (<see cref="PromptTokens"/>, <see cref="CompletionTokens"/>; change them with <c>with { … }</c>).
/// </summary>
public abstract record FakeReply
{
    private protected FakeReply()
    {
    }

    /// <summary><c>usage.prompt_tokens</c> of the answer (default 10).</summary>
    public int PromptTokens { get; init; } = 10;

    /// <summary><c>usage.completion_tokens</c> of the answer (default 5).</summary>
    public int CompletionTokens { get; init; } = 5;

    /// <summary>
    /// A text answer (<c>finish_reason</c> <c>stop</c>). Streamed as one chunk per word, split after each space
    /// (<c>"Hello there friend"</c> is three chunks); whole when not streamed.
    /// </summary>
    public static FakeReply Text(string text, int promptTokens = 10, int completionTokens = 5) =>
        new Answer(SplitAfterSpaces(text), [], int.MaxValue, null) { PromptTokens = promptTokens, CompletionTokens = completionTokens };

    /// <summary>
    /// Tool calls (<c>finish_reason</c> <c>tool_calls</c>), optionally after some text. Streamed as OpenAI does: per call
    /// one chunk with <c>index</c>, <c>id</c>, <c>type</c> and <c>function.name</c> (empty arguments), then the arguments JSON
    /// in three pieces.
    /// </summary>
    public static FakeReply ToolCalls(string? leadingText, params (string Name, string ArgumentsJson)[] calls) =>
        new Answer(
            leadingText is null ? [] : SplitAfterSpaces(leadingText),
            [.. calls.Select(c => new FakeToolCall($"call_{Guid.NewGuid():N}"[..29], c.Name, c.ArgumentsJson))],
            int.MaxValue, null);

    /// <summary>A JSON document as the message content (for <c>response_format</c> requests); streamed in three pieces.</summary>
    public static FakeReply Json(string json) => new Answer(SplitEvenly(json, 3), [], int.MaxValue, null);

    /// <summary>
    /// An HTTP error with OpenAI's body <c>{"error":{"message","type","param","code"}}</c>. <paramref name="type"/> defaults
    /// by status: <c>invalid_request_error</c> (4xx), <c>authentication_error</c> (401), <c>rate_limit_error</c> (429),
    /// <c>server_error</c> (5xx).
    /// </summary>
    public static FakeReply Error(int status, string message, string? type = null, string? code = null) =>
        new Failure(status, message, type ?? status switch
        {
            401 => "authentication_error",
            429 => "rate_limit_error",
            >= 500 => "server_error",
            _ => "invalid_request_error",
        }, code);

    /// <summary>Never answers (no status, no headers) until the client aborts the request or the server is disposed.</summary>
    public static FakeReply Hang() => new Silence();

    /// <summary>
    /// <see cref="Text"/> that sends its first <paramref name="chunksBeforePause"/> chunks, then waits for
    /// <paramref name="release"/> before the rest (not streamed: answers only after the release).
    /// </summary>
    public static FakeReply TextWithPause(string text, int chunksBeforePause, Task release) =>
        new Answer(SplitAfterSpaces(text), [], chunksBeforePause, release);

    private static string[] SplitAfterSpaces(string text)
    {
        var pieces = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ' ')
            {
                pieces.Add(text[start..(i + 1)]);
                start = i + 1;
            }
        }
        if (start < text.Length || pieces.Count == 0)
        {
            pieces.Add(text[start..]);
        }
        return [.. pieces];
    }

    internal static string[] SplitEvenly(string text, int parts)
    {
        var size = Math.Max(1, (text.Length + parts - 1) / parts);
        return text.Length == 0 ? [""] : [.. text.Chunk(size).Select(c => new string(c))];
    }

    internal sealed record FakeToolCall(string Id, string Name, string Arguments);

    /// <summary>Content to send: text pieces, then tool calls; <see cref="Release"/> is awaited before piece <see cref="PauseBefore"/>.</summary>
    internal sealed record Answer(IReadOnlyList<string> Pieces, IReadOnlyList<FakeToolCall> Calls, int PauseBefore, Task? Release) : FakeReply;

    internal sealed record Failure(int Status, string Message, string Type, string? Code) : FakeReply;

    internal sealed record Silence : FakeReply;
}

/// <summary>
/// A fake OpenAI Chat Completions server for tests and benchmarks: Kestrel on a free loopback port serving
/// <c>POST /v1/chat/completions</c> (and <c>/chat/completions</c>) the way OpenAI does, so the official SDK talks to it
/// unchanged through <see cref="Endpoint"/>. <c>stream: true</c> gets <c>text/event-stream</c> chunks
/// (<c>chat.completion.chunk</c>), each flushed on its own, a final usage chunk with empty <c>choices</c> when
/// <c>stream_options.include_usage</c> is true, then <c>data: [DONE]</c>; otherwise one <c>chat.completion</c> with
/// <c>usage</c>. A body that is not JSON, or lacks <c>model</c> or <c>messages</c>, gets 400 in OpenAI's error shape.
/// <para>
/// Each request takes the next <see cref="Enqueue">queued</see> reply, else <see cref="Responder"/>'s, else
/// <see cref="DefaultText"/>. Safe for hundreds of concurrent streams (all waiting is asynchronous).
/// </para>
/// </summary>
public sealed class FakeOpenAi : IAsyncDisposable
{
    /// <summary>The text answered when the queue is empty and no <see cref="Responder"/> is set.</summary>
    public const string DefaultText = "Hello from the fake model.";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<FakeReply> _queue = new();
    private readonly List<FakeRequest> _requests = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private long _completions;
    private int _disposed;

    private FakeOpenAi(WebApplication app)
    {
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Endpoint = $"{address.TrimEnd('/')}/v1";
    }

    /// <summary>Base URL for a client, <c>http://127.0.0.1:{port}/v1</c> (no trailing slash).</summary>
    public string Endpoint { get; }

    /// <summary>
    /// Delay before the first chunk (and the response headers) of every content reply; default zero. Errors answer at once.
    /// </summary>
    public TimeSpan TimeToFirstToken { get; set; }

    /// <summary>
    /// Delay between consecutive content chunks (text pieces, tool call pieces); default zero. A non-streamed answer waits
    /// <see cref="TimeToFirstToken"/> plus this for every chunk after the first, as if generated the same way.
    /// </summary>
    public TimeSpan TokenInterval { get; set; }

    /// <summary>
    /// Chooses the reply when the queue is empty; called concurrently for concurrent requests. An exception it throws is
    /// answered as a 500 <c>server_error</c> carrying its message.
    /// </summary>
    public Func<FakeRequest, FakeReply>? Responder { get; set; }

    /// <summary>
    /// Called when a streamed answer's first chunk has been flushed, with the time since the request arrived (the model's
    /// own time to first token as its client sees it, less the network): benchmarks subtract it from what they measure.
    /// </summary>
    public Action<FakeRequest, TimeSpan>? FirstChunkSent { get; set; }

    /// <summary>Every well-formed request received, in arrival order (a snapshot).</summary>
    public IReadOnlyList<FakeRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Queues a reply; queued replies answer the next requests, one each, in order.</summary>
    public void Enqueue(FakeReply reply) => _queue.Enqueue(reply);

    /// <summary>Starts a server on <c>http://127.0.0.1:0</c>.</summary>
    public static async Task<FakeOpenAi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MinResponseDataRate = null;
            k.Limits.MinRequestBodyDataRate = null;
        });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeOpenAi? fake = null;
        app.Run(context => fake!.HandleAsync(context));
        await app.StartAsync();
        fake = new FakeOpenAi(app);
        return fake;
    }

    /// <summary>Stops the server; requests still waiting (<see cref="FakeReply.Hang"/>, a pause) are aborted.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var arrived = Stopwatch.GetTimestamp();
        var path = context.Request.Path.Value;
        if (!HttpMethods.IsPost(context.Request.Method) || path is not ("/v1/chat/completions" or "/chat/completions"))
        {
            await FakeOpenAiWire.WriteErrorAsync(context, 404, $"Invalid URL ({context.Request.Method} {path})", "invalid_request_error", null);
            return;
        }
        var (request, problem) = await ReadRequestAsync(context);
        if (request is null)
        {
            await FakeOpenAiWire.WriteErrorAsync(context, 400, problem!, "invalid_request_error", null);
            return;
        }
        lock (_gate)
        {
            _requests.Add(request);
        }
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        try
        {
            var reply = _queue.TryDequeue(out var queued) ? queued : Responder?.Invoke(request) ?? FakeReply.Text(DefaultText);
            switch (reply)
            {
                case FakeReply.Failure f:
                    await FakeOpenAiWire.WriteErrorAsync(context, f.Status, f.Message, f.Type, f.Code);
                    break;
                case FakeReply.Silence:
                    await Task.Delay(Timeout.Infinite, cancel.Token);
                    break;
                case FakeReply.Answer answer:
                    var id = $"chatcmpl-fake{Interlocked.Increment(ref _completions)}";
                    var wire = new FakeOpenAiWire(context, id, request.Model, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), answer);
                    await wire.AnswerAsync(request.Stream, request.Stream && request.IncludeUsage, TimeToFirstToken, TokenInterval, cancel.Token,
                        FirstChunkSent is { } report ? () => report(request, Stopwatch.GetElapsedTime(arrived)) : null);
                    break;
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            context.Abort();
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            await FakeOpenAiWire.WriteErrorAsync(context, 500, $"The fake failed to answer: {e.Message}", "server_error", null);
        }
    }

    private static async Task<(FakeRequest? Request, string? Problem)> ReadRequestAsync(HttpContext context)
    {
        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject;
        }
        catch (JsonException e)
        {
            return (null, $"We could not parse the JSON body of your request. ({e.Message})");
        }
        if (body is null)
        {
            return (null, "The request body must be a JSON object.");
        }
        if (body["model"]?.GetValueKind() != JsonValueKind.String)
        {
            return (null, "you must provide a model parameter");
        }
        if (body["messages"] is not JsonArray { Count: > 0 } messages)
        {
            return (null, "'messages' must be a non-empty array.");
        }
        var stream = body["stream"]?.GetValueKind();
        if (stream is not (null or JsonValueKind.Null or JsonValueKind.True or JsonValueKind.False))
        {
            return (null, "'stream' must be a boolean.");
        }
        var temperature = body["temperature"]?.GetValueKind();
        if (temperature is not (null or JsonValueKind.Null or JsonValueKind.Number))
        {
            return (null, "'temperature' must be a number.");
        }
        if (body["tools"] is { } tools && tools is not JsonArray)
        {
            return (null, "'tools' must be an array.");
        }
        if (body["response_format"] is { } format && format is not JsonObject)
        {
            return (null, "'response_format' must be an object.");
        }
        var authorization = context.Request.Headers.Authorization;
        return (new FakeRequest(
            (string)body["model"]!,
            stream == JsonValueKind.True,
            messages,
            body["tools"] as JsonArray,
            body["response_format"] as JsonObject,
            temperature == JsonValueKind.Number ? (double)body["temperature"]! : null,
            body,
            authorization.Count > 0 ? authorization.ToString() : null), null);
    }
}

/// <summary>Writes one answer on the wire in OpenAI's shapes: SSE <c>chat.completion.chunk</c>s or one <c>chat.completion</c>.</summary>
internal sealed class FakeOpenAiWire(HttpContext context, string id, string model, long created, FakeReply.Answer answer)
{
    /// <summary>
    /// One content chunk: a text piece, the opening of tool call <see cref="Call"/> (id, type, name), or a piece of its arguments.
    /// </summary>
    private readonly record struct Step(string? Text, int Call = -1, bool Opens = false, string? Arguments = null);

    /// <summary>Quotes stay <c>\"</c> rather than <c>\u0022</c>, as OpenAI writes them (nothing here lands in HTML).</summary>
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private string FinishReason => answer.Calls.Count > 0 ? "tool_calls" : "stop";

    public static async Task WriteErrorAsync(HttpContext context, int status, string message, string type, string? code)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = null, ["code"] = code },
        };
        await context.Response.WriteAsync(body.ToJsonString());
    }

    public async Task AnswerAsync(bool stream, bool includeUsage, TimeSpan timeToFirstToken, TimeSpan interval, CancellationToken cancel,
        Action? firstChunkSent = null)
    {
        var steps = Steps();
        await DelayAsync(timeToFirstToken, cancel);
        if (stream)
        {
            context.Response.ContentType = "text/event-stream; charset=utf-8";
            context.Response.Headers.CacheControl = "no-cache";
        }
        for (var i = 0; i < steps.Count; i++)
        {
            if (i > 0)
            {
                await DelayAsync(interval, cancel);
            }
            if (i == answer.PauseBefore && answer.Release is { } release)
            {
                await release.WaitAsync(cancel);
            }
            if (stream)
            {
                var step = steps[i];
                var first = i == 0;
                await WriteEventAsync(w => Chunk(w, step, first, null, includeUsage), cancel);
                if (first)
                {
                    firstChunkSent?.Invoke();
                }
            }
        }
        if (!stream)
        {
            context.Response.ContentType = "application/json";
            await WriteJsonAsync(Completion, cancel);
            return;
        }
        await WriteEventAsync(w => Chunk(w, null, false, FinishReason, includeUsage), cancel);
        if (includeUsage)
        {
            await WriteEventAsync(UsageChunk, cancel);
        }
        context.Response.BodyWriter.Write("data: [DONE]\n\n"u8);
        await context.Response.BodyWriter.FlushAsync(cancel);
    }

    private List<Step> Steps()
    {
        var steps = answer.Pieces.Select(p => new Step(p)).ToList();
        for (var k = 0; k < answer.Calls.Count; k++)
        {
            steps.Add(new Step(null, k, Opens: true));
            steps.AddRange(FakeReply.SplitEvenly(answer.Calls[k].Arguments, 3).Select(piece => new Step(null, k, Arguments: piece)));
        }
        if (steps.Count == 0)
        {
            steps.Add(new Step(""));
        }
        return steps;
    }

    private static Task DelayAsync(TimeSpan delay, CancellationToken cancel) =>
        delay > TimeSpan.Zero ? Task.Delay(delay, cancel) : Task.CompletedTask;

    /// <summary>One server-sent event, <c>data: {json}\n\n</c>, flushed at once.</summary>
    private async Task WriteEventAsync(Action<Utf8JsonWriter> write, CancellationToken cancel)
    {
        var pipe = context.Response.BodyWriter;
        pipe.Write("data: "u8);
        using (var json = new Utf8JsonWriter(pipe, JsonOptions))
        {
            write(json);
        }
        pipe.Write("\n\n"u8);
        await pipe.FlushAsync(cancel);
    }

    private async Task WriteJsonAsync(Action<Utf8JsonWriter> write, CancellationToken cancel)
    {
        using (var json = new Utf8JsonWriter(context.Response.BodyWriter, JsonOptions))
        {
            write(json);
        }
        await context.Response.BodyWriter.FlushAsync(cancel);
    }

    private void Envelope(Utf8JsonWriter w, string type)
    {
        w.WriteString("id", id);
        w.WriteString("object", type);
        w.WriteNumber("created", created);
        w.WriteString("model", model);
        w.WriteString("service_tier", "default");
        w.WriteString("system_fingerprint", "fp_fake");
    }

    private void Chunk(Utf8JsonWriter w, Step? step, bool first, string? finishReason, bool includeUsage)
    {
        w.WriteStartObject();
        Envelope(w, "chat.completion.chunk");
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        if (first)
        {
            w.WriteString("role", "assistant");
            w.WriteNull("refusal");
        }
        if (step is { } s)
        {
            Delta(w, s, first);
        }
        w.WriteEndObject();
        w.WriteNull("logprobs");
        w.WriteString("finish_reason", finishReason);
        w.WriteEndObject();
        w.WriteEndArray();
        if (includeUsage)
        {
            w.WriteNull("usage");
        }
        w.WriteEndObject();
    }

    private void Delta(Utf8JsonWriter w, Step step, bool first)
    {
        if (step.Text is not null)
        {
            w.WriteString("content", step.Text);
            return;
        }
        if (first)
        {
            w.WriteNull("content");
        }
        var call = answer.Calls[step.Call];
        w.WriteStartArray("tool_calls");
        w.WriteStartObject();
        w.WriteNumber("index", step.Call);
        if (step.Opens)
        {
            w.WriteString("id", call.Id);
            w.WriteString("type", "function");
        }
        w.WriteStartObject("function");
        if (step.Opens)
        {
            w.WriteString("name", call.Name);
        }
        w.WriteString("arguments", step.Arguments ?? "");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private void UsageChunk(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        Envelope(w, "chat.completion.chunk");
        w.WriteStartArray("choices");
        w.WriteEndArray();
        Usage(w);
        w.WriteEndObject();
    }

    private void Usage(Utf8JsonWriter w)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", answer.PromptTokens);
        w.WriteNumber("completion_tokens", answer.CompletionTokens);
        w.WriteNumber("total_tokens", answer.PromptTokens + answer.CompletionTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", 0);
        w.WriteNumber("audio_tokens", 0);
        w.WriteEndObject();
        w.WriteStartObject("completion_tokens_details");
        w.WriteNumber("reasoning_tokens", 0);
        w.WriteNumber("audio_tokens", 0);
        w.WriteNumber("accepted_prediction_tokens", 0);
        w.WriteNumber("rejected_prediction_tokens", 0);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private void Completion(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        Envelope(w, "chat.completion");
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        w.WriteString("content", answer.Pieces.Count > 0 ? string.Concat(answer.Pieces) : null);
        w.WriteNull("refusal");
        w.WriteStartArray("annotations");
        w.WriteEndArray();
        if (answer.Calls.Count > 0)
        {
            w.WriteStartArray("tool_calls");
            foreach (var call in answer.Calls)
            {
                w.WriteStartObject();
                w.WriteString("id", call.Id);
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", call.Name);
                w.WriteString("arguments", call.Arguments);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
        w.WriteNull("logprobs");
        w.WriteString("finish_reason", FinishReason);
        w.WriteEndObject();
        w.WriteEndArray();
        Usage(w);
        w.WriteEndObject();
    }
}
