using System.ClientModel;
using System.Text;
using LlmGateway;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// The gateway in-process, as a Microsoft.Extensions.AI IChatClient: no HTTP server between this program and the
// gateway; only the upstream is over HTTP (the stand-in: `dotnet run --project samples/LlmGateway.StandInUpstream`).
// appsettings.json (next to the program) names two provider instances, "standin" and "down" (nothing listens there),
// two aliases ("assistant"; "resilient", whose first target is "down") and turns the response cache on.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddLlmGateway(builder.Configuration.GetSection(LlmGatewayOptions.SectionName)).AddOpenAI();

// Code written against Microsoft.Extensions.AI asks for an IChatClient: here it is the gateway, with the alias
// "assistant" as its default model.
builder.Services.AddSingleton(static services => services.GetRequiredService<ILlmGateway>().GetChatClient("assistant"));

using var host = builder.Build();
await host.StartAsync();
var chat = host.Services.GetRequiredService<IChatClient>();
var gateway = host.Services.GetRequiredService<ILlmGateway>();

try
{
    // 1. An alias: the client asks for "assistant", the gateway sends the target's model upstream.
    var hello = await chat.GetResponseAsync("Hello from in-process");
    Console.WriteLine($"alias: 'assistant' was answered by model {hello.ModelId}: {hello.Text}");

    // Streaming goes through the same pipeline.
    var streamed = new StringBuilder();
    await foreach (var update in chat.GetStreamingResponseAsync("Stream this back"))
    {
        streamed.Append(update.Text);
    }

    Console.WriteLine($"streaming: {streamed.ToString().Trim()}");

    // 2. Failover: "resilient" tries "down" first; the connection is refused, so the gateway moves on to the next
    // target at once. ChatOptions.ModelId overrides the client's default model for one call.
    var failover = await chat.GetResponseAsync("Are you there?", new ChatOptions { ModelId = "resilient" });
    Console.WriteLine($"failover: 'resilient' was answered by model {failover.ModelId}: {failover.Text}");

    // The raw pipeline (OpenAI-format JSON in and out) also reports how the answer was found.
    await using (var raw = await gateway.SendAsync(ChatRequest("resilient", "Who answered?")))
    {
        Console.WriteLine(raw.Error is { } error
            ? $"failover: failed: {error}"
            : $"failover: {raw.Attempts} attempts, served by instance {raw.ProviderName} (model {raw.TargetModel})");
    }

    // 3. The response cache: the second identical request is answered from the cache, without calling the upstream.
    // The stand-in gives every answer a new id, so the same id twice means the second answer is the first replayed.
    var first = await chat.GetResponseAsync("What does a response cache do?");
    var second = await chat.GetResponseAsync("What does a response cache do?");
    Console.WriteLine($"cache: first call {first.ResponseId}, second call {second.ResponseId}: the second answer is the first one replayed: {first.ResponseId == second.ResponseId}");

    // The raw pipeline says so too: a cache hit took 0 attempts (over HTTP: X-Cache: HIT, x-llmgateway-attempts: 0).
    await using (var miss = await gateway.SendAsync(ChatRequest("assistant", "Cache me")))
    await using (var hit = await gateway.SendAsync(ChatRequest("assistant", "Cache me")))
    {
        Console.WriteLine($"cache: raw pipeline, first call {miss.Attempts} attempt(s), second call {hit.Attempts} attempts{(hit.Attempts == 0 ? " (served from the cache)" : string.Empty)}");
    }
}
catch (ClientResultException ex)
{
    Console.Error.WriteLine($"The gateway answered {ex.Status}: {ex.Message}");
    Console.Error.WriteLine("Is the stand-in upstream running? dotnet run --project samples/LlmGateway.StandInUpstream (http://localhost:5081)");
    return 1;
}
finally
{
    await host.StopAsync();
}

return 0;

static GatewayRequest ChatRequest(string model, string text) => new(
    GatewayOperation.ChatCompletions,
    Encoding.UTF8.GetBytes($$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{text}}"}]}"""));
