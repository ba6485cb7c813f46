using System.Collections.Concurrent;

namespace LlmGateway.Internal;

/// <summary>One attempt on one target, as the pipeline makes it (<c>GatewayPipeline.AttemptAsync</c>).</summary>
internal delegate ValueTask<GatewayResponse> TargetAttempt(GatewayRequest request, RequestPeek peek, RouteTarget target, string caller, bool allowRetries, TimeSpan? budget, CancellationToken cancellationToken);

/// <summary>
/// Continuation of streamed chat completions cut after output reached the client: a stream that won its attempt while
/// other candidate targets remain is wrapped in a <see cref="StreamContinuation"/>, which asks the next of them for the
/// rest of the answer if the stream breaks, stalls or sends a malformed event. One per pipeline (so per process): it
/// also remembers the targets that refused a prefilled request, so that later continuations restart on them at once.
/// </summary>
internal sealed class StreamContinuations(TargetHealth health, InFlightCounter inFlight, LatencyTracker latency, TimeProvider timeProvider)
{
    // Bounded: targets come from the configuration and the routes a client can name.
    private const int MaxRemembered = 4096;
    private readonly ConcurrentDictionary<string, byte> _prefillRefused = new(StringComparer.OrdinalIgnoreCase);
    private readonly TargetHealth _health = health;
    private readonly InFlightCounter _inFlight = inFlight;
    private readonly LatencyTracker _latency = latency;
    private readonly TimeProvider _timeProvider = timeProvider;

    /// <summary>
    /// The answer of a successful attempt, wrapped so that a cut can be continued when it is a chat stream and
    /// targets after <paramref name="target"/> remain within <see cref="LlmGatewayOptions.MaxAttempts"/>; else the
    /// answer as it is.
    /// </summary>
    /// <param name="response">The winning attempt's answer.</param>
    /// <param name="table">The route table.</param>
    /// <param name="request">The request as the attempts were made from it.</param>
    /// <param name="candidates">The candidates in the order they were tried.</param>
    /// <param name="target">The target that answered.</param>
    /// <param name="attempts">The attempts made so far.</param>
    /// <param name="begun">When the first attempt began (for <see cref="LlmGatewayOptions.RequestBudget"/>).</param>
    /// <param name="modelName">The requested model as telemetry may show it.</param>
    /// <param name="caller">The caller's circuit scope.</param>
    /// <param name="call">The call's telemetry.</param>
    /// <param name="attempt">Makes one attempt on one target.</param>
    /// <param name="cancellationToken">The request's token.</param>
    public GatewayResponse WhenCut(
        GatewayResponse response,
        RouteTable table,
        GatewayRequest request,
        IReadOnlyList<RouteTarget> candidates,
        RouteTarget target,
        int attempts,
        long begun,
        string? modelName,
        string caller,
        RequestTelemetry call,
        TargetAttempt attempt,
        CancellationToken cancellationToken)
    {
        if (request.Operation != GatewayOperation.ChatCompletions || response.Events is not { } events || attempts >= table.Options.MaxAttempts)
        {
            return response;
        }

        var next = -1;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (ReferenceEquals(candidates[i], target))
            {
                next = i + 1;
                break;
            }
        }

        if (next <= 0 || next >= candidates.Count)
        {
            return response;
        }

