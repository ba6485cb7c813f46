using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>
/// The response cache around the pipeline's calls: which requests it takes and under which key, lookups (exact, then
/// by similarity for the semantic strategy), one upstream call for identical requests arriving together, and storing
/// answers, a stream only once it finished cleanly. Errors and cut streams are never stored.
/// </summary>
internal sealed class ResponseCache(IResponseCacheStore store, UsageMetrics metrics, TimeProvider timeProvider, ILogger<ResponseCache> logger) : ILlmGatewayCache
{
    private readonly ConcurrentDictionary<string, Flight> _flights = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = timeProvider;
    private readonly UsageMetrics _metrics = metrics;
    private (int MaxEntries, SemanticIndex Index)? _semantic;

    /// <summary>The caller the semantic strategy's embedding calls are counted under.</summary>
    public static readonly GatewayCaller SemanticCaller = new(new StoredKey { Id = "semantic-cache", Hash = string.Empty, Source = "cache" });

    /// <summary>How the cache treats a request, or null when it does not take it.</summary>
    public static CachePlan? Plan(RouteTable table, GatewayRequest request, RequestPeek peek)
    {
        var options = table.Options.Cache;
        if (request.Operation is not (GatewayOperation.ChatCompletions or GatewayOperation.Embeddings) || peek.Fallbacks is not null)
        {
            return null;
        }

        var modelOptions = GatewayCaller.FindByPattern(options.Models, peek.Model)?.Value;
        if (!(modelOptions?.Enabled ?? options.Enabled))
        {
            return null;
        }

        if (options.Partition == CachePartition.PerKey && request.ProviderApiKey is not null)
        {
            return null; // a brought key is never cached under; per-key entries would be the brought key's
        }

        var body = request.Body.Span;
        if (options.Eligibility == CacheEligibility.Deterministic && request.Operation == GatewayOperation.ChatCompletions && !CacheKeyBuilder.IsDeterministic(body))
        {
            return null;
        }

        var directives = request.CacheDirectives;
        var ttl = directives.Ttl ?? modelOptions?.Ttl ?? options.Ttl;
        if (ttl <= TimeSpan.Zero)
        {
            return null;
        }

        var partition = options.Partition == CachePartition.Shared ? "shared" : request.Caller?.Id ?? GatewayCaller.InProcessId;
        var resolved = ResolvedModel(table, peek.Model, request.Provider);
        var normalize = options.Strategy == CacheStrategy.Normalized;
        var hash = CacheKeyBuilder.Hash(body, request.Operation, resolved, normalize);
        string? context = null;
        string? lastUser = null;
        if (options.Strategy == CacheStrategy.Semantic && request.Operation == GatewayOperation.ChatCompletions && options.Semantic.EmbeddingModel is not null)
        {
            var parts = CacheKeyBuilder.SemanticParts(body, resolved);
            context = partition + ":" + parts.ContextHash;
            lastUser = parts.LastUserText;
        }

        return new CachePlan
        {
            Key = $"{CacheKeyBuilder.Version}:{partition}:{(normalize ? "n" : "e")}:{hash}",
            Partition = partition,
            Ttl = ttl,
            Lookup = !directives.NoCache,
            Store = !directives.NoStore,
            SemanticContext = lastUser is null ? null : context,
            LastUserText = lastUser,
            SemanticMaxEntries = options.Semantic.MaxEntries,
        };
    }

    /// <summary>
    /// The cached answer to a request, shaped as it asked (a body, or a stream), or null. For the semantic strategy an
    /// exact match is tried first, then the most similar cached last user message of the same context.
    /// </summary>
    public async ValueTask<(CachedResponse Entry, TimeSpan Remaining, string Key)?> LookupAsync(
        CachePlan plan,
        RouteTable table,
        Func<string, string, CancellationToken, ValueTask<float[]?>> embed,
        CancellationToken cancellationToken)
    {
        if (await GetAsync(plan.Key, cancellationToken) is { } exact)
        {
            return (exact.Entry, exact.Remaining, plan.Key);
        }

        if (plan.SemanticContext is not { } context || table.Options.Cache.Semantic is not { EmbeddingModel: { } model } semantic)
        {
            return null;
        }

        plan.Embedding ??= await embed(model, plan.LastUserText!, cancellationToken);
        if (plan.Embedding is null || Index(semantic.MaxEntries).FindBest(context, plan.Embedding, (float)semantic.Threshold) is not { } best)
        {
            return null;
        }

        return await GetAsync(best.EntryKey, cancellationToken) is { } similar ? (similar.Entry, similar.Remaining, best.EntryKey) : null;
    }

    private async ValueTask<(CachedResponse Entry, TimeSpan Remaining)?> GetAsync(string key, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(key, cancellationToken) is not { } found)
        {
            return null;
        }

