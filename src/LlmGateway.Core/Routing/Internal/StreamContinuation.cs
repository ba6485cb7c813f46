using System.Text;
using System.Text.Json.Nodes;

namespace LlmGateway.Internal;

/// <summary>
/// A chat completion stream that, when it breaks, stalls or sends a malformed event after output reached the caller,
/// is continued on the next candidate target and spliced into the caller's stream: same chunk <c>id</c>,
/// <c>created</c>, <c>model</c> and choice <c>index</c>, no repeated text, one finish reason, one usage chunk.
/// </summary>
/// <remarks>
/// <para>A target that continues a prefill (<see cref="RouteTarget.Prefill"/>) gets the request with the text already
/// delivered as a trailing assistant message, and its text is passed on as it comes. Any other target gets the request
/// again: its text is held back until it is at least as long as the text delivered; if it begins with that text the
/// rest is passed on, else the stream ends with a <c>continuation_diverged</c> error event. A prefill the target
/// refuses with a 400 is restarted on it at once, and remembered (<see cref="StreamContinuations"/>).</para>
/// <para>Not continued (the cut ends the stream with its error event, as without a candidate left): a stream that
/// started a tool call, a refusal or audio, or streams several choices, or whose finish reason was already sent, or
/// a failure whose status is not retryable. When every candidate fails,
/// the caller gets the cut's own error event, once.</para>
/// <para>Usage: the continuation's usage chunk is held back and sent once at the end, with the cut attempts' prompt
/// and completion tokens added, estimated with the tokenizer from the prompt they were sent and the text they produced.</para>
/// </remarks>
internal sealed class StreamContinuation(
    IAsyncEnumerable<GatewayEvent> first,
    IAsyncDisposable? firstOwner,
    ReadOnlyMemory<byte> firstBody,
    Func<string, ValueTask<ContinuationAttempt?>> next,
    RequestTelemetry call) : IAsyncEnumerable<GatewayEvent>, IAsyncEnumerator<GatewayEvent>
{
    /// <summary>Outcome: continued on a target that continues the prefilled text.</summary>
    public const string Prefill = "prefill";

    /// <summary>Outcome: continued on a target that answered afresh, spliced where it passed the delivered text.</summary>
    public const string Restart = "restart";

    /// <summary>Outcome: the restarted answer did not begin with the delivered text; the stream ended with an error.</summary>
    public const string Diverged = "diverged";

    /// <summary>Outcome: no candidate could continue (all failed, or the attempts or the budget ran out).</summary>
    public const string Exhausted = "exhausted";

    /// <summary>Outcome: the stream was not safe to continue (a tool call, refusal or audio started, several choices).</summary>
    public const string Unsafe = "unsafe";

    private readonly ChunkIdentity _identity = new();
    private readonly StringBuilder _delivered = new();
    private readonly StringBuilder _attemptText = new();
    private readonly StringBuilder _pending = new();
    private readonly Queue<GatewayEvent> _ready = new(2);
    private IAsyncEnumerator<GatewayEvent>? _inner;
    private ReadOnlyMemory<byte> _body = firstBody;
    private ChunkFlags _flags;
    private bool _continued;
    private bool _buffering;
    private bool _ended;
    private JsonObject? _usageChunk;
    private JsonObject? _usage;
    private long _extraPrompt;
    private long _extraCompletion;
    private GatewayEvent _current;
    private int _disposed;
    private bool _enumerated;

    public GatewayEvent Current => _current;

    public IAsyncEnumerator<GatewayEvent> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (_enumerated)
        {
            throw new InvalidOperationException("A gateway stream can be enumerated once.");
        }

        _enumerated = true;
        _inner = first.GetAsyncEnumerator(cancellationToken);
        return this;
    }

    public async ValueTask<bool> MoveNextAsync()
    {
        while (true)
        {
            if (_ready.TryDequeue(out var ready))
            {
                _current = ready;
                return true;
            }

            if (_ended)
            {
                return false;
            }

            var source = _inner ?? throw new InvalidOperationException(_enumerated ? "The stream has ended." : "GetAsyncEnumerator was not called.");
            bool has;
            try
            {
                has = await source.MoveNextAsync();
            }
            catch (LlmGatewayException ex) when (IsContinuable(ex.Error))
            {
                if (!await ContinueAsync())
                {
                    throw;
                }

                continue;
            }

            if (has)
            {
                Process(source.Current);
            }
            else
            {
                End();
            }
        }
    }

    /// <summary>A cut the next target may mend: a broken connection, a stall, a malformed event, an upstream error
    /// event, all with a retryable status; not a refusal of the request itself.</summary>
    private static bool IsContinuable(GatewayError error) =>
        UpstreamResilience.IsRetryable((System.Net.HttpStatusCode)error.StatusCode);

    /// <summary>An event of the stream in hand: passed on (observed) before any cut, rewritten after.</summary>
    private void Process(GatewayEvent item)
    {
        if (!_continued)
        {
            ContinuationChunks.Observe(item.Data.Span, _identity, _attemptText, ref _flags);
            _ready.Enqueue(item);
            return;
        }

        if (ContinuationChunks.Parse(item.Data) is not { } chunk)
        {
            return;
        }

        if (chunk["usage"] is JsonObject usage)
        {
            // Held back, and sent once at the end with the cut attempts added.
            chunk.Remove("usage");
            _usage = usage;
        }

        if (chunk["choices"] is not JsonArray { Count: > 0 } choices || choices[0] is not JsonObject choice)
        {
            if (_usage is not null)
            {
                _usageChunk = chunk;
            }

            return;
        }

        var delta = choice["delta"] as JsonObject;
        var text = ContinuationChunks.Text(delta);
        var finished = ContinuationChunks.Has(choice, "finish_reason");
        var unsafeDelta = ContinuationChunks.Has(delta, "tool_calls") || ContinuationChunks.Has(delta, "function_call")
            || ContinuationChunks.Has(delta, "refusal") || ContinuationChunks.Has(delta, "audio");
        _attemptText.Append(text);
        if (_buffering)
        {
            if (!Splice(choice, delta, text, finished, unsafeDelta))
            {
                return;
            }
        }
        else
        {
            _delivered.Append(text);
        }

        if (unsafeDelta)
        {
            _flags |= ChunkFlags.Unsafe;
        }

        if (finished)
        {
            _flags |= ChunkFlags.Finished;
        }

        delta?.Remove("role");
        if (text is { Length: 0 })
        {
            delta!.Remove("content");
        }

        if (delta is { Count: 0 } && !finished && !ContinuationChunks.Has(choice, "logprobs"))
        {
            return; // nothing left to say (the role the caller had already)
        }

        _ready.Enqueue(new GatewayEvent(ContinuationChunks.Rewrite(chunk, choice, _identity), item.EventType));
    }

    /// <summary>
    /// A restarted answer's text, held back until it reaches the length of the delivered text; true when this chunk
    /// passes that point and carries on the caller's stream (its delta then holds only the text after it).
    /// </summary>
    private bool Splice(JsonObject choice, JsonObject? delta, string? text, bool finished, bool unsafeDelta)
    {
        _pending.Append(text);
        var delivered = _delivered.Length;
        if (unsafeDelta || !Agrees(_pending, _delivered) || (_pending.Length < delivered && finished))
        {
            throw DivergedException();
        }

        if (_pending.Length < delivered)
        {
            return false;
        }

        // Spliced: what follows the delivered text goes on; this chunk's reasoning and log probabilities covered text
        // the caller already has.
        _buffering = false;
        call.Continued(Restart);
        var rest = _pending.ToString(delivered, _pending.Length - delivered);
        _pending.Clear();
        _delivered.Append(rest);
        choice.Remove("logprobs");
        if (delta is not null)
        {
            delta.Remove("reasoning_content");
            delta["content"] = rest;
            if (rest.Length == 0 && !finished)
            {
                delta.Remove("content");
            }
        }

        return true;
    }

    /// <summary>Whether the shorter of the two texts begins the longer.</summary>
    private static bool Agrees(StringBuilder pending, StringBuilder delivered)
    {
        var length = Math.Min(pending.Length, delivered.Length);
        for (var i = 0; i < length; i++)
        {
            if (pending[i] != delivered[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The stream in hand ended cleanly.</summary>
    private void End()
    {
        if (_buffering)
        {
            // The restarted answer ended before it reached the text already delivered.
            throw DivergedException();
        }

        _ended = true;
        if (_continued && _usage is { } usage)
        {
            _ready.Enqueue(new GatewayEvent(ContinuationChunks.Usage(_usageChunk, usage, _identity, _extraPrompt, _extraCompletion)));
        }
    }

    private LlmGatewayException DivergedException()
    {
        _ended = true;
        call.Continued(Diverged);
        return new LlmGatewayException(new GatewayError(
            GatewayErrorKind.StreamInterrupted,
            "The upstream stream was cut, and the answer of the target that took it over did not continue the text already sent; the answer is incomplete. Retry the request.")
        {
            Code = "continuation_diverged",
        });
    }

    /// <summary>After a cut: the next candidate's stream in place of the cut one; false when there is none, or the
    /// stream is not one to continue.</summary>
    private async ValueTask<bool> ContinueAsync()
    {
        if ((_flags & ChunkFlags.Finished) != 0)
        {
            return false; // the answer is whole; only its end was lost
        }

        if ((_flags & ChunkFlags.Unsafe) != 0 || ContinuationChunks.AsksForSeveralChoices(_body.Span))
        {
            call.Continued(Unsafe);
            return false;
        }

        if (!_continued)
        {
            _delivered.Append(_attemptText);
        }

        // The cut attempt used its prompt and produced its text: both count, estimated.
        _extraPrompt += new TokenEstimator().EstimatePromptTokens(_body.Span, GatewayOperation.ChatCompletions);
        _extraCompletion += TokenEstimator.EstimateTextTokens(_attemptText.ToString());
        _attemptText.Clear();
        _pending.Clear();
        _usage = null;
        _usageChunk = null;
        await DisposeInnerAsync();

        var attempt = await next(_delivered.ToString());
        if (attempt is null)
        {
            call.Continued(Exhausted);
            return false;
        }

        _continued = true;
        _body = attempt.Body;
        _buffering = !attempt.Prefill && _delivered.Length > 0;
        if (!_buffering)
        {
            call.Continued(attempt.Prefill ? Prefill : Restart);
        }

        _inner = attempt.Response.Events!.GetAsyncEnumerator();
        return true;
    }

    /// <summary>Disposes the stream in hand; a stream's enumerator is also its response's owner (see
    /// <see cref="PrefetchedEvents"/>), so this releases its upstream connection.</summary>
    private async ValueTask DisposeInnerAsync()
    {
        var inner = _inner;
        _inner = null;
        if (inner is not null)
        {
            await inner.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await DisposeInnerAsync();
        if (!_enumerated && firstOwner is not null)
        {
            await firstOwner.DisposeAsync();
        }
    }
}
