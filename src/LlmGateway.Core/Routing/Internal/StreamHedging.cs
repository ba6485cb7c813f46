using System.Diagnostics;
using System.Diagnostics.Metrics;
using Polly;
using Polly.Hedging;

namespace LlmGateway.Internal;

/// <summary>
/// Hedged first tokens: a streamed request whose first event has not arrived after the hedging delay gets the next
/// target started alongside; the first of the two to deliver a first event answers, and the other is cancelled (its
/// upstream response disposed, so its connection closes). Only the answer is accounted to the caller; what the loser
/// cost is estimated and measured as hedging cost.
/// </summary>
/// <remarks>
/// <para>Failover stays <c>GatewayPipeline.FailOverAsync</c>: a hedged request runs it twice at once, as two lanes over
/// the same ordered targets (<see cref="HedgeLane"/>). A lane claims each target before it tries it, so no target is
/// tried twice and the request's attempts together stay within <see cref="LlmGatewayOptions.MaxAttempts"/>. The first
/// lane starts at once; the second (the hedge) after the delay, at the first target not claimed yet, and only while the
/// first lane is still waiting. Each lane fails over on its own; the request budget counts from the first lane's
/// start. At most one hedge runs per request.</para>
/// <para>The race is Polly's hedging (<c>AddHedging</c>, one hedged attempt). A lane's outcome is known once its stream's
/// first event is in hand (the pipeline prefetches it before it answers), so Polly's rule, the first completed
/// outcome that is not handled wins, is exactly "the first to deliver a first event". A failed lane is handled: the
/// other one is waited for, and if both fail the first lane's failure is the answer. Polly cancels the losing lane,
/// waits for it to end, and disposes a result it produced (a stream that lost by a hair is closed). What Polly cannot
/// provide is the winning stream's lifetime token: an attempt's token is pooled, and its link to the caller's token is
/// removed, once the race is over, while the winning stream is read long after. Each lane therefore runs on a token
/// of its own, linked to the caller's, which Polly's token cancels only while the race lasts; the winner's lives until
/// its response is disposed.</para>
/// </remarks>
internal sealed class StreamHedging
{
    /// <summary>The delay for a target whose time to first token was not measured yet.</summary>
    public static readonly TimeSpan UnmeasuredDelay = TimeSpan.FromSeconds(10);

    /// <summary>The shortest delay chosen from a measured time to first token.</summary>
    public static readonly TimeSpan MinimumDelay = TimeSpan.FromSeconds(1);

    /// <summary>The delay is this many times the target's average time to first token.</summary>
    public const int TimeToFirstTokenFactor = 3;

    public const string Hedges = "llmgateway.hedges";
    public const string HedgingTokens = "llmgateway.hedging.tokens";
    public const string HedgingCost = "llmgateway.hedging.cost";

    private static readonly ResiliencePropertyKey<HedgedRun> s_run = new("LlmGateway.HedgedRun");

    private readonly LatencyTracker _latency;
    private readonly TargetHealth _health;
    private readonly TokenEstimator _estimator;
    private readonly TimeProvider _timeProvider;
    private readonly ResiliencePipeline<GatewayResponse> _pipeline;
    private readonly Counter<long> _hedges;
    private readonly Counter<long> _tokens;
    private readonly Counter<double> _cost;

    public StreamHedging(LatencyTracker latency, TargetHealth health, TokenEstimator estimator, IMeterFactory meterFactory, TimeProvider timeProvider)
    {
        _latency = latency;
        _health = health;
        _estimator = estimator;
        _timeProvider = timeProvider;

        // The same meter as GatewayMetrics' and UsageMetrics' (the factory hands out one per name).
        var meter = meterFactory.Create(UsageMetrics.MeterName);
        _hedges = meter.CreateCounter<long>(Hedges, "{hedge}", "Hedges started for streams whose first event was late, by result: won (the hedge answered), lost (the first attempt answered first) or failed (neither answered).");
        _tokens = meter.CreateCounter<long>(HedgingTokens, "{token}", "Estimated tokens of the attempts that lost a hedge race and were cancelled: their prompts, which their upstreams may bill.");
        _cost = meter.CreateCounter<double>(HedgingCost, "USD", "Estimated cost of the attempts that lost a hedge race, from the catalog's prices.");

        // One pipeline for every hedged request: what differs per request travels in the context's properties.
        _pipeline = new ResiliencePipelineBuilder<GatewayResponse> { TimeProvider = timeProvider }
            .AddHedging(new HedgingStrategyOptions<GatewayResponse>
            {
                Name = "LlmGateway.StreamHedging",
                MaxHedgedAttempts = 1,

                // A lane that failed (or could not start) leaves the race to the other one.
                ShouldHandle = static args => new ValueTask<bool>(args.Outcome.Exception is null && args.Outcome.Result is not { IsSuccess: true }),
                DelayGenerator = static args => new ValueTask<TimeSpan>(args.Context.Properties.GetValue(s_run, null!).Delay),
                ActionGenerator = static args =>
                {
                    var run = args.PrimaryContext.Properties.GetValue(s_run, null!);
                    var token = args.ActionContext.CancellationToken;
                    return () => run.RunLaneAsync(1, token);
                },
            })
            .Build();
    }

