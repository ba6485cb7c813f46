using System.Globalization;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>
/// The gateway's policy around each call: before it, the caller's models, budgets and rate limits (token limits
/// reserve the estimated prompt plus the output budget); after it, the settlement of the reservation with the real
/// usage and the usage record (tokens and cost per key, model and provider instance). Failed calls are not billed:
/// their reservation is given back and no usage is recorded.
/// </summary>
internal sealed class CallerPolicy(
    IRateLimitStore limits,
    IUsageStore usage,
    TokenEstimator estimator,
    ProviderKeyProtector protector,
    UsageMetrics metrics,
    TimeProvider timeProvider,
    ILogger<CallerPolicy> logger)
{
    /// <summary>Checks a request against its caller's policy and takes what it needs from the rate limits.</summary>
    /// <param name="table">The route table (the default rate-limit strategy and output budget).</param>
    /// <param name="request">The request.</param>
    /// <param name="peek">What the body names (model, fallbacks), or null for a request without a model.</param>
    /// <param name="pinnedModel">For a request pinned to an instance by <c>x-llmgateway-provider</c>, the
    /// <c>instance/model</c> id of where it goes: allowed models and model limits are applied to it, exactly as to a
    /// request that named that id, instead of to the model as the body names it.</param>
    /// <param name="cancellationToken">Cancels the store calls.</param>
    /// <returns>The admission, or the refusal (403, 429).</returns>
    public async ValueTask<(Admission? Admission, GatewayError? Error)> AdmitAsync(RouteTable table, GatewayRequest request, RequestPeek? peek, string? pinnedModel, CancellationToken cancellationToken)
    {
        var caller = request.Caller;
        if (caller is null)
        {
            return (new Admission { UsageId = GatewayCaller.InProcessId }, null);
        }

        if (!caller.HasPolicy)
        {
            return (new Admission { UsageId = caller.Id, Caller = caller }, null);
        }

        var key = caller.Key;
        var named = peek?.Model;
        var model = named is null ? null : pinnedModel ?? named;
        if (model is not null)
        {
            if (!caller.MayUse(model))
            {
                metrics.Refused("model");
                return (null, pinnedModel is null
                    ? Forbidden(caller, model, "model")
                    : new GatewayError(
                        GatewayErrorKind.PermissionDenied,
                        $"The {Noun(caller)} '{Display(caller)}' may not use the model '{pinnedModel}' (the model '{named}' on the instance named by x-llmgateway-provider).",
                        "x-llmgateway-provider"));
            }

            if (peek?.Fallbacks is { } fallbacks)
            {
                for (var i = 0; i < fallbacks.Count; i++)
                {
                    if (!caller.MayUse(fallbacks[i]))
                    {
                        metrics.Refused("model");
                        return (null, Forbidden(caller, fallbacks[i], $"fallbacks[{i}]"));
                    }
                }
            }
        }

        if (await CheckBudgetAsync(key, Noun(caller), cancellationToken) is { } spent)
        {
            metrics.Refused("budget");
            return (null, spent);
        }

        var modelLimit = model is null ? null : caller.ModelLimit(model);
        var hasTokenLimit = key.TokensPerMinute is not null || modelLimit?.Limits.TokensPerMinute is not null;
        var hasRequestLimit = key.RequestsPerMinute is not null || modelLimit?.Limits.RequestsPerMinute is not null;
        if (!hasTokenLimit && !hasRequestLimit)
        {
            return (new Admission { UsageId = caller.Id, Caller = caller }, null);
        }

        int? prompt = null;
        long tokens = 0;
        if (hasTokenLimit)
        {
            prompt = estimator.EstimatePromptTokens(request.Body.Span, request.Operation);
            var output = request.Operation is GatewayOperation.ChatCompletions or GatewayOperation.Responses
                ? peek?.MaxOutputTokens ?? table.Options.RateLimits.DefaultOutputTokens
                : 0;
            tokens = prompt.Value + (long)output;
        }

        var buckets = new List<LimitBucket>(4);
        var isTokens = new List<bool>(4);
        void Add(string name, int? limit, long amount, bool tokenBucket)
        {
            if (limit is { } value)
            {
                buckets.Add(new LimitBucket(name, value, amount));
                isTokens.Add(tokenBucket);
            }
        }

        Add(caller.Id + ":rpm", key.RequestsPerMinute, 1, false);
        Add(caller.Id + ":tpm", key.TokensPerMinute, tokens, true);
        if (modelLimit is { } ml)
        {
            Add(caller.Id + ":model:" + ml.Pattern + ":rpm", ml.Limits.RequestsPerMinute, 1, false);
            Add(caller.Id + ":model:" + ml.Pattern + ":tpm", ml.Limits.TokensPerMinute, tokens, true);
        }

        var strategy = key.Strategy ?? table.Options.RateLimits.Strategy;
        var outcome = await limits.AcquireAsync(strategy, buckets, cancellationToken);
        var report = Report(outcome.States, isTokens);
        if (!outcome.Allowed)
        {
            var refused = buckets[outcome.RefusedIndex];
            var state = outcome.States[outcome.RefusedIndex];
            var unit = isTokens[outcome.RefusedIndex] ? "tokens" : "requests";
            metrics.Refused(unit);
            var scope = refused.Name.Contains(":model:", StringComparison.Ordinal) ? $"'{modelLimit?.Pattern}' of {Noun(caller)} '{Display(caller)}'" : $"{Noun(caller)} '{Display(caller)}'";
            var message = refused.Amount > refused.Limit
                ? $"Request too large for {scope} on {unit} per min: Limit {refused.Limit}, Requested {refused.Amount}. Ask for fewer tokens (max_tokens) or a shorter prompt."
                : $"Rate limit reached for {scope} on {unit} per min: Limit {refused.Limit}, Remaining {state.Remaining}, Requested {refused.Amount}. Please try again in {FormatDuration(outcome.RetryAfter)}.";
            return (new Admission { UsageId = caller.Id, Caller = caller, Report = report }, new GatewayError(GatewayErrorKind.RateLimited, message)
            {
                Type = unit,
                RetryAfter = outcome.RetryAfter,
            });
        }

        var reservations = new List<(LimitBucket, long)>(2);
        for (var i = 0; i < buckets.Count; i++)
        {
            if (isTokens[i])
            {
                reservations.Add((buckets[i], outcome.WindowIds[i]));
            }
        }

        return (new Admission
        {
            UsageId = caller.Id,
            Caller = caller,
            Strategy = strategy,
            TokenReservations = [.. reservations],
            PromptEstimate = prompt,
            Report = report,
        }, null);
    }

    /// <summary>
    /// The key to send to a target instead of its configured one: a key the caller brought (Client, Hybrid), or one
    /// stored with its gateway key for that instance; null to use the configured key.
    /// </summary>
    public string? ProviderKeyFor(GatewayRequest request, RouteTarget target, out GatewayError? error)
    {
        error = null;
        if (request.ProviderApiKey is { } brought)
        {
            return brought;
        }

        if (request.Caller?.Key.ProviderKeys is { Count: > 0 } stored && stored.TryGetValue(target.Provider.Name, out var sealedKey))
        {
            string? plain;
            try
            {
                plain = protector.Unprotect(sealedKey);
            }
            catch (KeyStoreUnavailableException)
            {
                error = new GatewayError(GatewayErrorKind.ServiceUnavailable, "The key ring that decrypts the provider key stored with this gateway key is in Redis, which is unavailable; try again shortly.")
                {
                    RetryAfter = TimeSpan.FromSeconds(5),
                };
                return null;
            }

            if (plain is null)
            {
                error = new GatewayError(GatewayErrorKind.ProviderNotConfigured, $"The provider key stored with this gateway key for '{target.Provider.Name}' cannot be decrypted (the Data Protection key ring was lost); set it again through the admin API.");
            }

            return plain;
        }

        return null;
    }

    /// <summary>
    /// Settles a finished call: the token reservations with the real total (or given back whole, for a failure), and
    /// the usage record. Never throws: accounting must not fail a call that succeeded.
    /// </summary>
    /// <param name="admission">The admission.</param>
    /// <param name="table">The route table the call used (for prices).</param>
    /// <param name="model">The upstream model that answered; null for a failure.</param>
    /// <param name="provider">The provider instance that answered.</param>
    /// <param name="counts">The usage the upstream reported, or null.</param>
    /// <param name="completionEstimate">For a stream without usage: the content chunks seen, about a token each.</param>
    /// <param name="recordAs">The name the usage is recorded under, when it is not <paramref name="model"/> as it is:
    /// the configuration's spelling, or <see cref="RouteTable.UnresolvedModel"/> for a model the client made up (its
    /// price is still <paramref name="model"/>'s).</param>
    public async ValueTask SettleAsync(Admission admission, RouteTable table, string? model, string? provider, UsageCounts? counts, long completionEstimate = 0, string? recordAs = null)
    {
        if (Interlocked.Exchange(ref admission.Settled, 1) == 1)
        {
            return;
        }

        try
        {
            var estimated = false;
            if (model is not null && counts is null)
            {
                estimated = true;
                counts = new UsageCounts(admission.PromptEstimate ?? 0, completionEstimate, 0, 0);
            }

            var actual = model is null ? 0 : counts!.Value.TotalTokens;
            foreach (var (bucket, windowId) in admission.TokenReservations)
            {
                var delta = actual - bucket.Amount;
                if (delta != 0)
                {
                    await limits.SettleAsync(admission.Strategy, bucket.Name, bucket.Limit, delta, windowId, CancellationToken.None);
                }
            }

            if (model is null)
            {
                return; // a failure is not billed
            }

            var value = counts!.Value;
            var cost = UsageCost.Of(value, table.Facts.Get(model));
            var name = recordAs ?? model;
            metrics.Record(name, provider ?? string.Empty, value, cost);
            await usage.AddAsync(
                new UsageEntry(admission.UsageId, name, provider ?? string.Empty)
                {
                    Requests = 1,
                    PromptTokens = value.PromptTokens,
                    CompletionTokens = value.CompletionTokens,
                    CachedTokens = value.CachedTokens,
                    ReasoningTokens = value.ReasoningTokens,
                    Cost = cost,
                    EstimatedRequests = estimated ? 1 : 0,
                },
                timeProvider.GetUtcNow(),
                CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.UsageSettlementFailed(admission.UsageId, ex);
        }
    }

    /// <summary>The provider name usage entries of cache hits carry.</summary>
    public const string CacheProvider = "cache";

    private async ValueTask<GatewayError?> CheckBudgetAsync(StoredKey key, string noun, CancellationToken cancellationToken)
    {
        var budget = key.Budget;
        var now = timeProvider.GetUtcNow();
        if (budget.DailyTokens is not null || budget.DailyCost is not null)
        {
            var day = await usage.GetTotalsAsync(key.Id, UsagePeriod.Day, now, cancellationToken);
            var reset = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
            if (Spent(day, budget.DailyTokens, budget.DailyCost, "daily", reset, now, noun) is { } error)
            {
                return error;
            }
        }

        if (budget.MonthlyTokens is not null || budget.MonthlyCost is not null)
        {
            var month = await usage.GetTotalsAsync(key.Id, UsagePeriod.Month, now, cancellationToken);
            var reset = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
            if (Spent(month, budget.MonthlyTokens, budget.MonthlyCost, "monthly", reset, now, noun) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private static GatewayError? Spent(UsageTotals totals, long? tokens, decimal? cost, string period, DateTimeOffset reset, DateTimeOffset now, string noun)
    {
        string? what = null;
        if (tokens is { } t && totals.Tokens >= t)
        {
            what = $"{period} token budget ({t.ToString(CultureInfo.InvariantCulture)} tokens)";
        }
        else if (cost is { } c && totals.Cost >= c)
        {
            what = $"{period} cost budget (${c.ToString(CultureInfo.InvariantCulture)})";
        }

        return what is null ? null : new GatewayError(
            GatewayErrorKind.InsufficientQuota,
            $"You exceeded your current quota: this {noun}'s {what} is spent. It resets at {reset:yyyy-MM-dd HH:mm} UTC.")
        {
            RetryAfter = reset - now,
        };
    }

    private static GatewayError Forbidden(GatewayCaller caller, string model, string param) => new(
        GatewayErrorKind.PermissionDenied,
        $"The {Noun(caller)} '{Display(caller)}' may not use the model '{model}'.",
        param);

    private static string Display(GatewayCaller caller) => caller.Key.Name ?? caller.Id;

    /// <summary>What refusals call the caller: "caller" for one the application made, else "key".</summary>
    private static string Noun(GatewayCaller caller) => caller.Key.Source == GatewayCaller.ApplicationSource ? "caller" : "key";

    private static RateLimitReport Report(BucketState[] states, List<bool> isTokens)
    {
        BucketState? requests = null;
        BucketState? tokens = null;
        for (var i = 0; i < states.Length; i++)
        {
            if (isTokens[i])
            {
                tokens = Tighter(tokens, states[i]);
            }
            else
            {
                requests = Tighter(requests, states[i]);
            }
        }

        return new RateLimitReport(State(requests), State(tokens));

        static RateLimitState? State(BucketState? bucket) => bucket is { } b ? new RateLimitState(b.Limit, b.Remaining, b.ResetAfter) : null;
    }

    private static BucketState Tighter(BucketState? current, BucketState candidate) =>
        current is { } c && (double)c.Remaining / Math.Max(c.Limit, 1) <= (double)candidate.Remaining / Math.Max(candidate.Limit, 1) ? c : candidate;

    /// <summary>A duration as OpenAI writes it in <c>x-ratelimit-reset-*</c>: <c>20ms</c>, <c>1.5s</c>, <c>6m0s</c>.</summary>
    internal static string FormatDuration(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            duration = TimeSpan.Zero;
        }

        if (duration < TimeSpan.FromSeconds(1))
        {
            return ((long)Math.Ceiling(duration.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
        }

        var minutes = (long)duration.TotalMinutes;
        var seconds = Math.Ceiling((duration.TotalSeconds - (minutes * 60)) * 1000) / 1000;
        var text = seconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
        return minutes > 0 ? minutes.ToString(CultureInfo.InvariantCulture) + "m" + text : text;
    }
}
