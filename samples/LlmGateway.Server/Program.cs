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
try
{
    await app.RunAsync();
}
catch (Microsoft.Extensions.Options.OptionsValidationException refused)
{
    // The host has logged the failure; say what to fix in plain lines and exit 1 rather than abort with a stack trace.
    Console.Error.WriteLine("LlmGateway did not start: the configuration was refused.");
    foreach (var failure in refused.Failures)
    {
        Console.Error.WriteLine("  " + failure);
    }

    return 1;
}

return 0;

/// <summary>The thin host's entry point; public so tests can start it with WebApplicationFactory.</summary>
public partial class Program;
