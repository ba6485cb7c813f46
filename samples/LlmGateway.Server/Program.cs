using LlmGateway;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddLlmGateway(builder.Configuration.GetSection(LlmGatewayOptions.SectionName))
    .AddOpenAI()
    .AddGemini();

var app = builder.Build();
app.MapLlmGateway();
app.Run();

/// <summary>The thin host's entry point; public so tests can start it with WebApplicationFactory.</summary>
public partial class Program;
