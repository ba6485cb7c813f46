using System.ClientModel;
using System.Security.Claims;
using LlmGateway;
using LlmGateway.Samples.AspNetCore;
using Microsoft.Extensions.AI;

// An ASP.NET Core app with endpoints of its own that also serves the gateway's OpenAI-compatible endpoints, under
// /llm, behind the app's own authentication and authorization policy.
var builder = WebApplication.CreateBuilder(args);

// Running streams get LlmGateway:ShutdownDrainTimeout to finish on shutdown; the host must wait a little longer.
builder.Services.AddOptions<HostOptions>().Configure<IConfiguration>(static (host, configuration) =>
    host.ShutdownTimeout = configuration.GetValue($"{LlmGatewayOptions.SectionName}:ShutdownDrainTimeout", TimeSpan.FromSeconds(30)) + TimeSpan.FromSeconds(10));

// The gateway. Its Auth mode is None (appsettings.json): this app authenticates every caller itself, and every
// gateway endpoint is mapped behind the app's policy below. AllowNoneBeyondLoopback lets the app listen beyond
// loopback in that mode (README.md says why, and when to choose gateway keys instead).
builder.Services.AddLlmGateway(builder.Configuration.GetSection(LlmGatewayOptions.SectionName))
    .AddOpenAI()
    .AddGemini();

// The app's own authentication (a bearer API key, ApiKeyAuthenticationHandler.cs) and its one policy.
builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
    .AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(
        ApiKeyAuthenticationHandler.SchemeName,
        options => builder.Configuration.GetSection("ApiKeys").Bind(options.Keys));
builder.Services.AddAuthorizationBuilder()
    .AddPolicy("ApiCallers", static policy => policy.RequireAuthenticatedUser());

// The app's own code calls the gateway in-process, as a Microsoft.Extensions.AI IChatClient.
builder.Services.AddSingleton(static services => services.GetRequiredService<ILlmGateway>().GetChatClient("gpt-4o-mini"));

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();

// The app's own endpoints: one open, the others behind the policy.
app.MapGet("/", static () => "LlmGateway ASP.NET Core sample: GET /api/me, POST /api/ask, and the gateway under /llm/v1 (all with a key).");
var api = app.MapGroup("/api").RequireAuthorization("ApiCallers");
api.MapGet("/me", static (ClaimsPrincipal user) => new { caller = user.Identity?.Name });
api.MapPost("/ask", static async Task<IResult> (AskRequest request, IChatClient chat, CancellationToken cancellationToken) =>
{
    try
    {
        var response = await chat.GetResponseAsync(request.Question, cancellationToken: cancellationToken);
        return TypedResults.Ok(new AskResponse(response.Text, response.ModelId));
    }
    catch (ClientResultException ex)
    {
        return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status502BadGateway);
    }
});

// The gateway's endpoints under /llm (/llm/v1/chat/completions, /llm/v1/models, ...) and its health endpoints
// (/llm/health, /llm/health/live, /llm/health/ready), behind the same policy: an OpenAI SDK takes base URL
// http://localhost:5090/llm/v1 and one of this app's keys as its API key. The admin API (MapLlmGatewayAdmin) is not
// mapped: this app manages its callers itself.
var llm = app.MapGroup("/llm");
llm.MapLlmGateway().RequireAuthorization("ApiCallers");
llm.MapLlmGatewayHealth().RequireAuthorization("ApiCallers");

app.Run();
