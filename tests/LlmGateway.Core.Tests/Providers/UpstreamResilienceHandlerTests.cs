using System.Net;
using LlmGateway.Internal;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Core.Tests.Providers;

public sealed class UpstreamResilienceHandlerTests : IDisposable
{
    private readonly RecordingClock _clock = new();
    private readonly ScriptedHandler _upstream;

    public UpstreamResilienceHandlerTests() => _upstream = new ScriptedHandler(_clock);

    public void Dispose() => _upstream.Dispose();

    private HttpMessageInvoker Client(UpstreamCircuits? circuits = null) =>
        new(new UpstreamResilienceHandler(circuits ?? new UpstreamCircuits(_clock), _clock) { InnerHandler = _upstream });

    private static HttpRequestMessage Request(string url = "http://upstream.test/v1/chat/completions", bool noRetry = false)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("{}") };
        if (noRetry)
        {
            message.Options.Set(UpstreamHttpClient.NoRetry, true);
        }

        return message;
    }

    /// <summary>
    /// Sends, and each time the handler starts a wait, moves the fake clock to its end, until the call ends (or 30 s of
    /// real time pass, which fails the test).
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMessageInvoker client, HttpRequestMessage request)
    {
        var task = client.SendAsync(request, CancellationToken.None);
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        var advanced = 0;
        while (!task.IsCompleted && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_clock.WaitAt(advanced) is { } wait)
            {
                _clock.Advance(wait);
                advanced++;
            }
            else
            {
                await Task.Yield();
            }
        }

        task.IsCompleted.Should().BeTrue("the handler should finish once its waits are over");
        return await task;
    }

    [Fact]
    public async Task Send_ServerErrorsThenSuccess_RetriesTwiceWithGrowingJitteredBackoff()
    {
        _upstream.Script(HttpStatusCode.ServiceUnavailable, HttpStatusCode.BadGateway, HttpStatusCode.OK);

        using var response = await SendAsync(Client(), Request());

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        _upstream.Attempts.Should().HaveCount(3);
        _clock.Waits.Should().HaveCount(2);
        _clock.Waits[0].Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(375)).And.BeLessThanOrEqualTo(TimeSpan.FromMilliseconds(625));
        _clock.Waits[1].Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(750)).And.BeLessThanOrEqualTo(TimeSpan.FromMilliseconds(1250));
    }

    [Fact]
    public async Task Send_ServerErrorEveryTime_ReturnsTheThirdAnswer()
    {
        _upstream.Script(HttpStatusCode.InternalServerError, HttpStatusCode.InternalServerError, HttpStatusCode.GatewayTimeout);

        using var response = await SendAsync(Client(), Request());

        response.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        _upstream.Attempts.Should().HaveCount(3);
    }

    [Fact]
    public async Task Send_MarkedNoRetry_ReturnsTheFirstFailure()
    {
        _upstream.Script(HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);

        using var response = await SendAsync(Client(), Request(noRetry: true));

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        _upstream.Attempts.Should().HaveCount(1);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.NotFound)]
    public async Task Send_ClientError_IsNotRetried(HttpStatusCode status)
    {
        _upstream.Script(status, HttpStatusCode.OK);

        using var response = await SendAsync(Client(), Request());

        response.StatusCode.Should().Be(status);
        _upstream.Attempts.Should().HaveCount(1);
    }

    [Fact]
    public async Task Send_RateLimitedWithShortRetryAfter_WaitsExactlyThatLong()
    {
        _upstream.Script(Answer(HttpStatusCode.TooManyRequests, retryAfterSeconds: 2), Answer(HttpStatusCode.OK));

        using var response = await SendAsync(Client(), Request());

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        _clock.Waits.Should().Equal(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Send_RateLimitedWithLongRetryAfter_ReturnsAtOnce()
    {
        _upstream.Script(Answer(HttpStatusCode.TooManyRequests, retryAfterSeconds: 30), Answer(HttpStatusCode.OK));

        using var response = await SendAsync(Client(), Request());

        response.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        _upstream.Attempts.Should().HaveCount(1);
    }

    [Fact]
    public async Task Send_ConnectionFailures_AreRetriedThenRethrown()
    {
        _upstream.Script(new HttpRequestException("refused"), new HttpRequestException("refused"), new HttpRequestException("refused"), HttpStatusCode.OK);

        var act = () => SendAsync(Client(), Request());

        await act.Should().ThrowAsync<HttpRequestException>().WithMessage("refused");
        _upstream.Attempts.Should().HaveCount(3);
    }

    [Fact]
    public async Task Send_ConnectionFailureThenSuccess_Succeeds()
    {
        _upstream.Script(new HttpRequestException("reset"), HttpStatusCode.OK);

        using var response = await SendAsync(Client(), Request());

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        _upstream.Attempts.Should().HaveCount(2);
    }

    [Fact]
    public async Task Circuit_HalfOfTwentyCallsFailing_OpensForFifteenSecondsThenProbes()
    {
        var client = Client();
        for (var i = 0; i < 20; i++)
        {
            _upstream.Script(i % 2 == 0 ? HttpStatusCode.OK : HttpStatusCode.InternalServerError);
            using var _ = await SendAsync(client, Request(noRetry: true));
        }

        var open = () => client.SendAsync(Request(noRetry: true), CancellationToken.None);
        (await open.Should().ThrowAsync<UpstreamCircuitOpenException>()).Which.RetryAfter.Should().BeCloseTo(TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(10));
        _upstream.Attempts.Should().HaveCount(20, "an open circuit sends nothing");

        _clock.Advance(TimeSpan.FromSeconds(15));
        _upstream.Script(HttpStatusCode.OK, HttpStatusCode.OK);
        using (var probe = await SendAsync(client, Request(noRetry: true)))
        {
            probe.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        using var after = await SendAsync(client, Request(noRetry: true));
        after.StatusCode.Should().Be(HttpStatusCode.OK, "a successful probe closes the circuit");
    }

    [Fact]
    public async Task Circuit_NineteenFailuresOfTwenty_StaysClosedBelowTheMinimumThroughput()
    {
        var client = Client();
        for (var i = 0; i < 19; i++)
        {
            _upstream.Script(HttpStatusCode.InternalServerError);
            using var _ = await SendAsync(client, Request(noRetry: true));
        }

        _upstream.Script(HttpStatusCode.OK);
        using var response = await SendAsync(client, Request(noRetry: true));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public void Circuit_FailedProbe_OpensAgain()
    {
        var circuit = new UpstreamCircuit(_clock);
        for (var i = 0; i < 20; i++)
        {
            circuit.TryEnter().Should().BeTrue();
            circuit.Record(failed: true);
        }

        circuit.TryEnter().Should().BeFalse();
        _clock.Advance(TimeSpan.FromSeconds(15));
        circuit.TryEnter().Should().BeTrue("the first caller after the break probes");
        circuit.TryEnter().Should().BeFalse("only one probe at a time");
        circuit.Record(failed: true);
        circuit.TryEnter().Should().BeFalse();
        _clock.Advance(TimeSpan.FromSeconds(14));
        circuit.TryEnter().Should().BeFalse();
        _clock.Advance(TimeSpan.FromSeconds(1));
        circuit.TryEnter().Should().BeTrue();
    }

    [Fact]
    public void Circuit_AbandonedProbe_LetsTheNextCallerProbe()
    {
        var circuit = new UpstreamCircuit(_clock);
        for (var i = 0; i < 20; i++)
        {
            circuit.Record(failed: true);
        }

        _clock.Advance(TimeSpan.FromSeconds(15));
        circuit.TryEnter().Should().BeTrue();
        circuit.Abandon();
        circuit.TryEnter().Should().BeTrue();
    }

    [Fact]
    public void Circuit_FailuresOlderThanTheWindow_AreForgotten()
    {
        var circuit = new UpstreamCircuit(_clock);
        for (var i = 0; i < 19; i++)
        {
            circuit.Record(failed: true);
        }

        _clock.Advance(TimeSpan.FromSeconds(31));
        circuit.Record(failed: false);
        for (var i = 0; i < 18; i++)
        {
            circuit.Record(failed: false);
        }

        circuit.Record(failed: true);
        circuit.TryEnter().Should().BeTrue("1 failure in the last 30 s out of 20 calls");

        for (var i = 0; i < 20; i++)
        {
            circuit.Record(failed: true);
        }

        circuit.TryEnter().Should().BeFalse("21 failures out of 40 calls in the window");
    }

    [Fact]
    public async Task Circuit_RateLimits_DoNotCountAsFailures()
    {
        var client = Client();
        for (var i = 0; i < 30; i++)
        {
            _upstream.Script(Answer(HttpStatusCode.TooManyRequests, retryAfterSeconds: 60));
            using var _ = await SendAsync(client, Request(noRetry: true));
        }

        _upstream.Script(HttpStatusCode.OK);
        using var response = await SendAsync(client, Request(noRetry: true));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Circuit_IsPerUpstreamAuthority()
    {
        var circuits = new UpstreamCircuits(_clock);
        var client = Client(circuits);
        for (var i = 0; i < 20; i++)
        {
            _upstream.Script(HttpStatusCode.InternalServerError);
            using var _ = await SendAsync(client, Request("http://failing.test/v1/chat/completions", noRetry: true));
        }

        var failing = () => client.SendAsync(Request("http://failing.test/v1/embeddings"), CancellationToken.None);
        await failing.Should().ThrowAsync<UpstreamCircuitOpenException>();

        _upstream.Script(HttpStatusCode.OK);
        using var other = await SendAsync(client, Request("http://failing.test:8080/v1/chat/completions"));
        other.StatusCode.Should().Be(HttpStatusCode.OK, "another port is another upstream");
    }

    private static HttpResponseMessage Answer(HttpStatusCode status, int? retryAfterSeconds = null)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent("{}") };
        if (retryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(seconds));
        }

        return response;
    }

    /// <summary>A fake clock that notes every wait asked of it (what <c>Task.Delay</c> with a time provider asks).</summary>
    private sealed class RecordingClock() : FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T00:00:00Z", global::System.Globalization.CultureInfo.InvariantCulture))
    {
        private readonly List<TimeSpan> _waits = [];

        public IReadOnlyList<TimeSpan> Waits
        {
            get
            {
                lock (_waits)
                {
                    return [.. _waits];
                }
            }
        }

        /// <summary>The <paramref name="index"/>th wait asked for, once its timer exists; null before.</summary>
        public TimeSpan? WaitAt(int index)
        {
            lock (_waits)
            {
                return index < _waits.Count ? _waits[index] : null;
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                lock (_waits)
                {
                    _waits.Add(dueTime); // noted once the timer is armed, so the test never moves the clock before it
                }
            }

            return timer;
        }
    }

    /// <summary>An upstream that answers from a script and notes the (fake) time of each attempt.</summary>
    private sealed class ScriptedHandler(TimeProvider clock) : HttpMessageHandler
    {
        private readonly Queue<object> _script = new();

        public List<DateTimeOffset> Attempts { get; } = [];

        public void Script(params object[] outcomes)
        {
            foreach (var outcome in outcomes)
            {
                _script.Enqueue(outcome);
            }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Attempts.Add(clock.GetUtcNow());
            return _script.Dequeue() switch
            {
                HttpStatusCode status => Task.FromResult(Answer(status)),
                HttpResponseMessage response => Task.FromResult(response),
                Exception ex => Task.FromException<HttpResponseMessage>(ex),
                var other => throw new InvalidOperationException($"Unexpected script entry {other}."),
            };
        }
    }
}
