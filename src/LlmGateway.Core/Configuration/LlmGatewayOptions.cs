namespace LlmGateway;

/// <summary>
/// The gateway's configuration, bound from the <c>LlmGateway</c> configuration section.
/// </summary>
/// <remarks>
/// Binding is strict: a key that matches no property stops the start-up with an error naming it. The options are
/// validated at start-up (every error is reported, each naming its key) and again on every reload; an invalid
/// reload is logged and the last good configuration stays in force.
/// </remarks>
public sealed class LlmGatewayOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "LlmGateway";

    /// <summary>
    /// Gets or sets the provider instances by name (<c>LlmGateway:Providers:&lt;name&gt;</c>). Names are case-insensitive
    /// and are what a client puts before a slash to pick an instance explicitly (<c>openai/gpt-4o</c>).
    /// </summary>
    public Dictionary<string, ProviderOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Gets or sets the model aliases by name (<c>LlmGateway:Models:&lt;alias&gt;</c>): names a client asks for like any
    /// model, served by targets in the order a strategy gives, with failover. Names are case-insensitive.
    /// </summary>
    public Dictionary<string, ModelAliasOptions> Models { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Gets or sets catalog entries by model id (<c>LlmGateway:Catalog:&lt;model&gt;</c>), adding to or overriding the
    /// built-in context windows and prices the <c>Cost</c> strategy and context-length failover use.
    /// </summary>
    public Dictionary<string, ModelCatalogOptions> Catalog { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Gets or sets how many targets one request may try (an alias's targets, then the request's own
    /// <c>fallbacks</c>), each bounded by <see cref="RequestTimeout"/>. Defaults to 3.
    /// </summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// Gets or sets the most time one request may take to get its answer, across every attempt: each attempt gets the
    /// shorter of <see cref="RequestTimeout"/> and what is left of the budget, and no attempt starts once it is spent
    /// (504). Unset: attempts are bounded one by one. A stream, once it started, lives on the idle timeout.
    /// </summary>
    public TimeSpan? RequestBudget { get; set; }

    /// <summary>
    /// Gets or sets how long a streamed attempt may take to get the upstream's response headers and its first event
    /// (the first byte the client would see) before the gateway gives up on that target and, nothing having reached
    /// the client yet, fails over to the next at once, without retrying the silent target. Defaults to 30 seconds;
    /// raise it for models that think for longer before their first event. Null: a stream's headers are bounded by
    /// <see cref="RequestTimeout"/> and its first event by <see cref="StreamIdleTimeout"/> only. Non-streamed requests
    /// are bounded by <see cref="RequestTimeout"/>.
    /// </summary>
    public TimeSpan? FirstTokenTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets the hedging of streamed requests (<c>LlmGateway:Hedging</c>): a stream whose first event is late
    /// gets the next target started alongside. An alias's own <see cref="ModelAliasOptions.Hedging"/> wins.
    /// </summary>
    public HedgingOptions Hedging { get; set; } = new();

    /// <summary>Gets or sets the per-target circuit settings (<c>LlmGateway:Circuit</c>).</summary>
    public CircuitOptions Circuit { get; set; } = new();

    /// <summary>Gets or sets the retries and circuit breaker on each upstream call (<c>LlmGateway:Resilience</c>).</summary>
    public UpstreamResilienceOptions Resilience { get; set; } = new();

    /// <summary>
    /// Gets or sets the largest request body the gateway accepts, in bytes; a larger one is answered with 413.
    /// Defaults to 32 MiB (room for base64 images in chat messages).
    /// </summary>
    public long MaxRequestBodySize { get; set; } = 32 * 1024 * 1024;

    /// <summary>
    /// Gets or sets tighter body limits per endpoint (<c>LlmGateway:MaxRequestBodySizes:Chat</c>, <c>Embeddings</c>,
    /// <c>Audio</c>, <c>Speech</c>, <c>Responses</c>), each at most <see cref="MaxRequestBodySize"/>. Audio uploads
    /// default to 25 MiB.
    /// </summary>
    public RequestBodySizeOptions MaxRequestBodySizes { get; set; } = new();

    /// <summary>
    /// Gets or sets how long the gateway waits for an upstream to answer a request: the response headers, and for a
    /// non-streaming request the whole body. Defaults to 10 minutes, since reasoning models can think for minutes.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Gets or sets how long a stream may stay silent between two events before the gateway gives up on it and
    /// tells the client with a final error event. Defaults to 5 minutes.
    /// </summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets how long running streams may go on once the host has been asked to stop (SIGTERM): new requests
    /// are refused at once, streams that have not finished by then end with a final <c>server_shutting_down</c> error
    /// event (and no <c>[DONE]</c>), so clients can tell a cut stream from a complete one. Defaults to 30 seconds.
    /// The host's own <c>HostOptions.ShutdownTimeout</c> must be longer (the drain plus a margin), or the host aborts
    /// the connections before the error event is sent. Read when the host starts stopping.
    /// </summary>
    public TimeSpan ShutdownDrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long the model list an upstream reports is kept before it is asked again. Defaults to 5 minutes.
    /// </summary>
    public TimeSpan ModelListCacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets how callers authenticate, the gateway keys and their policies (<c>LlmGateway:Auth</c>).</summary>
    public AuthOptions Auth { get; set; } = new();

    /// <summary>Gets or sets how rate limits count (<c>LlmGateway:RateLimits</c>).</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>
    /// Gets or sets the Redis connection string (StackExchange.Redis syntax, e.g. <c>localhost:6379</c>). Set, keys,
    /// limits, usage and budgets are shared by every gateway instance that names the same Redis; unset, one process
    /// keeps them in memory. Read at start-up only.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>Gets or sets the prefix of every Redis key the gateway writes, so several gateways (or other apps) can share
    /// one Redis. Defaults to <c>llmgateway:</c>. Read at start-up only.</summary>
    public string RedisKeyPrefix { get; set; } = "llmgateway:";

    /// <summary>Gets or sets the database <c>LlmGateway.EntityFrameworkCore</c>'s <c>AddDatabase()</c> keeps keys, resource
    /// ownership and usage in (<c>LlmGateway:Database</c>). Read at start-up only.</summary>
    public DatabaseOptions Database { get; set; } = new();

    /// <summary>Gets or sets the folder the gateway keeps its files in (the SQLite database of <c>AddDatabase()</c>), made
    /// at start-up if missing. A relative path is relative to the host's content root. Defaults to <c>data</c>. Read at
    /// start-up only.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Gets or sets the response cache (<c>LlmGateway:Cache</c>).</summary>
    public CacheOptions Cache { get; set; } = new();

    /// <summary>Gets or sets the origins browsers may call the gateway from (<c>LlmGateway:Cors</c>). Applied by
    /// <c>MapLlmGateway</c> when set at start-up; the app calls <c>AddCors()</c> and <c>UseCors()</c>.</summary>
    public GatewayCorsOptions Cors { get; set; } = new();
}
