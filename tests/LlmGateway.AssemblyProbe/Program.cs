using LlmGateway;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

// Arguments: the OpenAI-compatible upstream's base URL (…/v1) and the key to send it. Prints the answer, then one
// "loaded: <assembly name>" line per assembly loaded in this process.
var services = new ServiceCollection();
services.AddLlmGateway(options => options.Providers["openai"] = new ProviderOptions { BaseUrl = args[0], ApiKey = args[1] })
    .AddOpenAI();
await using (var provider = services.BuildServiceProvider())
{
    var gateway = provider.GetRequiredService<ILlmGateway>();
    using var chat = gateway.GetChatClient("gpt-4o-mini");
    var response = await chat.GetResponseAsync("Hello");
    Console.WriteLine("answer: " + response.Text);
}

foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
{
    Console.WriteLine("loaded: " + assembly.GetName().Name);
}
