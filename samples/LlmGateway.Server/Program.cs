using LlmGateway;
using LlmGateway.Server;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddOptions<HostOptions>().Configure<IConfiguration>(static (o, c) => o.ShutdownTimeout = c.GetValue($"{LlmGatewayOptions.SectionName}:ShutdownDrainTimeout", TimeSpan.FromSeconds(30)) + TimeSpan.FromSeconds(10)); // the stream drain plus a margin
builder.Services.AddLlmGateway(builder.Configuration.GetSection(LlmGatewayOptions.SectionName))
    .AddOpenAI()
    .AddGemini()
    .AddRedis() // used when LlmGateway:Redis is set (rate limits and the cache shared); else they stay in memory
    .AddDatabase(); // keys, ownership and usage in LlmGateway:Database (SQLite data/llmgateway.db by default); after AddRedis: the store of record
builder.AddGatewayTelemetry();
builder.Services.AddCors();
builder.Services.AddOpenApi();

// Kestrel refuses a request over its own limits with an empty body, before any middleware runs. Its limits are twice
// the gateway's, so a request between the two gets the gateway's error envelope (431, 414) instead.
builder.WebHost.ConfigureKestrel(static kestrel =>
{
    kestrel.Limits.MaxRequestHeadersTotalSize = 2 * LlmGatewayApplicationBuilderExtensions.MaxRequestHeadersTotalSize;
    kestrel.Limits.MaxRequestHeaderCount = 2 * LlmGatewayApplicationBuilderExtensions.MaxRequestHeaderCount;
    kestrel.Limits.MaxRequestLineSize = 2 * LlmGatewayApplicationBuilderExtensions.MaxRequestUrlLength;
});

var app = builder.Build();

// Every answer of the host is an error envelope, for its own paths too (/foo: 404, POST /metrics: 405).
app.UseLlmGatewayErrorEnvelopes();
app.UseCors();
app.MapPrometheusScrapingEndpoint();
app.MapOpenApi();
app.MapLlmGateway();
app.MapLlmGatewayHealth();
app.MapLlmGatewayAdmin();
app.Run();

/// <summary>The thin host's entry point; public so tests can start it with WebApplicationFactory.</summary>
public partial class Program;
