using System.Diagnostics;

namespace LlmGateway.Internal;

/// <summary>
/// One gateway call as telemetry sees it: the request span (kind Internal: the gateway's own handling, a child of the
/// ASP.NET Core request span) with a child span per attempt (kind Client: the calls to a provider, made while the
/// attempt span is current so the upstream request carries its <c>traceparent</c>), and the GenAI and
/// <c>llmgateway.*</c> measurements, recorded once when the answer is known, or for a stream when it ends.
/// </summary>
/// <remarks>Spans follow the GenAI conventions: named <c>{gen_ai.operation.name} {model}</c>, with the GenAI attributes;
/// a span may carry the request id, a metric tag never does. A model name is shown, on spans and metrics alike, only
/// when the configuration or an upstream's model list spells it out; any other name a client sends shows as
/// <see cref="RouteTable.UnresolvedModel"/>. Provider names are the configuration's instance names.</remarks>
internal sealed class RequestTelemetry
{
    public const string SourceName = "LlmGateway";

    /// <summary>The gateway's one activity source; static as it holds no state of its own.</summary>
    public static readonly ActivitySource Source = new(SourceName);

    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly long _started;
    private readonly Activity? _activity;
    private bool _namedModel;
    private string? _modelTag;
    private string? _responseModelTag;
    private bool _answeredByFirst;
    private int _ended;

    public RequestTelemetry(GatewayMetrics metrics, TimeProvider timeProvider, GatewayRequest request)
    {
        _metrics = metrics;
        _timeProvider = timeProvider;
        _started = timeProvider.GetTimestamp();
        Operation = OperationName(request.Operation);
        _activity = Source.StartActivity(Operation, ActivityKind.Internal);
        if (_activity is { IsAllDataRequested: true } activity)
        {
            activity.SetTag("gen_ai.operation.name", Operation);
            activity.SetTag("llmgateway.request_id", request.RequestId);
        }
    }

    /// <summary>Gets the GenAI operation name: <c>chat</c> (chat completions and the Responses API), <c>embeddings</c>,
    /// or the gateway's own <c>speech</c>, <c>transcription</c>, <c>translation</c>, <c>response_resource</c>.</summary>
    public string Operation { get; }

    /// <summary>Gets the name of the provider instance that answered, if any did.</summary>
    public string? Provider { get; private set; }

    /// <summary>Gets how many targets were tried (0 when none was: refused, invalid, answered from the cache).</summary>
    public int Attempts { get; private set; }

    /// <summary>Gets how many times attempts were retried on the same target by the upstream handler.</summary>
    public int Retries { get; private set; }

    /// <summary>Gets the time spent inside attempts, up to the answer or a stream's first event.</summary>
    public TimeSpan UpstreamTime { get; private set; }

    /// <summary>Gets or sets the usage the upstream reported (set when the call is settled).</summary>
    public UsageCounts? Usage { get; set; }

    /// <summary>Gets whether the cache answered (true), missed (false), or did not apply (null).</summary>
    public bool? CacheHit { get; private set; }

    /// <summary>Gets whether a hedge ran and its lane answered (true), ran and did not answer (false: the first attempt
    /// answered first, or neither did), or no hedge ran (null); see <see cref="StreamHedging"/>.</summary>
    public bool? HedgeWon { get; private set; }

    /// <summary>Gets the <c>error.type</c> the call ended with, if it failed.</summary>
    public string? ErrorType { get; private set; }

    /// <summary>Gets what became of the last cut of a stream (<see cref="StreamContinuation"/>'s outcomes), or null
    /// when no stream was cut with a target left to continue it.</summary>
    public string? Continuation { get; private set; }

    /// <summary>Gets the time since the call started.</summary>
    public TimeSpan Elapsed => _timeProvider.GetElapsedTime(_started);

    private string? ProviderType { get; set; }

    /// <summary>
    /// The request names a model. Until it resolves (<see cref="Resolve"/>), metric tags and span attributes show it as
    /// <see cref="RouteTable.UnresolvedModel"/>, never as the client wrote it: client-chosen names must not grow the
    /// metric series.
    /// </summary>
    public void RequestModel(string model) => _namedModel = model is not null;

    /// <summary>The requested model resolved to targets.</summary>
    /// <param name="name">The model as telemetry may show it (the configuration's spelling, or an id an upstream
    /// lists); null for a name the client made up that was routed by a pattern, shown as
    /// <see cref="RouteTable.UnresolvedModel"/>.</param>
    public void Resolve(string? name)
    {
        _modelTag = name ?? RouteTable.UnresolvedModel;
        if (_activity is not null)
        {
            _activity.SetTag("gen_ai.request.model", _modelTag);
            if (name is not null)
            {
                _activity.DisplayName = $"{Operation} {name}";
            }
        }
    }

