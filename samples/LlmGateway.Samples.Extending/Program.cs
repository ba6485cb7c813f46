using LlmGateway;
using LlmGateway.Samples.Extending;
using LlmGateway.Samples.Extending.Keys;
using LlmGateway.Samples.Extending.Redaction;
using LlmGateway.Samples.Extending.Routing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// The gateway extended with its public API only: a provider type for Anthropic's Messages API ("Type": "Anthropic"),
// a pipeline stage that redacts email addresses, a routing strategy ("Strategy": "PreferLocal") and a key store of
// the application's own. appsettings.json (next to the program) names the instance "anthropic" and the alias
// "assistant"; the key comes from ANTHROPIC_API_KEY.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
if (Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY") is { Length: > 0 } anthropicKey)
{
    builder.Configuration["LlmGateway:Providers:anthropic:ApiKey"] ??= anthropicKey;
}

builder.Services.AddLlmGateway(builder.Configuration.GetSection(LlmGatewayOptions.SectionName))
    .AddOpenAI()                                                  // the built-in type, for "Type": "OpenAI" instances (an Ollama, a vLLM)
    .AddAnthropic()                                               // 1. the provider type of this sample
    .Use<EmailRedactionMiddleware>()                              // 2. a stage every admitted request goes through
    .AddRoutingStrategiesFrom(typeof(PreferLocalStrategy).Assembly); // 3. every public IRoutingStrategy of this assembly
builder.Services.Configure<PreferLocalOptions>(builder.Configuration.GetSection(PreferLocalOptions.SectionName));

// 4. The application's key store replaces the gateway's default (registered before or after AddLlmGateway alike).
var keys = new InMemoryKeyStore(TimeProvider.System);
builder.Services.AddSingleton<IKeyStore>(keys);

using var host = builder.Build();

// The key store: a key is shown once; afterwards the gateway finds it by its hash.
var (key, stored) = keys.Create("docs-team", allowedModels: ["assistant"]);
Console.WriteLine($"key store: created '{stored.Name}' ({stored.Id}); JSON holds the key: {keys.ToJson().Contains(key, StringComparison.Ordinal)}");

// The key authenticates a caller as an HTTP request's bearer token would; the caller's policy is the stored key's.
var authenticator = host.Services.GetRequiredService<GatewayAuthenticator>();
var authenticated = await authenticator.AuthenticateAsync(key, providerKey: null, isLoopback: false);
var refused = await authenticator.AuthenticateAsync("lgw-not-a-key", providerKey: null, isLoopback: false);
Console.WriteLine($"authentication: the stored key is {(authenticated.Succeeded ? "accepted as " + authenticated.Caller!.Id : "refused")}; an unknown one is {(refused.Succeeded ? "accepted" : "refused")}");

if (builder.Configuration["LlmGateway:Providers:anthropic:ApiKey"] is not { Length: > 0 })
{
    Console.Error.WriteLine("Set ANTHROPIC_API_KEY to call Anthropic through the gateway.");
    return 1;
}

await host.StartAsync();
try
{
    // The provider, through the gateway, as the authenticated caller. The stage replaces the addresses before the
    // request leaves: Anthropic sees "[email]".
    var gateway = host.Services.GetRequiredService<ILlmGateway>();
    using var chat = gateway.GetChatClient("assistant", authenticated.Caller);
    var answer = await chat.GetResponseAsync(
        "Repeat this sentence exactly: write to ada@example.com and cc grace.hopper@navy.example.org about the release.",
        new ChatOptions { MaxOutputTokens = 200 });
    Console.WriteLine($"chat: {answer.ModelId}: {answer.Text}");

    Console.Write("streaming: ");
    await foreach (var update in chat.GetStreamingResponseAsync("Count from one to five.", new ChatOptions { MaxOutputTokens = 50 }))
    {
        Console.Write(update.Text);
    }

    Console.WriteLine();
    return 0;
}
catch (System.ClientModel.ClientResultException ex)
{
    Console.Error.WriteLine($"The gateway answered {ex.Status}: {ex.Message}");
    return 1;
}
finally
{
    await host.StopAsync();
}
