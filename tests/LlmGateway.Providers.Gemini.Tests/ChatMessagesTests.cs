using System.Text.Json;

namespace LlmGateway.Providers.Gemini.Tests;

/// <summary>OpenAI messages → Gemini <c>contents</c> and <c>systemInstruction</c>, including multimodal parts.</summary>
public sealed class ChatMessagesTests : IDisposable
{
    private readonly GeminiUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task SendAsync_UserAndAssistantTurns_BecomeUserAndModelContents()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync("""
            {"model":"gemini-2.5-flash","messages":[
              {"role":"user","content":"Hi"},
              {"role":"assistant","content":"Hello, what can I do?"},
              {"role":"user","content":"Tell me a joke"}]}
            """);

        var sent = _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body;
        sent.GetProperty("contents").ShouldEqualJson("""
            [{"role":"user","parts":[{"text":"Hi"}]},
             {"role":"model","parts":[{"text":"Hello, what can I do?"}]},
             {"role":"user","parts":[{"text":"Tell me a joke"}]}]
            """);
        sent.Has("systemInstruction").Should().BeFalse();
        response.Json().Path("choices", 0, "message", "content").GetString().Should().Be("Hello! How can I help you today?");
    }

    [Fact]
    public async Task SendAsync_ConsecutiveSameRoleMessages_AreMergedIntoOneTurn()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync("""
            {"model":"gemini-2.5-flash","messages":[
              {"role":"user","content":"First"},
              {"role":"user","content":[{"type":"text","text":"Second"}]},
              {"role":"assistant","content":"Third"},
              {"role":"assistant","content":"Fourth"},
              {"role":"user","content":"Fifth"}]}
            """);

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.GetProperty("contents").ShouldEqualJson("""
            [{"role":"user","parts":[{"text":"First"},{"text":"Second"}]},
             {"role":"model","parts":[{"text":"Third"},{"text":"Fourth"}]},
             {"role":"user","parts":[{"text":"Fifth"}]}]
            """);
        response.Json().Path("choices", 0, "finish_reason").GetString().Should().Be("stop");
    }

    [Fact]
    public async Task SendAsync_SystemAndDeveloperMessages_BecomeSystemInstructionNotContents()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync("""
            {"model":"gemini-2.5-flash","messages":[
              {"role":"system","content":"You are terse."},
              {"role":"developer","content":[{"type":"text","text":"Answer in French."},{"type":"text","text":"Never use emoji."}]},
              {"role":"user","content":"Hello"}]}
            """);

        var sent = _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body;
        sent.GetProperty("systemInstruction").ShouldEqualJson("""
            {"parts":[{"text":"You are terse."},{"text":"Answer in French."},{"text":"Never use emoji."}]}
            """);
        sent.GetProperty("contents").ShouldEqualJson("""[{"role":"user","parts":[{"text":"Hello"}]}]""");
        response.Json().Path("choices", 0, "message", "role").GetString().Should().Be("assistant");
    }

    [Fact]
    public async Task SendAsync_OnlySystemMessages_IsRefusedWithoutCallingGemini()
    {
        var response = await _upstream.ChatAsync("""{"model":"gemini-2.5-flash","messages":[{"role":"system","content":"You are terse."}]}""");

        response.StatusCode.Should().Be(400);
        response.Error!.Param.Should().Be("messages");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_ImageDataUrl_BecomesInlineData()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync("""
            {"model":"gemini-2.5-flash","messages":[{"role":"user","content":[
              {"type":"text","text":"What is in this picture?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==","detail":"high"}}]}]}
            """);

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("contents", 0, "parts").ShouldEqualJson("""
            [{"text":"What is in this picture?"},
             {"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="}}]
            """);
        response.Json().Path("choices", 0, "message", "content").GetString().Should().NotBeEmpty();
    }

    [Fact]
    public async Task SendAsync_GcsImageUri_BecomesFileDataWithMimeFromExtension()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync("""
            {"model":"gemini-2.5-flash","messages":[{"role":"user","content":[
              {"type":"image_url","image_url":{"url":"gs://my-bucket/photos/cat.jpg"}}]}]}
            """);

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("contents", 0, "parts").ShouldEqualJson("""
            [{"fileData":{"mimeType":"image/jpeg","fileUri":"gs://my-bucket/photos/cat.jpg"}}]
            """);
        response.IsSuccess.Should().BeTrue();
        response.Json().Path("choices").GetArrayLength().Should().Be(1);
    }

    [Theory]
    [InlineData("https://example.com/cat.png")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    public async Task SendAsync_HttpImageUrl_Is400NamingTheParameterWithoutCallingGemini(string url)
    {
        var response = await _upstream.ChatAsync("""
            {"model":"gemini-2.5-flash","messages":[
              {"role":"user","content":"Hi"},
              {"role":"user","content":[{"type":"text","text":"Look"},{"type":"image_url","image_url":{"url":"@url"}}]}]}
            """.Replace("@url", url, StringComparison.Ordinal));

        response.IsSuccess.Should().BeFalse();
        response.StatusCode.Should().Be(400);
        response.Error!.Type.Should().Be("invalid_request_error");
        response.Error.Param.Should().Be("messages[1].content[1].image_url.url");
        response.Error.Message.Should().Contain("data URL");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_InputAudio_BecomesInlineAudio()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync("""
            {"model":"gemini-2.5-flash","messages":[{"role":"user","content":[
              {"type":"input_audio","input_audio":{"data":"UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=","format":"wav"}},
              {"type":"input_audio","input_audio":{"data":"SUQzBAAAAAAAI1RTU0UAAAAPAAADTGF2ZjU4Ljc2LjEwMAAAAAAAAAAAAAAA","format":"mp3"}}]}]}
            """);

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("contents", 0, "parts").ShouldEqualJson("""
            [{"inlineData":{"mimeType":"audio/wav","data":"UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA="}},
             {"inlineData":{"mimeType":"audio/mp3","data":"SUQzBAAAAAAAI1RTU0UAAAAPAAADTGF2ZjU4Ljc2LjEwMAAAAAAAAAAAAAAA"}}]
            """);
        response.Json().Path("choices", 0, "finish_reason").GetString().Should().Be("stop");
    }

    [Fact]
    public async Task SendAsync_FileWithPdfDataUrl_BecomesInlinePdf()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync("""
            {"model":"gemini-2.5-flash","messages":[{"role":"user","content":[
              {"type":"text","text":"Summarise"},
              {"type":"file","file":{"filename":"report.pdf","file_data":"data:application/pdf;base64,JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K"}}]}]}
            """);

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("contents", 0, "parts", 1).ShouldEqualJson("""
            {"inlineData":{"mimeType":"application/pdf","data":"JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K"}}
            """);
        response.Json().Path("choices", 0, "message", "content").ValueKind.Should().Be(JsonValueKind.String);
    }

    [Fact]
    public async Task SendAsync_FileIdOfGeminiFile_BecomesFileDataWithTheFilesUri()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync("""
            {"model":"gemini-2.5-flash","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"files/abc-123"}}]}]}
            """);

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("contents", 0, "parts", 0).ShouldEqualJson("""
            {"fileData":{"fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc-123"}}
            """);
        response.IsSuccess.Should().BeTrue();
    }

    [Fact]
    public async Task SendAsync_OpenAIFileId_Is400NamingTheParameter()
    {
        var response = await _upstream.ChatAsync("""
            {"model":"gemini-2.5-flash","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-abc123"}}]}]}
            """);

        response.StatusCode.Should().Be(400);
        response.Error!.Param.Should().Be("messages[0].content[0].file.file_id");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_ImageDataUrlWithoutBase64_Is400()
    {
        var response = await _upstream.ChatAsync("""
            {"model":"gemini-2.5-flash","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/svg+xml,<svg/>"}}]}]}
            """);

        response.StatusCode.Should().Be(400);
        response.Error!.Param.Should().Be("messages[0].content[0].image_url.url");
        _upstream.ShouldHaveNoCalls();
    }
}
