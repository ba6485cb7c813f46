using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Routing;

public class ModelCatalogTests
{
    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("gpt-4o-mini")]
    [InlineData("gpt-4.1-nano")]
    [InlineData("gpt-5")]
    [InlineData("GPT-4O")]
    [InlineData("chatgpt-4o-latest")]
    [InlineData("o1")]
    [InlineData("o1-mini")]
    [InlineData("o3")]
    [InlineData("o3-mini")]
    [InlineData("o4-mini")]
    [InlineData("text-embedding-3-small")]
    [InlineData("text-embedding-3-large")]
    [InlineData("text-embedding-ada-002")]
    [InlineData("whisper-1")]
    [InlineData("tts-1")]
    [InlineData("tts-1-hd")]
    [InlineData("gpt-4o-mini-tts")]
    public void GetProviderType_OpenAIModel_ReturnsOpenAI(string model)
    {
        ModelCatalog.GetProviderType(model).Should().Be(ProviderTypes.OpenAI);
    }

    [Theory]
    [InlineData("gemini-2.5-pro")]
    [InlineData("gemini-2.0-flash")]
    [InlineData("Gemini-1.5-Flash")]
    [InlineData("text-embedding-004")]
    [InlineData("gemini-embedding-001")]
    [InlineData("gemini-embedding-exp-03-07")]
    public void GetProviderType_GeminiModel_ReturnsGemini(string model)
    {
        ModelCatalog.GetProviderType(model).Should().Be(ProviderTypes.Gemini);
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("claude-3-5-sonnet")]
    [InlineData("mistral-large")]
    [InlineData("meta-llama/Llama-3")]
    [InlineData("openai/gpt-4o")]
    [InlineData("text-embedding-ada-002-v2")]
    [InlineData("text-embedding-005")]
    [InlineData("whisper-2")]
    [InlineData("gpt")]
    [InlineData("")]
    public void GetProviderType_UnknownModel_ReturnsNull(string model)
    {
        ModelCatalog.GetProviderType(model).Should().BeNull();
    }
}
