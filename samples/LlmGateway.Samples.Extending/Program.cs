using LlmGateway;
using LlmGateway.Samples.Extending;
using LlmGateway.Samples.Extending.Keys;
using LlmGateway.Samples.Extending.Redaction;
using LlmGateway.Samples.Extending.Routing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

// The gateway extended with its public API only: a provider type for Anthropic's Messages API ("Type": "Anthropic"),
// a routing strategy ("Strategy": "PreferLocal"), an email redactor for prompts and a key store. appsettings.json
// (next to the program) names the instance "anthropic" and the alias "assistant"; the key comes from ANTHROPIC_API_KEY.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
if (Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY") is { Length: > 0 } anthropicKey)
{
    builder.Configuration["LlmGateway:Providers:anthropic:ApiKey"] ??= anthropicKey;
}

builder.Services.AddLlmGateway(builder.Configuration.GetSection(LlmGatewayOptions.SectionName)).AddAnthropic();
builder.Services.Configure<PreferLocalOptions>(builder.Configuration.GetSection(PreferLocalOptions.SectionName));
builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IRoutingStrategy, PreferLocalStrategy>());

using var host = builder.Build();

// 1. The redactor: a pure function over the OpenAI body, run before the gateway sees it.
var prompt = "Write to ada@example.com and cc grace.hopper@navy.example.org about the release.";
Console.WriteLine($"redaction: {EmailRedactor.Redact(prompt)}");

// 2. The key store: a key is shown once; afterwards it is found by its hash.
var keys = new InMemoryKeyStore(TimeProvider.System);
var (key, stored) = keys.Create("docs-team", allowedModels: ["assistant"]);
Console.WriteLine($"key store: created '{stored.Name}' ({stored.Id}); found by its key: {keys.Find(key) is not null}; JSON holds the key: {keys.Save().Contains(key, StringComparison.Ordinal)}");

// 3. The provider, through the gateway: an IChatClient for the alias "assistant".
if (builder.Configuration["LlmGateway:Providers:anthropic:ApiKey"] is not { Length: > 0 })
{
    Console.Error.WriteLine("Set ANTHROPIC_API_KEY to call Anthropic through the gateway.");
    return 1;
}

await host.StartAsync();
try
{
    var gateway = host.Services.GetRequiredService<ILlmGateway>();
    var chat = gateway.GetChatClient("assistant");
    var answer = await chat.GetResponseAsync(EmailRedactor.Redact(prompt), new ChatOptions { MaxOutputTokens = 200 });
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
