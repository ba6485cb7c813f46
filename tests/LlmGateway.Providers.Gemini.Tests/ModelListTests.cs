using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace LlmGateway.Providers.Gemini.Tests;

/// <summary><c>GET /v1beta/models</c> (paged) → the instance's model list, with a built-in list as the fallback.</summary>
public sealed class ModelListTests : IDisposable
{
    private const string ModelsPath = "/v1beta/models";

    private readonly GeminiUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task ListModelsAsync_TwoPages_ReadsBothWithThePageTokenAndStripsTheModelsPrefix()
    {
        var pageToken = Json.Parse(GeminiUpstream.TestData("models-page-1.json")).GetProperty("nextPageToken").GetString()!;
        _upstream.Server.Given(Request.Create().WithPath(ModelsPath).UsingGet().WithParam("pageToken", pageToken)).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(GeminiUpstream.TestData("models-page-2.json")));
        _upstream.Server.Given(Request.Create().WithPath(ModelsPath).UsingGet()).AtPriority(2)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(GeminiUpstream.TestData("models-page-1.json")));

        var result = await _upstream.CreateProvider().ListModelsAsync();

        var calls = _upstream.Server.LogEntries.Select(e => new SentRequest(e.RequestMessage)).ToList();
        calls.Should().HaveCount(2);
        calls.ForEach(c => c.ShouldBeGeminiCall("GET", ModelsPath));
        calls[0].Message.Query!.Should().NotContainKey("pageToken");
        calls[1].Message.Query!["pageToken"].Should().Equal(pageToken);
        result.Error.Should().BeNull();
        result.Models.Select(m => m.Id).Should().Equal("gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-pro-preview", "gemini-embedding-001");
    }

    [Fact]
    public async Task ListModelsAsync_OnePageWithoutToken_MakesOneCall()
    {
        _upstream.Server.Given(Request.Create().WithPath(ModelsPath).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(GeminiUpstream.TestData("models-page-2.json")));

        var result = await _upstream.CreateProvider().ListModelsAsync();

        new SentRequest(_upstream.Server.LogEntries.Should().ContainSingle().Subject.RequestMessage).ShouldBeGeminiCall("GET", ModelsPath);
        result.Models.Select(m => m.Id).Should().Equal("gemini-3-pro-preview", "gemini-embedding-001");
    }

    [Theory]
    [InlineData(403, "error-permission-denied.json")]
    [InlineData(200, "models-truncated.json")]
    public async Task ListModelsAsync_FailingModelsApi_FallsBackToTheBuiltInList(int status, string file)
    {
        _upstream.Server.Given(Request.Create().WithPath(ModelsPath).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(GeminiUpstream.TestData(file)));

        var result = await _upstream.CreateProvider().ListModelsAsync();

        new SentRequest(_upstream.Server.LogEntries.Should().ContainSingle().Subject.RequestMessage).ShouldBeGeminiCall("GET", ModelsPath);
        result.Error.Should().BeNull("a failing models API must not fail model routing");
        result.Models.Select(m => m.Id).Should().Contain(["gemini-2.5-flash", "gemini-2.5-pro", "gemini-embedding-001", "gemini-2.5-flash-preview-tts"]);
    }

    [Fact]
    public async Task ListModelsAsync_UnreachableModelsApi_FallsBackToTheBuiltInList()
    {
        var sut = _upstream.CreateProvider(baseUrl: $"http://127.0.0.1:{ErrorTests.ClosedPort()}/v1beta");

        var result = await sut.ListModelsAsync();

        result.Error.Should().BeNull();
        result.Models.Select(m => m.Id).Should().Contain(["gemini-2.5-flash", "gemini-embedding-001"]);
    }

    [Fact]
    public async Task ListModelsAsync_WithoutApiKey_IsTheBuiltInListWithoutAnyCall()
    {
        var result = await _upstream.CreateProvider(apiKey: null).ListModelsAsync();

        _upstream.ShouldHaveNoCalls();
        result.Error.Should().BeNull();
        result.Models.Select(m => m.Id).Should().Contain("gemini-2.5-flash");
    }
}
