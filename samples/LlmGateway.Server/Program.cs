using LlmGateway;
using LlmGateway.Server;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddOptions<HostOptions>().Configure<IConfiguration>(static (o, c) => o.ShutdownTimeout = c.GetValue($"{LlmGatewayOptions.SectionName}:ShutdownDrainTimeout", TimeSpan.FromSeconds(30)) + TimeSpan.FromSeconds(10)); // the stream drain plus a margin
builder.Services.AddLlmGateway(builder.Configuration.GetSection(LlmGatewayOptions.SectionName))
    .AddOpenAI()
    .AddGemini();
builder.AddGatewayTelemetry();
builder.Services.AddCors();
builder.Services.AddOpenApi();

var app = builder.Build();
app.UseCors();
app.MapPrometheusScrapingEndpoint();
app.MapOpenApi();
app.MapLlmGateway();
app.Run();

/// <summary>The thin host's entry point; public so tests can start it with WebApplicationFactory.</summary>
public partial class Program;
