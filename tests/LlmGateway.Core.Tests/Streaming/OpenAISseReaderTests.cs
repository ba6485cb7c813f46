using System.IO.Pipelines;
using System.Text;
using LlmGateway.Internal;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Core.Tests.Streaming;

public class OpenAISseReaderTests
{
    private static readonly TimeSpan s_idleTimeout = TimeSpan.FromSeconds(30);

    // Only a guard so a broken reader fails the test instead of hanging it; nothing waits on real time to pass.
    private static readonly TimeSpan s_hangGuard = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();

    private IAsyncEnumerable<GatewayEvent> CreateSut(Stream body, CancellationToken cancellationToken = default) =>
        OpenAISseReader.ReadAsync(body, s_idleTimeout, _time, cancellationToken);

    private static MemoryStream Sse(string text) => new(Encoding.UTF8.GetBytes(text));

    private static string Text(ReadOnlyMemory<byte> data) => Encoding.UTF8.GetString(data.Span);

    /// <summary>Reads events until the end or a failure; returns both, so a test sees what came before a failure.</summary>
    private static async Task<(List<string> Events, Exception? Failure)> ReadAllAsync(IAsyncEnumerable<GatewayEvent> events)
    {
        var seen = new List<string>();
        try
        {
            await foreach (var item in events)
            {
                seen.Add(Text(item.Data));
            }

            return (seen, null);
        }
        catch (Exception ex)
        {
            return (seen, ex);
        }
    }

    private static async Task WriteAsync(Pipe pipe, string text) => await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task ReadAsync_EventsThenDone_YieldsEachEventsDataAndEndsCleanly()
    {
        using var body = Sse("data: {\"id\":1}\n\ndata: {\"id\":2}\n\ndata: [DONE]\n\n");

        var (events, failure) = await ReadAllAsync(CreateSut(body));

        failure.Should().BeNull();
        events.Should().Equal("{\"id\":1}", "{\"id\":2}");
    }

    [Fact]
    public async Task ReadAsync_CommentsAndBlankLines_AreIgnored()
    {
        using var body = Sse(": keep-alive\n\n\n\ndata: {\"id\":1}\n\n: OPENROUTER PROCESSING\n\n\n: ping\ndata: {\"id\":2}\n\ndata: [DONE]\n\n");

        var (events, failure) = await ReadAllAsync(CreateSut(body));

        failure.Should().BeNull();
        events.Should().Equal("{\"id\":1}", "{\"id\":2}");
    }

    [Fact]
    public async Task ReadAsync_CrLfLinesAndMultiLineData_AreParsed()
    {
        using var body = Sse("event: chunk\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\ndata:[DONE]\r\n\r\n");

        var (events, failure) = await ReadAllAsync(CreateSut(body));

        failure.Should().BeNull();
        events.Should().Equal("{\"a\":\n1}");
    }

    [Theory]
    [InlineData("data: [DONE]\n\n")]
    [InlineData("data:  [DONE] \n\n")]
    public async Task ReadAsync_DoneInAnyFraming_EndsCleanly(string done)
    {
        using var body = Sse("data: {\"id\":1}\n\n" + done);

        var (events, failure) = await ReadAllAsync(CreateSut(body));

        failure.Should().BeNull();
        events.Should().Equal("{\"id\":1}");
    }

    [Fact]
    public async Task ReadAsync_EventsAfterDone_AreNotRead()
    {
        using var body = Sse("data: {\"id\":1}\n\ndata: [DONE]\n\ndata: {\"id\":2}\n\n");

        var (events, failure) = await ReadAllAsync(CreateSut(body));

        failure.Should().BeNull();
        events.Should().Equal("{\"id\":1}");
    }

    [Fact]
    public async Task ReadAsync_EndWithoutDone_ThrowsStreamInterruptedAfterTheEvents()
    {
        using var body = Sse("data: {\"id\":1}\n\ndata: {\"id\":2}\n\n");

        var (events, failure) = await ReadAllAsync(CreateSut(body));

        events.Should().Equal("{\"id\":1}", "{\"id\":2}");
        failure.Should().BeOfType<LlmGatewayException>().Which.Error.Kind.Should().Be(GatewayErrorKind.StreamInterrupted);
    }

