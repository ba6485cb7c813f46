using System.Net;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using LlmGateway.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Benchmarks.Micro;

/// <summary>
/// One upstream call through the providers' handler chain (<see cref="UpstreamHttpClient.Add"/>: the resilience
/// pipeline, retry and per-upstream circuit) against the primary handler alone, a call that succeeds at once (what
/// almost every call is). <see cref="Transport.Loopback"/>: a <see cref="SocketsHttpHandler"/> to a minimal HTTP/1.1
/// server on loopback; <see cref="Transport.InMemory"/>: a handler that answers at once, so the difference is the
/// chain's own cost without the network's noise.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class UpstreamChainBenchmarks : IDisposable
{
    private const string ClientName = "LlmGateway.Benchmark";

    private ServiceProvider? _services;
    private HttpMessageInvoker? _plain;
    private HttpMessageInvoker? _chain;
    private CannedServer? _server;
    private Uri _uri = new("http://127.0.0.1/");

    public enum Transport
    {
        InMemory,
        Loopback,
    }

    [Params(Transport.InMemory, Transport.Loopback)]
    public Transport Via { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        services.AddLlmGateway();
        UpstreamHttpClient.Add(services, ClientName);
        if (Via == Transport.InMemory)
        {
            _plain = new HttpMessageInvoker(new CannedHandler());
            services.AddHttpClient(ClientName).ConfigurePrimaryHttpMessageHandler(static () => new CannedHandler());
            _uri = new Uri("http://upstream.test/v1/chat/completions");
        }
        else
        {
            _server = new CannedServer();
            _plain = new HttpMessageInvoker(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None });
            _uri = new Uri($"http://127.0.0.1:{_server.Port}/v1/chat/completions");
        }

        _services = services.BuildServiceProvider();
        _chain = UpstreamHttpClient.CreateInvoker(_services.GetRequiredService<IHttpMessageHandlerFactory>(), ClientName);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _plain?.Dispose();
        _chain?.Dispose();
        _services?.Dispose();
        _server?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true, Description = "primary handler alone")]
    public Task<long> Plain() => SendAsync(_plain!);

    [Benchmark(Description = "upstream chain (resilience pipeline)")]
    public Task<long> Chain() => SendAsync(_chain!);

    private async Task<long> SendAsync(HttpMessageInvoker invoker)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _uri) { Content = new ByteArrayContent(CannedServer.RequestBody) };
        using var response = await invoker.SendAsync(request, CancellationToken.None);
        var body = await response.Content.ReadAsByteArrayAsync();
        return body.Length;
    }

    private sealed class CannedHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(CannedServer.ResponseBody), RequestMessage = request });
    }

    /// <summary>A keep-alive HTTP/1.1 server on loopback that answers every request with the same small JSON.</summary>
    private sealed class CannedServer : IDisposable
    {
        public static readonly byte[] RequestBody = Encoding.UTF8.GetBytes("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""");
        public static readonly byte[] ResponseBody = Encoding.UTF8.GetBytes("""{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}]}""");

        private static readonly byte[] s_response = [.. Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {ResponseBody.Length}\r\n\r\n"), .. ResponseBody];

        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();

        public CannedServer()
        {
            _listener.Start();
            _ = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    _ = ServeAsync(socket);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // stopped
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            using var _ = socket;
            var buffer = new byte[8192];
            var filled = 0;
            try
            {
                while (true)
                {
                    var read = await socket.ReceiveAsync(buffer.AsMemory(filled), _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    filled += read;
                    while (TryTakeRequest(buffer, ref filled))
                    {
                        await socket.SendAsync(s_response, _stop.Token);
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // the client closed the connection, or the server stopped
            }
        }

        /// <summary>Takes one whole request (headers and a <c>Content-Length</c> body) off the front of the buffer.</summary>
        private static bool TryTakeRequest(byte[] buffer, ref int filled)
        {
            var headersEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (headersEnd < 0)
            {
                return false;
            }

            var headers = Encoding.ASCII.GetString(buffer, 0, headersEnd);
            var length = 0;
            foreach (var line in headers.Split("\r\n"))
            {
                if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                {
                    length = int.Parse(line.AsSpan(15).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            var total = headersEnd + 4 + length;
            if (filled < total)
            {
                return false;
            }

            Buffer.BlockCopy(buffer, total, buffer, 0, filled - total);
            filled -= total;
            return true;
        }
    }
}
