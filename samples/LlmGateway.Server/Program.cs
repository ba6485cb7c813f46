using LlmGateway;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddOptions<HostOptions>().Configure<IConfiguration>(static (o, c) => o.ShutdownTimeout = c.GetValue($"{LlmGatewayOptions.SectionName}:ShutdownDrainTimeout", TimeSpan.FromSeconds(30)) + TimeSpan.FromSeconds(10)); // the stream drain plus a margin
builder.Services.AddLlmGateway(builder.Configuration.GetSection(LlmGatewayOptions.SectionName))
    .AddOpenAI()
    .AddGemini();

var app = builder.Build();
app.MapLlmGateway();
app.Run();

/// <summary>The thin host's entry point; public so tests can start it with WebApplicationFactory.</summary>
public partial class Program;
