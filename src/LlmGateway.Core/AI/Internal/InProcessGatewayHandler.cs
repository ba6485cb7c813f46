using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>
/// An <see cref="HttpMessageHandler"/> that answers OpenAI API requests by calling the gateway pipeline directly:
/// no socket, no serialisation beyond the request body the client builds anyway. Each request is made as
/// <paramref name="caller"/> (limited and billed as it), or as a trusted in-process call when it is null.
/// </summary>
internal sealed class InProcessGatewayHandler(ILlmGateway gateway, ILogger logger, GatewayCaller? caller = null) : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri?.AbsolutePath ?? string.Empty;
        GatewayOperation operation;
        if (path.EndsWith("/chat/completions", StringComparison.Ordinal))
        {
            operation = GatewayOperation.ChatCompletions;
        }
        else if (path.EndsWith("/embeddings", StringComparison.Ordinal))
        {
            operation = GatewayOperation.Embeddings;
        }
        else if (path.EndsWith("/audio/speech", StringComparison.Ordinal))
        {
            operation = GatewayOperation.AudioSpeech;
        }
        else if (path.EndsWith("/audio/transcriptions", StringComparison.Ordinal))
        {
            operation = GatewayOperation.AudioTranscriptions;
        }
        else if (path.EndsWith("/audio/translations", StringComparison.Ordinal))
        {
            operation = GatewayOperation.AudioTranslations;
        }
        else
        {
            var notFound = new GatewayError(GatewayErrorKind.NotFound, $"Invalid URL ({request.Method} {path}).");
            return Json(notFound.StatusCode, ErrorEnvelope.ToBytes(notFound));
        }

        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var response = await gateway.SendAsync(new GatewayRequest(operation, body) { ContentType = request.Content?.Headers.ContentType?.ToString(), Caller = caller }, cancellationToken);
        if (response.Error is { } error)
        {
            return Json(error.StatusCode, ErrorEnvelope.ToBytes(error));
        }

        if (response.BodyStream is { } bodyStream)
        {
            var audio = new StreamContent(new OwnedStream(bodyStream, response));
            audio.Headers.ContentType = MediaTypeHeaderValue.Parse(response.ContentType ?? "application/octet-stream");
            return new HttpResponseMessage((HttpStatusCode)response.StatusCode) { Content = audio, RequestMessage = request };
        }

        if (response.Events is null)
        {
            var result = Json(response.StatusCode, response.Body.ToArray());
            result.Content.Headers.ContentType = new MediaTypeHeaderValue(response.ContentType ?? "application/json");
            return result;
        }

        var pipe = new Pipe();
        _ = PumpAsync(response, pipe.Writer, cancellationToken);
        var content = new StreamContent(pipe.Reader.AsStream());
        content.Headers.ContentType = new MediaTypeHeaderValue("text/event-stream");
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request };
    }

    private async Task PumpAsync(GatewayResponse response, PipeWriter writer, CancellationToken cancellationToken)
    {
        try
        {
            await SseResponseWriter.WriteAsync(response, writer, logger, cancellationToken);
        }
        finally
        {
            await writer.CompleteAsync();
            await response.DisposeAsync();
        }
    }

    private static HttpResponseMessage Json(int status, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return new HttpResponseMessage((HttpStatusCode)status) { Content = content };
    }

    /// <summary>A stream that disposes the gateway response it came from.</summary>
    private sealed class OwnedStream(Stream inner, GatewayResponse owner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask DisposeAsync()
        {
            await owner.DisposeAsync();
            await base.DisposeAsync();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                // What the response owns (a stream and an HttpResponseMessage) disposes synchronously; the ValueTask
                // is complete when it returns.
                owner.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            base.Dispose(disposing);
        }
    }
}