    /// <param name="target">The target.</param>
    /// <param name="modelName">The target's model as telemetry may show it.</param>
    /// <param name="number">The attempt's number, from 1.</param>
    public Activity? StartAttempt(RouteTarget target, string modelName, int number)
    {
        Attempts = number;
        Provider = target.Provider.Name;
        ProviderType = target.Provider.Type;
        var activity = Source.HasListeners() ? Source.StartActivity($"{Operation} {modelName}", ActivityKind.Client) : null;
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("gen_ai.operation.name", Operation);
            activity.SetTag("gen_ai.request.model", modelName);
            activity.SetTag("gen_ai.provider.name", ProviderName(target.Provider.Type));
            activity.SetTag("llmgateway.provider", target.Provider.Name);
            activity.SetTag("llmgateway.attempt", number);
        }

        return activity;
    }

    /// <summary>An attempt that answered, well or not: its time counts as upstream time.</summary>
    public void EndAttempt(Activity? activity, GatewayResponse response, TimeSpan elapsed)
    {
        UpstreamTime += elapsed;
        if (response.UpstreamCall is { } upstream)
        {
            ReportUpstream(activity, upstream, response.ProviderName);
        }

        if (activity is null)
        {
            return;
        }

        activity.SetTag("http.response.status_code", response.StatusCode);
        if (response.Error is { } error)
        {
            var type = ErrorTypeOf(error.Kind);
            activity.SetTag("error.type", type);
            activity.SetStatus(ActivityStatusCode.Error, type);
        }

        activity.Stop();
    }

    /// <summary>What the upstream handler did in an attempt: its same-target retries (each counted in
    /// <c>llmgateway.retries</c>, and on the attempt's span as <c>llmgateway.retries</c> and an event per retry), and a
    /// first-byte timeout (<c>llmgateway.first_byte_timeouts</c>, <c>llmgateway.timeout</c> = <c>first_byte</c>).</summary>
    private void ReportUpstream(Activity? activity, UpstreamCallState upstream, string? provider)
    {
        var reasons = upstream.Reasons;
        if (reasons.Count > 0)
        {
            Retries += reasons.Count;
            foreach (var reason in reasons)
            {
                _metrics.RecordRetry(Operation, provider, reason, upstream.Patient);
            }

            if (activity is { IsAllDataRequested: true })
            {
                activity.SetTag("llmgateway.retries", reasons.Count);
                activity.SetTag("llmgateway.retry.patient", upstream.Patient);
                foreach (var reason in reasons)
                {
                    activity.AddEvent(new ActivityEvent("llmgateway.retry", tags: new ActivityTagsCollection { ["llmgateway.retry.reason"] = reason }));
                }
            }
        }

        if (upstream.FirstByteTimedOut)
        {
            _metrics.RecordFirstByteTimeout(Operation, provider);
            activity?.SetTag("llmgateway.timeout", "first_byte");
        }
    }

    /// <summary>An attempt that threw (the caller went away, or a bug).</summary>
    public void EndAttempt(Activity? activity, Exception exception, TimeSpan elapsed)
    {
        UpstreamTime += elapsed;
        if (activity is not null)
        {
            var type = ErrorTypeOf(exception);
            activity.SetTag("error.type", type);
            activity.SetStatus(ActivityStatusCode.Error, type);
            activity.Stop();
        }
    }

    /// <summary>
    /// A hedged stream's race is over (both lanes have ended): the attempts of the two lanes, which ran at once, are
    /// counted together, the upstream time is the race's, and the provider is the one that answered.
    /// </summary>
    /// <param name="hedgeWon">Whether the hedge's lane answered.</param>
    /// <param name="attempts">The attempts both lanes started.</param>
    /// <param name="answered">The target that answered, if one did.</param>
    /// <param name="answeredByFirst">Whether that target is the one tried first (then the answer is no fallback).</param>
    /// <param name="upstreamTime">The time from the first attempt to the answer.</param>
    public void Hedged(bool hedgeWon, int attempts, RouteTarget? answered, bool answeredByFirst, TimeSpan upstreamTime)
    {
        HedgeWon = hedgeWon;
        Attempts = attempts;
        UpstreamTime = upstreamTime;
        _answeredByFirst = answeredByFirst;
        if (answered is not null)
        {
            Provider = answered.Provider.Name;
            ProviderType = answered.Provider.Type;
        }

        if (_activity is { IsAllDataRequested: true } activity)
        {
            activity.SetTag("llmgateway.hedge", hedgeWon ? "won" : "lost");
        }
    }

    /// <summary>
    /// The pipeline's answer: an error or a body ends the call now; a stream (whose first event is in hand) records its
    /// time to first chunk and ends with the stream, through the <see cref="TracedEvents"/> it is wrapped in.
    /// </summary>
    public GatewayResponse Answered(GatewayResponse response)
    {
        _responseModelTag = response.UsageModel ?? _responseModelTag;
        Provider = response.ProviderName ?? Provider;
        if (response.Cache is { } cache)
        {
            CacheHit = cache.Hit;
        }

        if (response.Error is { } error)
        {
            var type = ErrorTypeOf(error.Kind);
            _metrics.RecordError(type, Operation);
            End(type);
        }
        else if (response.Events is { } events)
        {
            _metrics.RecordTimeToFirstChunk(Elapsed, Tags(errorType: null));
            var traced = new TracedEvents(events, this, response.Owner);
            response = response.WithEvents(traced, traced);
        }
        else
        {
            End(errorType: null);
        }

        response.RequestTelemetry = this;
        return response;
    }

    /// <summary>A stream was cut after output reached the client, and a continuation was tried: counted, and shown on
    /// the request span.</summary>
    public void Continued(string outcome)
    {
        Continuation = outcome;
        _metrics.RecordContinuation(outcome, Operation);
        _activity?.SetTag("llmgateway.continuation", outcome);
    }

    /// <summary>The pipeline threw: cancellation (the caller went away) or a bug.</summary>
    public void Failed(Exception exception) => End(ErrorTypeOf(exception));

    /// <summary>A stream failed after it started.</summary>
    public void StreamFailed(GatewayErrorKind kind)
    {
        var type = ErrorTypeOf(kind);
        _metrics.RecordError(type, Operation);
        End(type);
    }

    /// <summary>Records the measurements and ends the request span, once.</summary>
    public void End(string? errorType)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        ErrorType = errorType;
        if (_namedModel && _modelTag is null)
        {
            // Refused or not found before it resolved: the name stays the client's own.
            _modelTag = RouteTable.UnresolvedModel;
            _activity?.SetTag("gen_ai.request.model", _modelTag);
        }

        var elapsed = Elapsed;
        var tags = Tags(errorType);
        _metrics.RecordDuration(elapsed, tags);
        var usage = CacheHit == true ? null : Usage; // a cached answer cost no tokens
        if (usage is { } counts)
        {
            var tokenTags = Tags(errorType: null);
            _metrics.RecordTokens(counts.PromptTokens, "input", tokenTags);
            _metrics.RecordTokens(counts.CompletionTokens, "output", tokenTags);
        }

        if (Attempts > 0)
        {
            var routed = new TagList { { "gen_ai.operation.name", Operation } };
            if (_modelTag is not null)
            {
                routed.Add("gen_ai.request.model", _modelTag);
            }

            _metrics.RecordAttempts(Attempts, routed);
            if (errorType is null && Attempts > 1 && !_answeredByFirst)
            {
                routed.Add("llmgateway.provider", Provider);
                _metrics.RecordFallback(routed);
            }
        }

        if (_activity is not { } activity)
        {
            return;
        }

        if (activity.IsAllDataRequested)
        {
            activity.SetTag("gen_ai.response.model", _responseModelTag);
            activity.SetTag("gen_ai.provider.name", ProviderType is null ? null : ProviderName(ProviderType));
            activity.SetTag("llmgateway.provider", Provider);
            activity.SetTag("llmgateway.attempts", Attempts);
            if (Retries > 0)
            {
                activity.SetTag("llmgateway.retries", Retries);
            }
            activity.SetTag("llmgateway.cache.result", CacheHit switch { true => "hit", false => "miss", null => null });
            if (usage is { } reported)
            {
                activity.SetTag("gen_ai.usage.input_tokens", reported.PromptTokens);
                activity.SetTag("gen_ai.usage.output_tokens", reported.CompletionTokens);
            }
        }

        if (errorType is not null)
        {
            activity.SetTag("error.type", errorType);
            activity.SetStatus(ActivityStatusCode.Error, errorType);
        }

        activity.Stop();
    }

    private TagList Tags(string? errorType)
    {
        var tags = new TagList { { "gen_ai.operation.name", Operation } };
        if (_modelTag is not null)
        {
            tags.Add("gen_ai.request.model", _modelTag);
        }

        if (_responseModelTag is not null)
        {
            tags.Add("gen_ai.response.model", _responseModelTag);
        }

        if (ProviderType is not null)
        {
            tags.Add("gen_ai.provider.name", ProviderName(ProviderType));
        }

        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        return tags;
    }

    /// <summary>The <c>error.type</c> of a gateway error: its kind's code (<c>upstream_error</c>, <c>rate_limit_exceeded</c>…).</summary>
    public static string ErrorTypeOf(GatewayErrorKind kind) => ErrorMap.Get(kind).Code ?? kind.ToString();

    private static string ErrorTypeOf(Exception exception) =>
        exception is OperationCanceledException ? "canceled" : exception.GetType().FullName ?? "exception";

    public static string OperationName(GatewayOperation operation) => operation switch
    {
        GatewayOperation.ChatCompletions or GatewayOperation.Responses => "chat",
        GatewayOperation.Embeddings => "embeddings",
        GatewayOperation.AudioSpeech => "speech",
        GatewayOperation.AudioTranscriptions => "transcription",
        GatewayOperation.AudioTranslations => "translation",
        _ => "response_resource",
    };

    /// <summary>The GenAI conventions' <c>gen_ai.provider.name</c> of a provider type: <c>openai</c>, <c>gcp.gemini</c>.</summary>
    public static string ProviderName(string providerType) =>
        providerType.Equals(ProviderTypes.OpenAI, StringComparison.OrdinalIgnoreCase) ? "openai"
        : providerType.Equals(ProviderTypes.Gemini, StringComparison.OrdinalIgnoreCase) ? "gcp.gemini"
        : providerType;
}