        return CachedResponse.Deserialize(found.Blob) is { } entry ? (entry, found.Remaining) : null;
    }

    /// <summary>The hit as the response the request asked for.</summary>
    public GatewayResponse Answer(CachedResponse entry, TimeSpan remaining, string key, bool stream, bool includeUsage)
    {
        _metrics.CacheHit(entry.UpstreamLatency);
        GatewayResponse response;
        if (entry.Kind == CachedResponseKind.Embeddings)
        {
            response = GatewayResponse.FromBody(entry.Body);
        }
        else if (stream)
        {
            response = GatewayResponse.FromEvents(Replay(CachedResponseConverter.ToChunks(entry, includeUsage)));
        }
        else
        {
            response = GatewayResponse.FromBody(CachedResponseConverter.ToCompletion(entry));
        }

        response.ProviderName = entry.Provider;
        response.TargetModel = entry.Model;
        response.Attempts = 0;
        response.Cache = new CacheReport(Hit: true, key, remaining);
        return response;
    }

    private static async IAsyncEnumerable<GatewayEvent> Replay(IReadOnlyList<ReadOnlyMemory<byte>> chunks, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var chunk in chunks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new GatewayEvent(chunk);
        }

        await Task.CompletedTask;
    }

    /// <summary>
    /// Becomes the one request that calls the upstream for <paramref name="key"/>, or, when another identical request
    /// is already doing so, returns the task that completes once it is done (stored or not).
    /// </summary>
    public bool TryLead(string key, out Flight? flight, out Task? leader)
    {
        var mine = new Flight(this, key);
        var current = _flights.GetOrAdd(key, mine);
        if (ReferenceEquals(current, mine))
        {
            flight = mine;
            leader = null;
            return true;
        }

        flight = null;
        leader = current.Done;
        return false;
    }

    /// <summary>Stores a body answer (a chat completion or embeddings).</summary>
    public async ValueTask StoreAsync(CachePlan plan, GatewayResponse response, GatewayOperation operation, UsageCounts? usage, TimeSpan latency)
    {
        var entry = new CachedResponse
        {
            Kind = operation == GatewayOperation.Embeddings ? CachedResponseKind.Embeddings : CachedResponseKind.Completion,
            Model = response.TargetModel ?? string.Empty,
            Provider = response.ProviderName ?? string.Empty,
            CreatedAt = _time.GetUtcNow(),
            UpstreamLatency = latency,
            Usage = usage,
            Body = response.Body,
        };
        await SaveAsync(plan, entry);
        response.Cache = new CacheReport(Hit: false, plan.Key, plan.Ttl);
    }

    /// <summary>A stream passed through while its chunks are kept; stored once it ends cleanly.</summary>
    public GatewayResponse Record(CachePlan plan, GatewayResponse response, Flight? flight, long startedTimestamp)
    {
        var recorder = new Recorder(this, plan, response.Events!, response.TargetModel ?? string.Empty, response.ProviderName ?? string.Empty, startedTimestamp, flight, response.Owner);
        var recorded = response.WithEvents(recorder, recorder);
        recorded.Cache = new CacheReport(Hit: false, plan.Key, plan.Ttl);
        return recorded;
    }

    /// <summary>Reports a miss that was not stored (no-store, or an answer that cannot be).</summary>
    public void Missed(CachePlan plan, GatewayResponse response)
    {
        _metrics.CacheMiss();
        response.Cache ??= new CacheReport(Hit: false, plan.Key, plan.Ttl);
    }

    /// <inheritdoc/>
    ValueTask<long> ILlmGatewayCache.PurgeAsync(CachePurgeFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return PurgeAsync(new CachePurge(filter.Model, filter.Provider, filter.KeyPrefix, filter.OlderThan), cancellationToken);
    }

    /// <summary>Removes matching entries everywhere, the semantic index's too.</summary>
    public async ValueTask<long> PurgeAsync(CachePurge purge, CancellationToken cancellationToken)
    {
        var removed = await store.PurgeAsync(purge, cancellationToken);
        if (_semantic is { } semantic && (purge.KeyPrefix is not null || purge.Model is null && purge.Provider is null && purge.OlderThan is null))
        {
            semantic.Index.RemoveWhere(key => purge.KeyPrefix is null || key.StartsWith(purge.KeyPrefix, StringComparison.Ordinal));
        }

        return removed;
    }

    private async ValueTask SaveAsync(CachePlan plan, CachedResponse entry)
    {
        try
        {
            var blob = entry.Serialize();
            await store.SetAsync(new CacheEntryInfo(plan.Key, entry.Model, entry.Provider, entry.CreatedAt), blob, plan.Ttl, CancellationToken.None);
            if (plan is { SemanticContext: { } context, Embedding: { } embedding })
            {
                // The embedding was computed at lookup; a request that skipped the lookup (no-cache) has none.
                Index(plan.SemanticMaxEntries).Add(context, embedding, plan.Key, entry.CreatedAt + plan.Ttl);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.CacheStoreFailed(ex);
        }
    }

    /// <summary>The similarity index, made anew (empty) when its configured size changes.</summary>
    private SemanticIndex Index(int maxEntries)
    {
        var current = _semantic;
        if (current is { } c && c.MaxEntries == maxEntries)
        {
            return c.Index;
        }

        var index = new SemanticIndex(maxEntries, _time);
        _semantic = (maxEntries, index);
        return index;
    }

    /// <summary>
    /// What the answer depends on: an alias by its name (its targets serve it alike), a model by the instance and
    /// upstream id it resolves to (<c>gpt-4o-mini</c> and <c>openai/gpt-4o-mini</c> share entries), a pinned instance
    /// included.
    /// </summary>
    private static string ResolvedModel(RouteTable table, string model, string? pinned)
    {
        string resolved;
        if (table.Options.Models.ContainsKey(model))
        {
            resolved = "alias:" + model.ToLowerInvariant();
        }
        else if (table.Resolve(model) is { } route)
        {
            resolved = route.Provider.Name.ToLowerInvariant() + "/" + route.UpstreamModel;
        }
        else
        {
            resolved = model;
        }

        return pinned is null ? resolved : resolved + "@" + pinned.ToLowerInvariant();
    }

    /// <summary>One upstream call that identical requests wait for.</summary>
    internal sealed class Flight(ResponseCache owner, string key)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Done => _done.Task;

        public void Complete()
        {
            if (_done.TrySetResult())
            {
                owner._flights.TryRemove(new KeyValuePair<string, Flight>(key, this));
            }
        }
    }

    private sealed class Recorder(
        ResponseCache owner,
        CachePlan plan,
        IAsyncEnumerable<GatewayEvent> inner,
        string model,
        string provider,
        long started,
        Flight? flight,
        IAsyncDisposable? innerOwner) : IAsyncEnumerable<GatewayEvent>, IAsyncEnumerator<GatewayEvent>, IAsyncDisposable
    {
        private readonly List<ReadOnlyMemory<byte>> _chunks = [];
        private IAsyncEnumerator<GatewayEvent>? _enumerator;
        private long _bytes;
        private bool _tooLarge;
        private int _finished;
        private int _disposed;

        public GatewayEvent Current => _enumerator!.Current;

        public IAsyncEnumerator<GatewayEvent> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            _enumerator = inner.GetAsyncEnumerator(cancellationToken);
            return this;
        }

        public async ValueTask<bool> MoveNextAsync()
        {
            bool has;
            try
            {
                has = await _enumerator!.MoveNextAsync();
            }
            catch
            {
                Finish();
                throw;
            }

            if (!has)
            {
                if (!_tooLarge && plan.Store && Interlocked.Exchange(ref _finished, 1) == 0)
                {
                    // Ended cleanly (the reader guarantees [DONE] or a finish reason): keep it, then let others in.
                    var usage = (UsageCounts?)null;
                    foreach (var chunk in _chunks)
                    {
                        if (chunk.Span.IndexOf("\"usage\""u8) >= 0 && UsageReader.FromChunk(chunk.Span, out _) is { } counts)
                        {
                            usage = counts;
                        }
                    }

                    await owner.SaveAsync(plan, new CachedResponse
                    {
                        Kind = CachedResponseKind.Chunks,
                        Model = model,
                        Provider = provider,
                        CreatedAt = owner._time.GetUtcNow(),
                        UpstreamLatency = owner._time.GetElapsedTime(started),
                        Usage = usage,
                        Chunks = _chunks,
                    });
                    owner._metrics.CacheMiss();
                    flight?.Complete();
                }

                return false;
            }

            var data = _enumerator.Current.Data;
            _bytes += data.Length;
            if (!_tooLarge)
            {
                _tooLarge = _bytes > 16L * 1024 * 1024;
                _chunks.Add(data.ToArray());
            }

            return true;
        }

        private void Finish()
        {
            if (Interlocked.Exchange(ref _finished, 1) == 0)
            {
                owner._metrics.CacheMiss();
                flight?.Complete();
            }
        }

        public async ValueTask DisposeAsync()
        {
            // A stream abandoned before its end (the client went away) is not stored. Disposed as the enumerator and
            // as the response's owner: once is enough.
            Finish();
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            if (_enumerator is not null)
            {
                await _enumerator.DisposeAsync();
            }

            if (innerOwner is not null)
            {
                await innerOwner.DisposeAsync();
            }
        }
    }

    /// <summary>The embedding in an embeddings response body (<c>data[0].embedding</c>, floats), or null.</summary>
    internal static float[]? ReadEmbedding(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            if (!document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array || data.GetArrayLength() == 0
                || !data[0].TryGetProperty("embedding", out var embedding) || embedding.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var vector = new float[embedding.GetArrayLength()];
            var i = 0;
            foreach (var value in embedding.EnumerateArray())
            {
                vector[i++] = value.GetSingle();
            }

            return vector;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

}