        var targets = new Targets(this, table, request, candidates, next, attempts, begun, modelName, caller, call, attempt, cancellationToken);
        var continued = new StreamContinuation(events, response.Owner, request.Body, targets.NextAsync, call);
        return response.WithEvents(continued, continued);
    }

    private bool PrefillRefused(RouteTarget target) => _prefillRefused.ContainsKey(target.Name);

    private void RememberPrefillRefused(RouteTarget target)
    {
        if (_prefillRefused.Count < MaxRemembered)
        {
            _prefillRefused.TryAdd(target.Name, 0);
        }
    }

    /// <summary>The candidates left to one request, tried in order as <c>FailOverAsync</c> tries them: within
    /// <see cref="LlmGatewayOptions.MaxAttempts"/> and <see cref="LlmGatewayOptions.RequestBudget"/>, skipping open
    /// circuits while others remain.</summary>
    private sealed class Targets(
        StreamContinuations owner,
        RouteTable table,
        GatewayRequest request,
        IReadOnlyList<RouteTarget> candidates,
        int next,
        int attempts,
        long begun,
        string? modelName,
        string caller,
        RequestTelemetry call,
        TargetAttempt attempt,
        CancellationToken requestToken)
    {
        private int _next = next;
        private int _attempts = attempts;

        /// <summary>The next candidate's answer to the rest of the stream, or null when none is left or all failed.</summary>
        /// <param name="delivered">The text the client has already received.</param>
        public async ValueTask<ContinuationAttempt?> NextAsync(string delivered)
        {
            // The request's token, as for the first attempt: the continuation's upstream read lives as long as the
            // stream, and stops when the request is cancelled.
            var token = requestToken;
            var options = table.Options;
            while (_next < candidates.Count && _attempts < options.MaxAttempts)
            {
                var target = candidates[_next++];
                var isLastCandidate = _next == candidates.Count;
                if (!owner._health.TryEnter(target, caller) && !isLastCandidate)
                {
                    continue; // open circuit, or another request is probing it
                }

                var prefilled = delivered.Length > 0 && target.Prefill == true && !owner.PrefillRefused(target)
                    ? ContinuationChunks.WithPrefill(request.Body, delivered)
                    : null;
                var prefill = prefilled is not null;
                ReadOnlyMemory<byte> body = prefilled is not null ? prefilled : request.Body;
                var response = await TryAsync(target, body, isLastCandidate, prefill, token);
                if (response is null)
                {
                    return null; // the request's budget is spent
                }

                if (prefill && response.Error is { StatusCode: 400 })
                {
                    // The target does not continue a prefill after all: remembered, and restarted on it at once.
                    owner.RememberPrefillRefused(target);
                    prefill = false;
                    body = request.Body;
                    if (!owner._health.TryEnter(target, caller) && !isLastCandidate)
                    {
                        continue;
                    }

                    response = await TryAsync(target, body, isLastCandidate, prefill, token);
                    if (response is null)
                    {
                        return null;
                    }
                }

                if (response.IsSuccess)
                {
                    return new ContinuationAttempt(response, body, prefill);
                }

                await response.DisposeAsync();
            }

            return null;
        }

        /// <summary>One attempt, with the bookkeeping of <c>FailOverAsync</c>'s loop; null when the budget is spent.</summary>
        private async ValueTask<GatewayResponse?> TryAsync(RouteTarget target, ReadOnlyMemory<byte> body, bool isLastCandidate, bool prefill, CancellationToken cancellationToken)
        {
            var options = table.Options;
            TimeSpan? remaining = options.RequestBudget is { } budget ? budget - owner._timeProvider.GetElapsedTime(begun) : null;
            if (remaining <= TimeSpan.Zero)
            {
                owner._health.Released(target);
                return null;
            }

            _attempts++;
            var continued = request.WithBody(body);
            var peek = RequestPeek.Read(body.Span, continued.Operation);
            var isLast = _attempts >= options.MaxAttempts || isLastCandidate;
            owner._inFlight.Enter(target.Name);
            var started = owner._timeProvider.GetTimestamp();
            var targetName = table.NameOf(target.Model) ?? (modelName is not null && target.Model == modelName ? modelName : RouteTable.UnresolvedModel);
            var span = call.StartAttempt(target, targetName, _attempts);
            span?.SetTag("llmgateway.continuation", prefill ? StreamContinuation.Prefill : StreamContinuation.Restart);
            GatewayResponse response;
            try
            {
                response = await attempt(continued, peek, target, caller, allowRetries: isLast, remaining, cancellationToken);
            }
            catch (Exception ex)
            {
                owner._health.Released(target);
                call.EndAttempt(span, ex, owner._timeProvider.GetElapsedTime(started));
                throw;
            }
            finally
            {
                owner._inFlight.Exit(target.Name);
            }

            call.EndAttempt(span, response, owner._timeProvider.GetElapsedTime(started));
            if (response.Error is not { } error)
            {
                owner._latency.Record(target.Name, owner._timeProvider.GetElapsedTime(started), stream: true);
                owner._health.Succeeded(target, caller);
                return response;
            }

            if (UpstreamResilience.IsRetryable((System.Net.HttpStatusCode)error.StatusCode) || error.Kind == GatewayErrorKind.UnsupportedOperation)
            {
                owner._health.Failed(target, caller, error.RetryAfter, options.Circuit);
            }
            else
            {
                owner._health.Succeeded(target, caller); // it answered: alive, whatever it thought of the request
            }

            return response;
        }
    }
}

/// <summary>A continuation target's answer: its stream (first event in hand), the body it was sent, and whether that
/// body was the prefilled one.</summary>
internal sealed record ContinuationAttempt(GatewayResponse Response, ReadOnlyMemory<byte> Body, bool Prefill);