    /// <summary>
    /// The hedge of a request, or null when it is not hedged: not a stream, a single target, fewer than two attempts
    /// allowed, hedging turned off for it (<see cref="HedgingOptions.Enabled"/>), or a delay beyond the request budget.
    /// </summary>
    /// <param name="table">The route table.</param>
    /// <param name="request">The request.</param>
    /// <param name="peek">What was read of its body.</param>
    /// <param name="targets">Its targets, in order.</param>
    /// <param name="caller">Its circuit scope.</param>
    /// <param name="call">Its telemetry.</param>
    public HedgedRun? Plan(RouteTable table, GatewayRequest request, RequestPeek peek, IReadOnlyList<RouteTarget> targets, string caller, RequestTelemetry call)
    {
        if (!peek.Stream || targets.Count < 2 || table.Options.MaxAttempts < 2)
        {
            return null;
        }

        var options = table.Options;
        var alias = options.Models.GetValueOrDefault(peek.Model);
        var own = alias?.Hedging;
        var global = options.Hedging;

        // Unset: an alias of two or more targets is hedged; a request whose second target comes from its own fallbacks is not.
        if (!(own?.Enabled ?? global?.Enabled ?? alias is { Targets.Count: > 1 }))
        {
            return null;
        }

        var first = targets[0];
        foreach (var target in targets)
        {
            if (!_health.IsOpen(target, caller))
            {
                first = target; // open circuits go last: the first lane starts here
                break;
            }
        }

        var delay = own?.Delay ?? global?.Delay ?? DelayFor(first);
        if (options.RequestBudget is { } budget && delay >= budget)
        {
            return null; // the hedge could never start within the budget
        }

        return new HedgedRun(this, table, request, targets, caller, call, delay);
    }

    /// <summary>The delay for a target: <see cref="TimeToFirstTokenFactor"/> times its average time to first token, at
    /// least <see cref="MinimumDelay"/>; <see cref="UnmeasuredDelay"/> while it has none.</summary>
    internal TimeSpan DelayFor(RouteTarget target) => _latency.FirstToken(target.Name) is { } average
        ? TimeSpan.FromTicks(Math.Max(MinimumDelay.Ticks, average.Ticks * TimeToFirstTokenFactor))
        : UnmeasuredDelay;

    private void Record(string result, string operation, string? provider)
    {
        var tags = new TagList
        {
            { "gen_ai.operation.name", operation },
            { "llmgateway.hedge.result", result },
        };
        if (provider is not null)
        {
            tags.Add("llmgateway.provider", provider);
        }

        _hedges.Add(1, tags);
    }

    private void RecordLoss(string model, string provider, long promptTokens, decimal cost)
    {
        var modelTag = new KeyValuePair<string, object?>("gen_ai.response.model", model);
        var providerTag = new KeyValuePair<string, object?>("llmgateway.provider", provider);
        _tokens.Add(promptTokens, modelTag, providerTag, new KeyValuePair<string, object?>("gen_ai.token.type", "input"));
        if (cost != 0)
        {
            _cost.Add((double)cost, modelTag, providerTag);
        }
    }

    /// <summary>One hedged request: its two lanes, the targets they claimed, and the attempts they started.</summary>
    internal sealed class HedgedRun
    {
        private readonly StreamHedging _owner;
        private readonly RouteTable _table;
        private readonly GatewayRequest _request;
        private readonly IReadOnlyList<RouteTarget> _targets;
        private readonly string _caller;
        private readonly RequestTelemetry _call;
        private readonly Lock _gate = new();
        private readonly List<RouteTarget> _claimed = new(2);
        private readonly HedgeLane?[] _lanes = new HedgeLane?[2];
        private RouteTarget? _firstTried;
        private int _started;
        private Func<HedgeLane, CancellationToken, ValueTask<GatewayResponse>>? _failOver;
        private CancellationToken _callerToken;

