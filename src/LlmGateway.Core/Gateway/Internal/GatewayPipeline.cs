using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>
/// The gateway pipeline: read what routing needs from the body, resolve the model, rewrite the body only when the
/// model id changes, call the provider, and for a stream wait for its first event before answering, so that every
/// failure that happens before any output is still an error response with a proper status.
/// </summary>
internal sealed class GatewayPipeline(
    RouteTableProvider routes,
    ModelListService modelLists,
    ResourceOwners resourceOwners,
    TargetHealth health,
    InFlightCounter inFlight,
    LatencyTracker latency,
    StreamHedging hedging,
    CallerPolicy policy,
    ResponseCache cache,
    TimeProvider timeProvider,
    GatewayMetrics metrics,
    IEnumerable<GatewayStage> userStages,
    IServiceProvider services,
    ILogger<GatewayPipeline> logger) : ILlmGateway
{
    private const string ProviderHeader = "x-llmgateway-provider";

    private StreamContinuations? _continuations;

    /// <summary>Continuation of chat streams cut after output reached the client; one per pipeline, made on first use
    /// (a field initializer cannot share the constructor's parameters with the methods).</summary>
    private StreamContinuations Continuations =>
        _continuations ?? Interlocked.CompareExchange(ref _continuations, new StreamContinuations(health, inFlight, latency, timeProvider), null) ?? _continuations!;

    public async ValueTask<GatewayResponse> SendAsync(GatewayRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = new RequestTelemetry(metrics, timeProvider, request);
        GatewayResponse response;
        try
        {
            response = await SendCoreAsync(request, call, cancellationToken);
        }
        catch (Exception ex)
        {
            call.Failed(ex);
            throw;
        }

        return call.Answered(response);
    }

    private async ValueTask<GatewayResponse> SendCoreAsync(GatewayRequest request, RequestTelemetry call, CancellationToken cancellationToken)
    {
        var table = routes.Current;
        if (request.Body.Length > table.Options.MaxRequestBodySize)
        {
            return GatewayResponse.FromError(TooLarge(table.Options.MaxRequestBodySize));
        }

        if (request.Provider is { } header && ClientText.IndexOfControl(header) is var at and >= 0)
        {
            return GatewayResponse.FromError(new GatewayError(
                GatewayErrorKind.InvalidValue,
                $"The {ProviderHeader} header cannot contain control characters ({ClientText.Describe(header[at])} at position {at}).",
                ProviderHeader));
        }

        if (request.Operation == GatewayOperation.ResponsesResource)
        {
            return await SendResourceRequestAsync(table, request, cancellationToken);
        }

        var peek = request.Operation is GatewayOperation.AudioTranscriptions or GatewayOperation.AudioTranslations
            ? MultipartPeek.Read(request.Body.Span, request.ContentType)
            : RequestPeek.Read(request.Body.Span, request.Operation);
        if (peek.Error is { } invalid)
        {
            return GatewayResponse.FromError(invalid);
        }

        call.RequestModel(peek.Model);
        ILlmProvider? pinnedProvider = null;
        if (request.Provider is { } named && (pinnedProvider = table.GetProvider(named)) is null)
        {
            // Refused before the caller's limits count it.
            return GatewayResponse.FromError(UnknownProvider(named));
        }

        if ((peek.PreviousResponseId is not null || peek.CachedContent is not null || peek.Conversation is not null)
            && await CheckReferencesAsync(request, peek, cancellationToken) is { } unknown)
        {
            return GatewayResponse.FromError(unknown);
        }

        // x-llmgateway-provider pins the instance: the request goes to one target, and the caller's policy judges it
        // by that target's instance/model id, as if the request had named it.
        RouteTarget? pinned = null;
        GatewayError? pinError = null;
        string? pinnedModel = null;
        if (pinnedProvider is not null)
        {
            (pinned, pinError) = await PinAsync(table, pinnedProvider, peek, cancellationToken);
            pinnedModel = pinned is { } target ? target.Provider.Name + "/" + target.Model : pinnedProvider.Name + "/" + peek.Model;
        }

        var (admission, refusal) = await policy.AdmitAsync(table, request, peek, pinnedModel, cancellationToken);
        if (refusal is not null)
        {
            return Refused(refusal, admission);
        }

        if (pinError is not null)
        {
            await policy.SettleAsync(admission!, table, model: null, provider: null, counts: null);
            return Refused(pinError, admission);
        }

        // Admitted: the stages added with Use run next, then the cache, routing and accounting.
        var stages = Stages;
        if (stages is null)
        {
            return await AfterAdmissionAsync(table, request, peek, admission!, pinned, call, cancellationToken);
        }

        var context = new GatewayContext(request, peek.Model, request.RequestServices ?? services, cancellationToken)
        {
            Table = table,
            Admitted = request,
            Peek = peek,
            Admission = admission!,
            Pinned = pinned,
            Telemetry = call,
        };
        return await RunStagesAsync(stages, context);
    }

    /// <summary>The stages added with <see cref="LlmGatewayBuilderExtensions.Use(ILlmGatewayBuilder, Func{GatewayRequestDelegate, GatewayRequestDelegate})"/>,
    /// chained once, with the built-in stages after admission at the end; null when there are none, so a request
    /// without them allocates nothing for them.</summary>
    private GatewayRequestDelegate? Stages => _stagesBuilt ? _stages : BuildStages();

    private GatewayRequestDelegate? _stages;
    private volatile bool _stagesBuilt;

    private GatewayRequestDelegate? BuildStages()
    {
        lock (userStages)
        {
            if (!_stagesBuilt)
            {
                _stages = GatewayStage.Chain(userStages, services, AfterUserStagesAsync);
                _stagesBuilt = true;
            }

            return _stages;
        }
    }

    /// <summary>Runs the stages; whatever way they end, the admission is settled once and the answer carries the
    /// caller's rate-limit report.</summary>
    private async ValueTask<GatewayResponse> RunStagesAsync(GatewayRequestDelegate stages, GatewayContext context)
    {
        var admission = context.Admission!;
        GatewayResponse response;
        try
        {
            response = await stages(context);
        }
        catch
        {
            // Settling twice is a no-op: a stage that threw after the rest of the pipeline answered changes nothing.
            await policy.SettleAsync(admission, context.Table!, model: null, provider: null, counts: null);
            throw;
        }

        ArgumentNullException.ThrowIfNull(response);
        if (!context.ReachedGateway)
        {
            // A stage answered by itself: nothing was sent, nothing is counted.
            await policy.SettleAsync(admission, context.Table!, model: null, provider: null, counts: null);
        }

        response.RateLimit ??= admission.Report;
        return response;
    }

    /// <summary>The end of the stages' chain: the request as the stages left it (its body; everything else as
    /// admitted) goes on to the cache, routing and accounting.</summary>
    private ValueTask<GatewayResponse> AfterUserStagesAsync(GatewayContext context)
    {
        context.ReachedGateway = true;
        var admitted = context.Admitted!;
        var table = context.Table!;
        if (context.ResourceOwner is { } owner)
        {
            return SendResourceAsync(table, admitted.WithBody(context.Request.Body), owner.Length == 0 ? null : owner, context.Admission!, context.CancellationToken);
        }

        var request = admitted;
        var peek = context.Peek;
        if (!context.Request.Body.Equals(admitted.Body))
        {
            request = admitted.WithBody(context.Request.Body);
            peek = request.Operation is GatewayOperation.AudioTranscriptions or GatewayOperation.AudioTranslations
                ? MultipartPeek.Read(request.Body.Span, request.ContentType)
                : RequestPeek.Read(request.Body.Span, request.Operation);
            if (peek.Error is { } invalid)
            {
                return ValueTask.FromResult(GatewayResponse.FromError(invalid));
            }
        }

        return AfterAdmissionAsync(table, request, peek, context.Admission!, context.Pinned, context.Telemetry!, context.CancellationToken);
    }

    /// <summary>The built-in stages after admission: the cache (and single flight), routing and failover, accounting.</summary>
    private async ValueTask<GatewayResponse> AfterAdmissionAsync(RouteTable table, GatewayRequest request, RequestPeek peek, Admission admission, RouteTarget? pinned, RequestTelemetry call, CancellationToken cancellationToken)
    {
        var clientWantsUsage = peek.IncludeUsage;
        var plan = ResponseCache.Plan(table, request, peek);
        ResponseCache.Flight? flight = null;
        if (plan is { Lookup: true })
        {
            if (await cache.LookupAsync(plan, table, EmbedAsync, cancellationToken) is { } hit)
            {
                return await AnswerFromCacheAsync(table, admission, hit, peek, call);
            }

            // Identical requests arriving together: one goes upstream, the others wait for its answer to be stored.
            while (plan.Store && !cache.TryLead(plan.Key, out flight, out var leader))
            {
                await leader!.WaitAsync(cancellationToken);
                if (await cache.LookupAsync(plan, table, EmbedAsync, cancellationToken) is { } shared)
                {
                    return await AnswerFromCacheAsync(table, admission, shared, peek, call);
                }
            }
        }

        if (request.Operation == GatewayOperation.ChatCompletions && peek.Stream && !peek.IncludeUsage)
        {
            // Usage is counted from every stream: ask the upstream for it; the usage chunk is taken out again on the
            // way to a client that did not ask for it.
            request = request.WithBody(ModelRewriter.WithIncludeUsage(request.Body, peek.HasStreamOptions));
            peek = RequestPeek.Read(request.Body.Span, request.Operation);
        }

        GatewayResponse response;
        UsageCounts? usage;
        var started = timeProvider.GetTimestamp();
        try
        {
            response = await RouteAsync(table, request, peek, pinned, admission.PromptEstimate, call, cancellationToken);

            // A body's usage is read once, for the cache entry and for the accounting.
            usage = response is { IsSuccess: true, Events: null, BodyStream: null } ? UsageReader.FromBody(response.Body.Span) : null;
            if (plan is not null)
            {
                response = await CacheAsync(plan, flight, request.Operation, response, usage, started);
            }
        }
        catch
        {
            flight?.Complete();
            await policy.SettleAsync(admission, table, model: null, provider: null, counts: null);
            throw;
        }

        return await AccountAsync(table, admission, request.Operation, response, usage, clientWantsUsage, call);
    }

    /// <summary>Keeps a successful answer: a body at once, a stream once it has ended cleanly; errors never, nor answers
    /// for a model the client made up (their hits would be usage under its name).</summary>
    private async ValueTask<GatewayResponse> CacheAsync(CachePlan plan, ResponseCache.Flight? flight, GatewayOperation operation, GatewayResponse response, UsageCounts? usage, long started)
    {
        if (response.UsageModel == RouteTable.UnresolvedModel)
        {
            flight?.Complete();
            return response;
        }

        if (response.Events is not null && response.IsSuccess && plan.Store)
        {
            return cache.Record(plan, response, flight, started); // completes the flight when the stream ends
        }

        try
        {
            if (response.IsSuccess && plan.Store && response.Events is null && response.BodyStream is null && response.StatusCode == 200)
            {
                await cache.StoreAsync(plan, response, operation, usage, timeProvider.GetElapsedTime(started));
            }

            cache.Missed(plan, response);
            return response;
        }
        finally
        {
            flight?.Complete();
        }
    }

    /// <summary>A hit: its token reservations are given back and it is counted as a request to the model from provider
    /// <c>cache</c>, with no tokens and no cost.</summary>
    private async ValueTask<GatewayResponse> AnswerFromCacheAsync(RouteTable table, Admission admission, (CachedResponse Entry, TimeSpan Remaining, string Key) hit, RequestPeek peek, RequestTelemetry call)
    {
        var response = cache.Answer(hit.Entry, hit.Remaining, hit.Key, peek.Stream, peek.IncludeUsage);

        // Only answers of models that resolved are cached: the names are the configuration's, or an upstream list's.
        call.Resolve(table.NameOf(peek.Model) ?? peek.Model);
        response.UsageModel = table.NameOf(hit.Entry.Model) ?? hit.Entry.Model;
        await policy.SettleAsync(admission, table, hit.Entry.Model, CallerPolicy.CacheProvider, new UsageCounts(0, 0, 0, 0), recordAs: response.UsageModel);
        response.RateLimit = admission.Report;
        return response;
    }

    /// <summary>The semantic cache's embedding of a text, through the gateway itself (routing, failover, the cache).</summary>
    private async ValueTask<float[]?> EmbedAsync(string model, string text, CancellationToken cancellationToken)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(text.Length + 64);
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, model);
            writer.WriteString("input"u8, text);
            writer.WriteEndObject();
        }

        var response = await SendAsync(new GatewayRequest(GatewayOperation.Embeddings, buffer.WrittenMemory) { Caller = ResponseCache.SemanticCaller }, cancellationToken);
        await using (response)
        {
            if (response.Error is { } error)
            {
                logger.SemanticEmbeddingFailed(ClientText.ForLog(model), ClientText.ForLog(error.Message));
                return null;
            }

            return ResponseCache.ReadEmbedding(response.Body.Span);
        }
    }

    /// <summary>Settles a call's usage: at once for a body or an error, at the end for a stream.</summary>
    private async ValueTask<GatewayResponse> AccountAsync(RouteTable table, Admission admission, GatewayOperation operation, GatewayResponse response, UsageCounts? bodyUsage, bool clientWantsUsage, RequestTelemetry call)
    {
        if (response.Error is not null || response.TargetModel is not { } model)
        {
            await policy.SettleAsync(admission, table, model: null, provider: null, counts: null);
            response.RateLimit = admission.Report;
            return response;
        }

        if (response.Events is { } events)
        {
            var accounted = response.WithEvents(
                new AccountedEvents(events, policy, admission, table, model, response.UsageModel ?? model, response.ProviderName, operation, clientWantsUsage, call),
                response.Owner);
            accounted.RateLimit = admission.Report;
            return accounted;
        }

        var counts = response.BodyStream is not null ? new UsageCounts(0, 0, 0, 0) : bodyUsage;
        call.Usage = response.BodyStream is null ? counts : null;
        await policy.SettleAsync(admission, table, model, response.ProviderName, counts, recordAs: response.UsageModel);
        response.RateLimit = admission.Report;
        return response;
    }

    private static GatewayResponse Refused(GatewayError error, Admission? admission)
    {
        var response = GatewayResponse.FromError(error);
        response.RateLimit = admission?.Report;
        return response;
    }

    /// <summary>Resolves the targets and fails over among them. A pinned request has its one target already; a model
    /// the table knows, with no fallbacks or brought key, goes straight on without a state machine of its own.</summary>
    private ValueTask<GatewayResponse> RouteAsync(RouteTable table, GatewayRequest request, RequestPeek peek, RouteTarget? pinned, int? promptEstimate, RequestTelemetry call, CancellationToken cancellationToken)
    {
        var routing = new RoutingRequest(request.Operation, peek.Stream, promptEstimate, CircuitScope.CallerOf(request));
        if (pinned is not null)
        {
            // The client's model as the configuration spells it, else unresolved: the pin names a configured
            // instance, but the model after it can be anything.
            var pinnedName = table.NameOf(peek.Model);
            call.Resolve(pinnedName);
            return FailOverAsync(table, request, peek, [pinned], pinnedName, call, cancellationToken);
        }

        if (peek.Fallbacks is null && request.ProviderApiKey is null && table.Targets(peek.Model, routing) is { } known)
        {
            var name = table.NameOf(peek.Model);
            call.Resolve(name);
            return FailOverAsync(table, request, peek, known, name, call, cancellationToken);
        }

        return RouteSlowAsync(table, request, peek, routing, call, cancellationToken);
    }

    private async ValueTask<GatewayResponse> RouteSlowAsync(RouteTable table, GatewayRequest request, RequestPeek peek, RoutingRequest routing, RequestTelemetry call, CancellationToken cancellationToken)
    {
        var targets = await TargetsAsync(table, peek.Model, routing, cancellationToken);
        if (targets is null)
        {
            return GatewayResponse.FromError(NotFound(peek.Model, "model"));
        }

        // A name the configuration does not spell out resolved either through a pattern (a catalog prefix,
        // "<instance>/…"), which a client can fill with anything, or through an upstream's model list, which it cannot.
        var name = table.NameOf(peek.Model) ?? (table.Routes(peek.Model) ? null : peek.Model);

        if (peek.Fallbacks is { Count: > 0 } fallbacks)
        {
            var all = targets.ToList();
            for (var i = 0; i < fallbacks.Count; i++)
            {
                var more = await TargetsAsync(table, fallbacks[i], routing, cancellationToken);
                if (more is null)
                {
                    return GatewayResponse.FromError(NotFound(fallbacks[i], $"fallbacks[{i}]"));
                }

                all.AddRange(more);
            }

            targets = all;
        }

        if (request.ProviderApiKey is not null && targets.Count > 1)
        {
            // A key the caller brought was issued by one upstream: it goes to the first target's upstream and to
            // targets on that same upstream, never to another one.
            var upstream = UpstreamOf(table, targets[0].Provider);
            targets = targets.Where(t => UpstreamOf(table, t.Provider) == upstream).ToList();
        }

        call.Resolve(name);
        return await FailOverAsync(table, request, peek, targets, name, call, cancellationToken);
    }

    /// <summary>
    /// The one target of a request pinned to a configured instance by <c>x-llmgateway-provider</c>: that instance's
    /// target among the model's (then its fallbacks'), else the model as the body names it, on that instance.
    /// </summary>
    private async ValueTask<(RouteTarget? Target, GatewayError? Error)> PinAsync(RouteTable table, ILlmProvider provider, RequestPeek peek, CancellationToken cancellationToken)
    {
        var targets = await TargetsAsync(table, peek.Model, default, cancellationToken);
        if (targets is null)
        {
            return (null, NotFound(peek.Model, "model"));
        }

        var target = On(targets, provider);
        if (peek.Fallbacks is { Count: > 0 } fallbacks)
        {
            for (var i = 0; i < fallbacks.Count; i++)
            {
                var more = await TargetsAsync(table, fallbacks[i], default, cancellationToken);
                if (more is null)
                {
                    return (null, NotFound(fallbacks[i], $"fallbacks[{i}]"));
                }

                target ??= On(more, provider);
            }
        }

        return (target ?? table.WithFacts(new RouteTarget(provider, peek.Model)), null);

        static RouteTarget? On(IReadOnlyList<RouteTarget> targets, ILlmProvider provider)
        {
            foreach (var target in targets)
            {
                if (ReferenceEquals(target.Provider, provider))
                {
                    return target;
                }
            }

            return null;
        }
    }

    private static (string Type, string BaseUrl) UpstreamOf(RouteTable table, ILlmProvider provider) =>
        (provider.Type.ToUpperInvariant(), table.Options.Providers.TryGetValue(provider.Name, out var options) ? (options.BaseUrl ?? string.Empty).TrimEnd('/').ToUpperInvariant() : provider.Name);

    /// <summary>
    /// Tries the targets in order until one answers: a retryable failure (408, 429, 5xx, an unreachable or silent
    /// upstream, a stream that broke before its first event, an operation the target cannot do) moves on to the next
    /// at once; any other failure is the answer. Targets cooling down after a <c>Retry-After</c> are skipped while
    /// others remain. At most <see cref="LlmGatewayOptions.MaxAttempts"/> targets are tried; nothing has reached the
    /// client before an answer is chosen, so no output is ever repeated or cut.
    /// </summary>
    /// <param name="table">The route table.</param>
    /// <param name="request">The request.</param>
    /// <param name="peek">What was read of its body.</param>
    /// <param name="targets">The targets, in order.</param>
    /// <param name="modelName">The requested model as telemetry and usage may show it; null when it is the client's own
    /// invention (see <see cref="RouteTable.NameOf"/>).</param>
    /// <param name="call">The call's telemetry.</param>
    /// <param name="cancellationToken">The caller's token.</param>
    /// <param name="lane">For a hedged stream, the lane this run is (see <see cref="StreamHedging"/>); null otherwise.</param>
    private async ValueTask<GatewayResponse> FailOverAsync(RouteTable table, GatewayRequest request, RequestPeek peek, IReadOnlyList<RouteTarget> targets, string? modelName, RequestTelemetry call, CancellationToken cancellationToken, HedgeLane? lane = null)
    {
        // Targets whose circuit is open (for everyone, or for this caller) go last: tried only when nothing else is left.
        var caller = CircuitScope.CallerOf(request);
        if (lane is null && hedging.Plan(table, request, peek, targets, caller, call) is { } hedged)
        {
            // A stream whose first event is late gets the next target started alongside: two runs of this method share
            // the targets, and the first to deliver a first event answers.
            return await hedged.RunAsync((hedgeLane, token) => FailOverAsync(table, request, peek, targets, modelName, call, token, hedgeLane), cancellationToken);
        }

        IReadOnlyList<RouteTarget> candidates = targets.Count > 1 ? targets.OrderBy(t => health.IsOpen(t, caller)).ToList() : targets;
        GatewayResponse? last = null;
        var attempts = 0;
        ContextOverflow? overflow = null;
        var begun = lane?.Begun ?? timeProvider.GetTimestamp();
        foreach (var target in candidates)
        {
            if (attempts == table.Options.MaxAttempts)
            {
                break;
            }

            if (overflow?.Skips(target) == true)
            {
                continue; // the prompt did not fit this model, or a window this size
            }

            TimeSpan? remaining = table.Options.RequestBudget is { } budget ? budget - timeProvider.GetElapsedTime(begun) : null;
            if (remaining <= TimeSpan.Zero)
            {
                last = GatewayResponse.FromError(new GatewayError(GatewayErrorKind.UpstreamTimeout, $"The request's time budget ({table.Options.RequestBudget}, LlmGateway:RequestBudget) ran out after {attempts} attempt(s)."));
                break;
            }

            var isLastCandidate = ReferenceEquals(target, candidates[^1]);
            if (lane?.TryClaim(target) == false)
            {
                continue; // a hedged stream's other lane has it, or the request's attempts are spent
            }

            if (!health.TryEnter(target, caller) && !isLastCandidate)
            {
                continue; // open circuit, or another request is probing it
            }

            attempts++;
            var isLast = attempts == table.Options.MaxAttempts || isLastCandidate;
            inFlight.Enter(target.Name);
            var started = timeProvider.GetTimestamp();
            var targetName = table.NameOf(target.Model) ?? (modelName is not null && target.Model == modelName ? modelName : RouteTable.UnresolvedModel);
            var span = call.StartAttempt(target, targetName, lane?.Number ?? attempts);
            GatewayResponse response;
            try
            {
                response = await AttemptAsync(request, peek, target, caller, allowRetries: isLast, remaining, cancellationToken);
            }
            catch (Exception ex)
            {
                health.Released(target);
                call.EndAttempt(span, ex, timeProvider.GetElapsedTime(started));
                throw;
            }
            finally
            {
                inFlight.Exit(target.Name);
            }

            call.EndAttempt(span, response, timeProvider.GetElapsedTime(started));

            if (response.IsSuccess)
            {
                // The time to the answer, or for a stream to its first event.
                latency.Record(target.Name, timeProvider.GetElapsedTime(started), stream: response.Events is not null);
            }

            response.Attempts = attempts;
            response.TargetModel = target.Model;
            response.UsageModel = targetName;
            if (response.Error is not { } error)
            {
                health.Succeeded(target, caller);

                // A chat stream that is cut after output reached the client is continued on the candidates left.
                return response.Events is null ? response
                    : Continuations.WhenCut(response, table, request, candidates, target, attempts, begun, modelName, caller, call, AttemptAsync, cancellationToken);
            }

            last = response;
            if (!IsRetryable(error))
            {
                health.Succeeded(target, caller); // it answered: alive, whatever it thought of the request
            }

            if (IsContextLengthExceeded(error))
            {
                // Not retryable on the same model: only a target with a larger (or unknown) window can take the prompt.
                (overflow ??= new ContextOverflow()).Overflowed(target);
                continue;
            }

            if (!IsRetryable(error))
            {
                break;
            }

            health.Failed(target, caller, error.RetryAfter, table.Options.Circuit);
        }

        return last!;
    }

    /// <summary>OpenAI's <c>context_length_exceeded</c>, or Gemini's "exceeds the maximum number of tokens".</summary>
    private static bool IsContextLengthExceeded(GatewayError error)
    {
        if (error.StatusCode != 400)
        {
            return false;
        }

        if (error.Code == "context_length_exceeded")
        {
            return true;
        }

        var text = error.UpstreamBody.IsEmpty ? error.Message : System.Text.Encoding.UTF8.GetString(error.UpstreamBody.Span);
        return text.Contains("context_length_exceeded", StringComparison.Ordinal)
            || text.Contains("maximum context length", StringComparison.OrdinalIgnoreCase)
            || text.Contains("exceeds the maximum number of tokens", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsRetryable(GatewayError error) =>
        UpstreamResilience.IsRetryable((System.Net.HttpStatusCode)error.StatusCode) || error.Kind == GatewayErrorKind.UnsupportedOperation;

    private async ValueTask<IReadOnlyList<RouteTarget>?> TargetsAsync(RouteTable table, string model, RoutingRequest routing, CancellationToken cancellationToken) =>
        table.Targets(model, routing)
        ?? (await modelLists.ResolveFromUpstreamListsAsync(table, model, cancellationToken) is { } route ? [table.WithFacts(new RouteTarget(route.Provider, route.UpstreamModel))] : null);

    private static GatewayError UnknownProvider(string name) =>
        new(GatewayErrorKind.InvalidRequest, $"The provider '{name}' named by {ProviderHeader} is not configured.", ProviderHeader);

    private static GatewayError NotFound(string model, string param) => new(
        GatewayErrorKind.ModelNotFound,
        $"The model '{model}' does not exist or is not served by this gateway. Use '<provider>/<model>' to pick a provider instance, or list the model in LlmGateway:Providers:<name>:Models.",
        param);

    /// <summary>One attempt on one target: the capability check, the body with the target's model, the call, and for a
    /// stream its first event.</summary>
    private async ValueTask<GatewayResponse> AttemptAsync(GatewayRequest request, RequestPeek peek, RouteTarget target, string caller, bool allowRetries, TimeSpan? budget, CancellationToken cancellationToken)
    {
        var provider = target.Provider;
        var bridged = request.Operation == GatewayOperation.Responses
            && (provider.Capabilities & ProviderCapabilities.Responses) == 0
            && (provider.Capabilities & ProviderCapabilities.ChatCompletions) != 0;
        var needed = bridged ? ProviderCapabilities.ChatCompletions : request.Operation switch
        {
            GatewayOperation.ChatCompletions => peek.Stream ? ProviderCapabilities.StreamingChatCompletions : ProviderCapabilities.ChatCompletions,
            GatewayOperation.Embeddings => ProviderCapabilities.Embeddings,
            GatewayOperation.AudioSpeech => ProviderCapabilities.AudioSpeech,
            GatewayOperation.AudioTranscriptions => ProviderCapabilities.AudioTranscriptions,
            GatewayOperation.AudioTranslations => ProviderCapabilities.AudioTranslations,
            GatewayOperation.Responses => ProviderCapabilities.Responses,
            _ => ProviderCapabilities.None,
        };
        if (needed == ProviderCapabilities.None || (provider.Capabilities & needed) != needed)
        {
            return WithProvider(
                GatewayResponse.FromError(new GatewayError(
                    GatewayErrorKind.UnsupportedOperation,
                    $"The provider '{provider.Name}' ({provider.Type}) that serves '{peek.Model}' does not support {Describe(needed, request.Operation)}.",
                    "model")),
                provider);
        }

        var body = peek.Fallbacks is not null ? ModelRewriter.RewriteWithoutFallbacks(request.Body, target.Model)
            : target.Model == peek.Model ? request.Body
            : peek.IsMultipart ? ModelRewriter.RewriteRaw(request.Body.Span, peek.ModelStart, peek.ModelLength, target.Model)
            : ModelRewriter.Rewrite(request.Body.Span, peek.ModelStart, peek.ModelLength, target.Model);
        var apiKey = policy.ProviderKeyFor(request, target, out var keyError);
        if (keyError is not null)
        {
            return WithProvider(GatewayResponse.FromError(keyError), provider);
        }

        // A stream's headers and first event share one first-byte deadline; no retry wait runs past it or the budget.
        using var firstByte = peek.Stream ? FirstByteDeadline.Start(routes.Current.Options, budget, timeProvider, cancellationToken) : null;
        var providerRequest = new ProviderRequest(request.Operation, body, target.Model, peek.Stream)
        {
            RequestId = request.RequestId,
            ContentType = request.ContentType,
            AllowRetries = allowRetries,
            Timeout = budget,
            ApiKey = apiKey,
            CallerId = caller,
            ApiKeyFromCaller = request.ProviderApiKey is not null,
            Upstream = UpstreamCallState.For(timeProvider, firstByte?.Limit ?? budget),
        };

        GatewayResponse response;
        var token = firstByte?.Token ?? cancellationToken;
        try
        {
            if (bridged)
            {
                response = await BridgeResponsesAsync(provider, providerRequest, peek.Stream, firstByte, token);
            }
            else
            {
                // CallAsync, inlined: one async layer fewer on every request.
                try
                {
                    response = await provider.SendAsync(providerRequest, token);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    response = CallFailed(provider, ex);
                }

                response.ProviderName = provider.Name;
                if (request.Operation == GatewayOperation.Responses && response.IsSuccess)
                {
                    // Stored responses are later asked for by id alone: remember who made each, on which instance.
                    response = await resourceOwners.TrackAsync(response, provider.Name, ResourceOwners.OwnerOf(request));
                }

                if (response.Events is not null)
                {
                    response = await PrefetchFirstEventAsync(response, firstByte ?? FirstByteDeadline.Unbounded(timeProvider, cancellationToken));
                }
            }
        }
        catch (Exception) when (firstByte is { Expired: true })
        {
            // A silent upstream: its attempt, retries included, ends here (however the cancelled call ended), and the
            // request fails over at once.
            response = WithProvider(GatewayResponse.FromError(firstByte!.TimedOut(logger, provider.Name, providerRequest.Upstream)), provider);
        }

        response.UpstreamCall = providerRequest.Upstream;
        return response;
    }

    /// <summary>
    /// A request about a stored response (<c>GET</c>, <c>DELETE</c>, <c>…/cancel</c>, <c>…/input_items</c>): refused
    /// as unknown unless the caller created it, before anything is counted or sent; then admitted by the caller's
    /// policy and sent to the instance the caller pinned, else the one that created it.
    /// </summary>
    private async ValueTask<GatewayResponse> SendResourceRequestAsync(RouteTable table, GatewayRequest request, CancellationToken cancellationToken)
    {
        if (request.Method is null || request.ResourcePath is null)
        {
            throw new ArgumentException("A ResponsesResource request needs Method and ResourcePath.", nameof(request));
        }

        var id = ResourceOwners.IdOf(request.ResourcePath);
        var ownAccount = request.ProviderApiKey is not null;
        var (record, outcome) = id is not null
            ? await resourceOwners.CheckAsync(OwnedResourceKind.Response, id, ResourceOwners.OwnerOf(request), ownAccount, cancellationToken)
            : (null, ownAccount ? OwnershipOutcome.Allowed : OwnershipOutcome.NotFound);

        if (outcome != OwnershipOutcome.Allowed)
        {
            return GatewayResponse.FromError(outcome == OwnershipOutcome.Unavailable
                ? ResourceOwners.Unavailable($"the response '{id}'")
                : ResponseNotFound(id ?? string.Empty));
        }

        var (admission, refusal) = await policy.AdmitAsync(table, request, peek: null, pinnedModel: null, cancellationToken);
        if (refusal is not null)
        {
            return Refused(refusal, admission);
        }

        if (Stages is { } stages)
        {
            return await RunStagesAsync(stages, new GatewayContext(request, model: null, request.RequestServices ?? services, cancellationToken)
            {
                Table = table,
                Admitted = request,
                Admission = admission!,
                ResourceOwner = record?.Provider ?? string.Empty,
            });
        }

        return await SendResourceAsync(table, request, record?.Provider, admission!, cancellationToken);
    }

    private async ValueTask<GatewayResponse> SendResourceAsync(RouteTable table, GatewayRequest request, string? creator, Admission admission, CancellationToken cancellationToken)
    {
        var resource = await SendToResourceOwnerAsync(table, request, creator, cancellationToken);
        resource.RateLimit = admission.Report;
        return resource;
    }

    /// <summary>OpenAI's answer for a response id it does not know.</summary>
    private static GatewayError ResponseNotFound(string id) =>
        new(GatewayErrorKind.NotFound, $"Response with id '{id}' not found.") { Code = null };

    /// <summary>
    /// The stored response (<c>previous_response_id</c>) or Gemini context cache (<c>cached_content</c>) a request
    /// builds on must be the caller's own: any other is answered as unknown, before anything is counted or sent. A
    /// <c>conversation</c> is never one the gateway handed out (it has no conversations API), so with the gateway's
    /// provider key it is unknown too.
    /// </summary>
    private async ValueTask<GatewayError?> CheckReferencesAsync(GatewayRequest request, RequestPeek peek, CancellationToken cancellationToken)
    {
        if (request.ProviderApiKey is not null)
        {
            return null; // the caller's own upstream account answers for what it names
        }

        if (peek.Conversation is { } conversation)
        {
            return new GatewayError(GatewayErrorKind.NotFound, $"Conversation with id '{conversation}' not found.", "conversation") { Code = null };
        }

        var owner = ResourceOwners.OwnerOf(request);
        if (peek.PreviousResponseId is { } previous)
        {
            var (_, outcome) = await resourceOwners.CheckAsync(OwnedResourceKind.Response, previous, owner, ownAccount: false, cancellationToken);
            if (outcome != OwnershipOutcome.Allowed)
            {
                return outcome == OwnershipOutcome.Unavailable
                    ? ResourceOwners.Unavailable($"the response '{previous}'")
                    : new GatewayError(GatewayErrorKind.NotFound, $"Previous response with id '{previous}' not found.", "previous_response_id") { Code = "previous_response_not_found" };
            }
        }

        if (peek.CachedContent is { } cached)
        {
            var name = ResourceOwners.GeminiCacheName(cached);
            var (_, outcome) = await resourceOwners.CheckAsync(OwnedResourceKind.GeminiCache, name, owner, ownAccount: false, cancellationToken);
            if (outcome != OwnershipOutcome.Allowed)
            {
                return outcome == OwnershipOutcome.Unavailable
                    ? ResourceOwners.Unavailable($"the context cache '{name}'")
                    : ResourceOwners.GeminiCacheNotFound(name, "cached_content");
            }
        }

        return null;
    }

    /// <summary>Sends a request about a stored response to the instance the caller pinned, else the one that created
    /// it, else (an unknown id the caller's own upstream account answers for) the default OpenAI instance.</summary>
    private async ValueTask<GatewayResponse> SendToResourceOwnerAsync(RouteTable table, GatewayRequest request, string? creator, CancellationToken cancellationToken)
    {
        var owner = request.Provider ?? creator;
        var provider = owner is not null ? table.GetProvider(owner) : table.GetDefault(ProviderTypes.OpenAI);
        if (provider is null || (provider.Capabilities & ProviderCapabilities.Responses) == 0)
        {
            return GatewayResponse.FromError(new GatewayError(
                GatewayErrorKind.NotFound,
                owner is not null
                    ? $"The provider '{owner}' does not exist or has no Responses API."
                    : "No provider instance with the Responses API serves stored responses; pin one with the x-llmgateway-provider header."));
        }

        var providerRequest = new ProviderRequest(GatewayOperation.ResponsesResource, request.Body, string.Empty, stream: false)
        {
            RequestId = request.RequestId,
            ApiKey = request.ProviderApiKey,
            ApiKeyFromCaller = request.ProviderApiKey is not null,
            Method = request.Method,
            ResourcePath = request.ResourcePath,
            CallerId = CircuitScope.CallerOf(request),
        };
        return await CallAsync(provider, providerRequest, cancellationToken);
    }

    /// <summary>
    /// The Responses API for a provider that speaks only chat (Gemini): the request is translated to chat, the chat
    /// answer back to a response object, or a chat stream to the Responses event stream.
    /// </summary>
    private async ValueTask<GatewayResponse> BridgeResponsesAsync(ILlmProvider provider, ProviderRequest request, bool stream, FirstByteDeadline? firstByte, CancellationToken cancellationToken)
    {
        byte[]? chatBody;
        GatewayError? invalid;
        try
        {
            (chatBody, invalid) = ResponsesToChatTranslator.Translate(request.Body);
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or System.Text.Json.JsonException)
        {
            (chatBody, invalid) = (null, new GatewayError(GatewayErrorKind.InvalidRequest, $"The Responses request has a value of the wrong type: {ex.Message}"));
        }

        if (invalid is not null)
        {
            return WithProvider(GatewayResponse.FromError(invalid), provider);
        }

        if (stream && (provider.Capabilities & ProviderCapabilities.StreamingChatCompletions) == 0)
        {
            return WithProvider(GatewayResponse.FromError(new GatewayError(GatewayErrorKind.UnsupportedOperation, $"The provider '{provider.Name}' cannot stream.", "stream")), provider);
        }

        var chat = await CallAsync(provider, new ProviderRequest(GatewayOperation.ChatCompletions, chatBody, request.Model, stream) { RequestId = request.RequestId, ApiKey = request.ApiKey, CallerId = request.CallerId, ApiKeyFromCaller = request.ApiKeyFromCaller, AllowRetries = request.AllowRetries, Timeout = request.Timeout, Upstream = request.Upstream }, cancellationToken);
        if (!chat.IsSuccess)
        {
            return chat;
        }

        if (chat.Events is { } chunks)
        {
            var events = GatewayResponse.FromEvents(ChatStreamToResponsesEvents.TranslateAsync(chunks, request.Model, cancellationToken), endsWithDone: false);
            events.ProviderName = provider.Name;
            return await PrefetchFirstEventAsync(events, firstByte ?? FirstByteDeadline.Unbounded(timeProvider, cancellationToken));
        }

        using var completion = System.Text.Json.JsonDocument.Parse(chat.Body);
        var translated = GatewayResponse.FromBody(ChatToResponsesTranslator.Translate(completion.RootElement));
        translated.ProviderName = provider.Name;
        return translated;
    }

    private async ValueTask<GatewayResponse> CallAsync(ILlmProvider provider, ProviderRequest request, CancellationToken cancellationToken)
    {
        GatewayResponse response;
        try
        {
            response = await provider.SendAsync(request, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            response = CallFailed(provider, ex);
        }

        response.ProviderName = provider.Name;
        return response;
    }

    /// <summary>A provider that threw rather than answering: a bug, logged, and a 500 for the caller.</summary>
    private GatewayResponse CallFailed(ILlmProvider provider, Exception exception)
    {
        logger.PipelineFailed(provider.Name, exception);
        return GatewayResponse.FromError(new GatewayError(GatewayErrorKind.Internal, "The gateway failed to call the provider."));
    }

    public ValueTask<IReadOnlyList<ModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default) =>
        modelLists.ListAsync(routes.Current, cancellationToken);

    public ValueTask<ModelInfo?> GetModelAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return modelLists.FindAsync(routes.Current, id, cancellationToken);
    }

    public IChatClient GetChatClient(string? defaultModelId = null, GatewayCaller? caller = null) => new GatewayChatClient(this, defaultModelId, logger, caller);

    public IEmbeddingGenerator<string, Embedding<float>> GetEmbeddingGenerator(string? defaultModelId = null, GatewayCaller? caller = null) =>
        new GatewayEmbeddingGenerator(this, defaultModelId, logger, caller);

    internal static GatewayError TooLarge(long limit) =>
        new(GatewayErrorKind.RequestTooLarge, $"The request body is larger than the gateway accepts ({limit} bytes; LlmGateway:MaxRequestBodySize).");

    /// <summary>
    /// Waits for a stream's first event. A stream that fails before it (an upstream that answers 200 and then
    /// breaks or stays silent past <paramref name="deadline"/>) becomes an error response, since no byte has reached
    /// the client yet. The deadline is disarmed once the first event is in, and the stream then owns it.
    /// </summary>
    private static async ValueTask<GatewayResponse> PrefetchFirstEventAsync(GatewayResponse response, FirstByteDeadline deadline)
    {
        var enumerator = response.Events!.GetAsyncEnumerator(deadline.Token);
        bool hasFirst;
        try
        {
            hasFirst = await enumerator.MoveNextAsync();
            deadline.Disarm();
        }
        catch (OperationCanceledException) when (deadline.Expired)
        {
            await enumerator.DisposeAsync();
            await response.DisposeAsync();
            throw; // a first-byte timeout, answered by the attempt
        }
        catch (LlmGatewayException ex)
        {
            await enumerator.DisposeAsync();
            await response.DisposeAsync();
            var error = ex.Error.Kind == GatewayErrorKind.StreamInterrupted && ex.Error.UpstreamBody.IsEmpty
                ? new GatewayError(GatewayErrorKind.StreamInterrupted, ex.Error.Message)
                : ex.Error;
            return WithProvider(GatewayResponse.FromError(error), response.ProviderName);
        }
        catch
        {
            await enumerator.DisposeAsync();
            await response.DisposeAsync();
            throw;
        }

        var prefetched = new PrefetchedEvents(enumerator, hasFirst, deadline.Adopt());
        return response.WithEvents(prefetched, prefetched);
    }

    private static GatewayResponse WithProvider(GatewayResponse response, ILlmProvider provider) => WithProvider(response, provider.Name);

    private static GatewayResponse WithProvider(GatewayResponse response, string? provider)
    {
        response.ProviderName = provider;
        return response;
    }

    private static string Describe(ProviderCapabilities needed, GatewayOperation operation) => needed switch
    {
        ProviderCapabilities.StreamingChatCompletions => "streaming chat completions",
        ProviderCapabilities.ChatCompletions => "chat completions",
        ProviderCapabilities.Embeddings => "embeddings",
        ProviderCapabilities.AudioSpeech => "speech",
        ProviderCapabilities.AudioTranscriptions => "audio transcription",
        ProviderCapabilities.AudioTranslations => "audio translation",
        ProviderCapabilities.Responses => "the Responses API",
        _ => operation.ToString(),
    };
}