    [Fact]
    public async Task ReadAsync_EmptyStream_ThrowsStreamInterrupted()
    {
        using var body = Sse(string.Empty);

        var (events, failure) = await ReadAllAsync(CreateSut(body));

        events.Should().BeEmpty();
        failure.Should().BeOfType<LlmGatewayException>().Which.Error.Kind.Should().Be(GatewayErrorKind.StreamInterrupted);
    }

    [Fact]
    public async Task ReadAsync_UpstreamErrorEvent_IsNotYieldedButThrownTranslatedWithItsKeyMasked()
    {
        const string error = "{\"error\":{\"message\":\"overloaded, key sk-proj-abcdef123456\",\"type\":\"server_error\",\"param\":null,\"code\":\"overloaded\",\"host\":\"lb-7\"}}";
        using var body = Sse($"data: {{\"id\":1}}\n\ndata: {error}\n\ndata: {{\"id\":2}}\n\ndata: [DONE]\n\n");

        var (events, failure) = await ReadAllAsync(CreateSut(body));

        events.Should().Equal("{\"id\":1}");
        var gatewayError = failure.Should().BeOfType<LlmGatewayException>().Which.Error;
        gatewayError.Kind.Should().Be(GatewayErrorKind.StreamInterrupted);
        gatewayError.Message.Should().Be("overloaded, key sk-proj-***");
        gatewayError.Type.Should().Be("server_error");
        gatewayError.Code.Should().Be("overloaded");
        Encoding.UTF8.GetString(ErrorEnvelope.ToBytes(gatewayError)).Should().NotContain("lb-7");
    }

    [Fact]
    public async Task ReadAsync_ConnectionBreaks_ThrowsStreamInterruptedWithTheCause()
    {
        var pipe = new Pipe();
        await using var body = pipe.Reader.AsStream();
        await WriteAsync(pipe, "data: {\"id\":1}\n\n");
        await using var events = CreateSut(body).GetAsyncEnumerator();
        (await events.MoveNextAsync()).Should().BeTrue();

        await pipe.Writer.CompleteAsync(new IOException("connection reset"));

        var exception = (await FluentActions.Awaiting(() => events.MoveNextAsync().AsTask().WaitAsync(s_hangGuard)).Should().ThrowAsync<LlmGatewayException>()).Which;
        exception.Error.Kind.Should().Be(GatewayErrorKind.StreamInterrupted);
        exception.InnerException.Should().BeOfType<IOException>();
    }

    [Fact]
    public async Task ReadAsync_SilentLongerThanTheIdleTimeout_ThrowsUpstreamTimeout()
    {
        var pipe = new Pipe();
        await using var body = pipe.Reader.AsStream();
        await WriteAsync(pipe, "data: {\"id\":1}\n\n");
        await using var events = CreateSut(body).GetAsyncEnumerator();
        (await events.MoveNextAsync()).Should().BeTrue();

        var next = events.MoveNextAsync().AsTask();
        next.IsCompleted.Should().BeFalse("the upstream has sent nothing more");
        _time.Advance(s_idleTimeout + TimeSpan.FromSeconds(1));

        var exception = await FluentActions.Awaiting(() => next.WaitAsync(s_hangGuard)).Should().ThrowAsync<LlmGatewayException>();
        exception.Which.Error.Kind.Should().Be(GatewayErrorKind.UpstreamTimeout);
        exception.Which.Error.StatusCode.Should().Be(504);
    }

    [Fact]
    public async Task ReadAsync_SilentBeforeTheFirstEvent_ThrowsUpstreamTimeout()
    {
        var pipe = new Pipe();
        await using var body = pipe.Reader.AsStream();
        await using var events = CreateSut(body).GetAsyncEnumerator();

        var first = events.MoveNextAsync().AsTask();
        _time.Advance(s_idleTimeout);

        (await FluentActions.Awaiting(() => first.WaitAsync(s_hangGuard)).Should().ThrowAsync<LlmGatewayException>())
            .Which.Error.Kind.Should().Be(GatewayErrorKind.UpstreamTimeout);
    }