        public HedgedRun(StreamHedging owner, RouteTable table, GatewayRequest request, IReadOnlyList<RouteTarget> targets, string caller, RequestTelemetry call, TimeSpan delay)
        {
            _owner = owner;
            _table = table;
            _request = request;
            _targets = targets;
            _caller = caller;
            _call = call;
            Delay = delay;
            Begun = owner._timeProvider.GetTimestamp();
        }

        /// <summary>Gets how long the first lane waits for its first event before the hedge starts.</summary>
        public TimeSpan Delay { get; }

        /// <summary>Gets when the request's attempts began (the request budget counts from here).</summary>
        public long Begun { get; }

        /// <summary>Runs the race: <paramref name="failOver"/> is the pipeline's failover over the request's targets,
        /// given the lane it runs as and that lane's token.</summary>
        public async ValueTask<GatewayResponse> RunAsync(Func<HedgeLane, CancellationToken, ValueTask<GatewayResponse>> failOver, CancellationToken cancellationToken)
        {
            _failOver = failOver;
            _callerToken = cancellationToken;
            var context = ResilienceContextPool.Shared.Get(cancellationToken);
            context.Properties.Set(s_run, this);
            Outcome<GatewayResponse> outcome;
            try
            {
                outcome = await _owner._pipeline.ExecuteOutcomeAsync(static (primary, run) => run.RunLaneAsync(0, primary.CancellationToken), context, this);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }

            return Settle(outcome);
        }

        /// <summary>Claims a target for a lane; false when the other lane has it or the request's attempts are spent.</summary>
        internal bool TryClaim(HedgeLane lane, RouteTarget target)
        {
            lock (_gate)
            {
                if (_started >= _table.Options.MaxAttempts || _claimed.Contains(target))
                {
                    return false;
                }

                _claimed.Add(target);
                lane.Number = ++_started;
                lane.Current = target;
                _firstTried ??= target;
                return true;
            }
        }

        /// <summary>
        /// Runs one lane. Polly's token for it (<paramref name="raceToken"/>) cancels the lane only while the race lasts;
        /// the lane itself runs on a token of its own, linked to the caller's, that outlives the race for the winner.
        /// </summary>
        internal async ValueTask<Outcome<GatewayResponse>> RunLaneAsync(int index, CancellationToken raceToken)
        {
            if (index > 0 && !CanHedge())
            {
                // Nothing to start: the first lane has ended (it failed over through every target it could), or no
                // target, attempt or budget is left. Handled like a failure, so the first lane's outcome stands.
                return Outcome.FromResult<GatewayResponse>(null!);
            }

            var lane = new HedgeLane(this, CancellationTokenSource.CreateLinkedTokenSource(_callerToken));
            _lanes[index] = lane;
            var relay = raceToken.UnsafeRegister(static state => ((HedgeLane)state!).Cancel(), lane);
            try
            {
                var response = await _failOver!(lane, lane.Token);
                lane.Result = response;
                return Outcome.FromResult(response);
            }
            catch (Exception ex)
            {
                lane.Failure = ex;
                return Outcome.FromException<GatewayResponse>(ex);
            }
            finally
            {
                await relay.DisposeAsync();
                lane.Done = true;
            }
        }

