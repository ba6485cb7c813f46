using System.Diagnostics.Metrics;

namespace LlmGateway.Internal;

/// <summary>
/// The usage instruments of the <c>LlmGateway</c> meter: tokens and cost per model and provider instance, and
/// refusals by the caller policy. Tags are low-cardinality only (never a key or a request id): per-key figures are
/// what the admin API's usage endpoints are for.
/// </summary>
internal sealed class UsageMetrics
{
    public const string MeterName = "LlmGateway";

    private readonly Counter<long> _tokens;
    private readonly Counter<double> _cost;
    private readonly Counter<long> _refusals;
    private readonly Counter<long> _cache;
    private readonly Histogram<double> _timeSaved;

    public UsageMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _tokens = meter.CreateCounter<long>("llmgateway.usage.tokens", "{token}", "Tokens used, as the upstream reported them (or estimated for a stream cut before its usage).");
        _cost = meter.CreateCounter<double>("llmgateway.usage.cost", "USD", "Cost of the tokens used, from the catalog's prices.");
        _refusals = meter.CreateCounter<long>("llmgateway.policy.refusals", "{request}", "Requests refused by the caller's policy.");
        _cache = meter.CreateCounter<long>("llmgateway.cache.requests", "{request}", "Cacheable requests, by result (hit or miss).");
        _timeSaved = meter.CreateHistogram<double>("llmgateway.cache.time_saved", "s", "On a hit, how long the upstream took to make the answer.");
    }

    public void Record(string model, string provider, UsageCounts usage, decimal cost)
    {
        var modelTag = new KeyValuePair<string, object?>("gen_ai.response.model", model);
        var providerTag = new KeyValuePair<string, object?>("llmgateway.provider", provider);
        _tokens.Add(usage.PromptTokens, modelTag, providerTag, new KeyValuePair<string, object?>("gen_ai.token.type", "input"));
        _tokens.Add(usage.CompletionTokens, modelTag, providerTag, new KeyValuePair<string, object?>("gen_ai.token.type", "output"));
        if (cost != 0)
        {
            _cost.Add((double)cost, modelTag, providerTag);
        }
    }

    /// <summary>Counts a refusal; <paramref name="reason"/> is <c>requests</c>, <c>tokens</c>, <c>budget</c> or <c>model</c>.</summary>
    public void Refused(string reason) => _refusals.Add(1, new KeyValuePair<string, object?>("llmgateway.reason", reason));

    public void CacheHit(TimeSpan saved)
    {
        _cache.Add(1, new KeyValuePair<string, object?>("llmgateway.cache.result", "hit"));
        _timeSaved.Record(saved.TotalSeconds);
    }

    public void CacheMiss() => _cache.Add(1, new KeyValuePair<string, object?>("llmgateway.cache.result", "miss"));
}