    [Fact]
    public async Task ReadAsync_EachEvent_RestartsTheIdleTimeout()
    {
        var pipe = new Pipe();
        await using var body = pipe.Reader.AsStream();
        await using var events = CreateSut(body).GetAsyncEnumerator();
        var almostIdle = s_idleTimeout - TimeSpan.FromSeconds(1);

        // 29 s + 29 s + 29 s of silence in all, but never 30 s in a row.
        for (var i = 1; i <= 3; i++)
        {
            var next = events.MoveNextAsync().AsTask();
            _time.Advance(almostIdle);
            await WriteAsync(pipe, $"data: {{\"id\":{i}}}\n\n");

            (await next.WaitAsync(s_hangGuard)).Should().BeTrue();
            Text(events.Current.Data).Should().Be($"{{\"id\":{i}}}");
        }

        await WriteAsync(pipe, "data: [DONE]\n\n");
        (await events.MoveNextAsync().AsTask().WaitAsync(s_hangGuard)).Should().BeFalse();
    }

    [Fact]
    public async Task ReadAsync_CallerCancels_ThrowsOperationCanceledNotAGatewayError()
    {
        var pipe = new Pipe();
        await using var body = pipe.Reader.AsStream();
        using var cts = new CancellationTokenSource();
        await WriteAsync(pipe, "data: {\"id\":1}\n\n");
        await using var events = CreateSut(body, cts.Token).GetAsyncEnumerator();
        (await events.MoveNextAsync()).Should().BeTrue();

        var next = events.MoveNextAsync().AsTask();
        await cts.CancelAsync();

        await FluentActions.Awaiting(() => next.WaitAsync(s_hangGuard)).Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task ReadAsync_CallerCancelsAfterTheIdleTimeoutAlsoPassed_ThrowsOperationCanceled()
    {
        var pipe = new Pipe();
        await using var body = pipe.Reader.AsStream();
        using var cts = new CancellationTokenSource();
        await using var events = CreateSut(body, cts.Token).GetAsyncEnumerator();

        var next = events.MoveNextAsync().AsTask();
        await cts.CancelAsync();
        _time.Advance(s_idleTimeout);

        await FluentActions.Awaiting(() => next.WaitAsync(s_hangGuard)).Should().ThrowAsync<OperationCanceledException>();
    }

    [Theory]
    [InlineData("{\"error\":{\"message\":\"x\"}}", true)]
    [InlineData(" {\"error\":null}", true)]
    [InlineData("{\"id\":\"1\",\"choices\":[]}", false)]
    [InlineData("{\"choices\":[{\"delta\":{\"error\":\"x\"}}]}", false)]
    [InlineData("[\"error\"]", false)]
    [InlineData("not json", false)]
    [InlineData("", false)]
    public void IsErrorEvent_Data_RecognisesAnErrorObject(string data, bool expected)
    {
        OpenAISseReader.IsErrorEvent(Encoding.UTF8.GetBytes(data)).Should().Be(expected);
    }

    [Theory]
    [InlineData("{\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}", true)]
    [InlineData("{\"choices\":[{\"delta\":{},\"finish_reason\" : \"length\"}]}", true)]
    [InlineData("{\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":null}]}", false)]
    [InlineData("{\"choices\":[{\"delta\":{\"content\":\"finish_reason\"},\"finish_reason\":null}]}", false)]
    [InlineData("{\"choices\":[{\"finish_reason\":null},{\"finish_reason\":\"stop\"}]}", true)]
    public void HasFinishReason_Chunk_DetectsANonNullReason(string data, bool expected)
    {
        OpenAISseReader.HasFinishReason(Encoding.UTF8.GetBytes(data)).Should().Be(expected);
    }
}