        private bool CanHedge()
        {
            if (_lanes[0] is not { Done: false })
            {
                return false;
            }

            if (_table.Options.RequestBudget is { } budget && budget - _owner._timeProvider.GetElapsedTime(Begun) <= TimeSpan.Zero)
            {
                return false;
            }

            lock (_gate)
            {
                if (_started >= _table.Options.MaxAttempts)
                {
                    return false;
                }

                foreach (var target in _targets)
                {
                    if (!_claimed.Contains(target) && !_owner._health.IsOpen(target, _caller))
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        /// <summary>
        /// The race is over and both lanes have ended (Polly waits for the loser): the losers' tokens are cancelled and
        /// released, the hedge and what the loser cost are measured, and the answer carries the attempts started and
        /// keeps its lane's token alive until it is disposed.
        /// </summary>
        private GatewayResponse Settle(Outcome<GatewayResponse> outcome)
        {
            var first = _lanes[0];
            var hedge = _lanes[1];
            var answer = outcome.Exception is null ? outcome.Result : null;
            var winner = answer is null ? null
                : first is not null && ReferenceEquals(first.Result, answer) ? first
                : hedge is not null && ReferenceEquals(hedge.Result, answer) ? hedge
                : null;

            if (hedge is { Number: > 0 })
            {
                var succeeded = answer is { IsSuccess: true };
                foreach (var lane in _lanes)
                {
                    // A lane that lost while its attempt was under way: cancelled before its first event, or disposed
                    // just after it. Its upstream may bill the prompt it was sent.
                    if (succeeded && lane is not null && !ReferenceEquals(lane, winner) && lane.Current is { } target
                        && (lane.Result is { IsSuccess: true } || (lane.Failure is OperationCanceledException && !_callerToken.IsCancellationRequested)))
                    {
                        RecordLoss(target);
                    }
                }

                var hedgeWon = succeeded && ReferenceEquals(winner, hedge);
                _owner.Record(hedgeWon ? "won" : succeeded ? "lost" : "failed", _call.Operation, succeeded ? answer!.ProviderName : null);
                var answered = succeeded ? winner?.Current : null;
                _call.Hedged(
                    hedgeWon,
                    _started,
                    answered,
                    answered is not null && ReferenceEquals(answered, _firstTried),
                    _owner._timeProvider.GetElapsedTime(Begun));
            }

            foreach (var lane in _lanes)
            {
                if (lane is not null && !ReferenceEquals(lane, winner))
                {
                    lane.Cancel();
                    lane.Dispose();
                }
            }

            if (outcome.Exception is { } exception)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception);
            }

            // A lane always makes an attempt or reports the spent budget, so the first lane has a response.
            var response = answer ?? first?.Result ?? throw new InvalidOperationException("The hedged request ended without a response.");
            response.Attempts = _started;
            if (winner is null)
            {
                return response;
            }

            if (response.Events is { } events)
            {
                return response.WithEvents(events, new LaneOwner(response.Owner, winner));
            }

            winner.Dispose();
            return response;
        }

        private void RecordLoss(RouteTarget target)
        {
            // Nothing of a lost stream was read (it lost before its first event, or was disposed at it), so its usage
            // is not known: the prompt's estimate stands for it, and no output.
            var prompt = _owner._estimator.EstimatePromptTokens(_request.Body.Span, _request.Operation);
            var cost = UsageCost.Of(new UsageCounts(prompt, 0, 0, 0), _table.Facts.Get(target.Model));
            _owner.RecordLoss(_table.NameOf(target.Model) ?? RouteTable.UnresolvedModel, target.Provider.Name, prompt, cost);
        }
    }

    /// <summary>Disposes the winning lane's token with the answer.</summary>
    private sealed class LaneOwner(IAsyncDisposable? inner, HedgeLane lane) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (inner is not null)
            {
                await inner.DisposeAsync();
            }

            lane.Dispose();
        }
    }
}

/// <summary>
/// One of the two runs of <c>GatewayPipeline.FailOverAsync</c> for a hedged stream (<see cref="StreamHedging"/>): the
/// failover claims each target through it before trying it, and counts its budget from the request's first attempt.
/// </summary>
internal sealed class HedgeLane(StreamHedging.HedgedRun run, CancellationTokenSource cancellation) : IDisposable
{
    private int _disposed;

    /// <summary>Gets when the request's attempts began, for the request budget.</summary>
    public long Begun => run.Begun;

    /// <summary>Gets the number of this lane's current attempt among all the request's attempts, from 1.</summary>
    public int Number { get; internal set; }

    /// <summary>Gets the target of this lane's current attempt.</summary>
    public RouteTarget? Current { get; internal set; }

    /// <summary>Gets the token the lane runs on: linked to the caller's, cancelled when the lane loses.</summary>
    internal CancellationToken Token => cancellation.Token;

    internal GatewayResponse? Result { get; set; }

    internal Exception? Failure { get; set; }

    internal bool Done { get; set; }

    /// <summary>Claims <paramref name="target"/> for this lane's next attempt; false when the other lane has it or the
    /// request's attempts are spent, and the target is then skipped.</summary>
    public bool TryClaim(RouteTarget target) => run.TryClaim(this, target);

    internal void Cancel()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            cancellation.Cancel();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            cancellation.Dispose();
        }
    }
}
