using System.Net;
using LlmGateway.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Core.Tests.Providers;

/// <summary>The upstream handler chain's retries and per-upstream circuit, through the named client's handlers
/// (<see cref="UpstreamHttpClient.Add"/>) in front of a scripted upstream, on a fake clock.</summary>
public sealed class UpstreamResilienceTests : IDisposable
{
    /// <summary>The caller of mode None, which stands for every client: its failures open a circuit for everyone.</summary>
    private static readonly string Everyone = GatewayCaller.Anonymous.Id;

    private readonly RecordingClock _clock = new();
    private readonly ScriptedHandler _upstream;

    private readonly List<ServiceProvider> _providers = [];

    public UpstreamResilienceTests() => _upstream = new ScriptedHandler(_clock);

    public void Dispose()
    {
        foreach (var provider in _providers)
        {
            provider.Dispose();
        }

        _upstream.Dispose();
    }

    /// <summary>The handler chain a provider type gets, with the scripted upstream as its primary handler.</summary>
    private HttpMessageInvoker Client()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_clock);
        services.AddLogging();
        UpstreamHttpClient.Add(services, "LlmGateway.Test");
        services.AddHttpClient("LlmGateway.Test").ConfigurePrimaryHttpMessageHandler(() => _upstream);
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return UpstreamHttpClient.CreateInvoker(provider.GetRequiredService<IHttpMessageHandlerFactory>(), "LlmGateway.Test");
    }

    private static HttpRequestMessage Request(string url = "http://upstream.test/v1/chat/completions", bool noRetry = false, string? caller = null, bool patient = false, UpstreamCallState? call = null)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("{}") };
        if (noRetry)
        {
            message.Options.Set(UpstreamHttpClient.NoRetry, true);
        }

        if (patient)
        {
            message.Options.Set(UpstreamHttpClient.Patient, true);
        }

        if (call is not null)
        {
            message.Options.Set(UpstreamHttpClient.Call, call);
        }

        if (caller is not null)
        {
            message.Options.Set(UpstreamHttpClient.Caller, caller);
        }

        return message;
    }

    /// <summary>
    /// Sends, and each time the handler starts a wait, moves the fake clock to its end, until the call ends (or 30 s of
    /// real time pass, which fails the test).
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMessageInvoker client, HttpRequestMessage request)
    {
        var advanced = _clock.Waits.Count; // the waits of earlier calls are over
        var task = client.SendAsync(request, CancellationToken.None);
        var deadline = System.Diagnostics.Stopwatch.StartNew();
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
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public async Task Patient_TransientServerErrorThenSuccess_RetriesOnceAfterAShortJitteredBackoff(HttpStatusCode status)
    {
        _upstream.Script(status, HttpStatusCode.OK);
        var call = new UpstreamCallState();

        using var response = await SendAsync(Client(), Request(patient: true, call: call));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        _upstream.Attempts.Should().HaveCount(2);
        _clock.Waits.Should().ContainSingle().Which.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(375)).And.BeLessThanOrEqualTo(TimeSpan.FromMilliseconds(625));
        call.Reasons.Should().Equal("server_error");
        call.Patient.Should().BeTrue();
    }

    [Fact]
    public async Task Patient_ServerErrorTwice_ReturnsTheSecondFailureAfterOneRetry()
    {
        _upstream.Script(HttpStatusCode.ServiceUnavailable, HttpStatusCode.InternalServerError, HttpStatusCode.OK);

        using var response = await SendAsync(Client(), Request(patient: true));

        response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        _upstream.Attempts.Should().HaveCount(2, "another target is waiting: one patient retry at most");
    }

    [Fact]
    public async Task Patient_RateLimitedWithinThePatience_WaitsItOutAndRetriesOnce()
    {
        _upstream.Script(Answer(HttpStatusCode.TooManyRequests, retryAfterSeconds: 2), Answer(HttpStatusCode.OK));
        var call = new UpstreamCallState();

        using var response = await SendAsync(Client(), Request(patient: true, call: call));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        _clock.Waits.Should().Equal(TimeSpan.FromSeconds(2));
        (_upstream.Attempts[1] - _upstream.Attempts[0]).Should().Be(TimeSpan.FromSeconds(2));
        call.Reasons.Should().Equal("rate_limited");
    }

    [Theory]
    [InlineData(4)]
    [InlineData(60)]
    public async Task Patient_RateLimitedForLongerThanThePatience_ReturnsAtOnce(int retryAfterSeconds)
    {
        _upstream.Script(Answer(HttpStatusCode.TooManyRequests, retryAfterSeconds), Answer(HttpStatusCode.OK));

        using var response = await SendAsync(Client(), Request(patient: true));

        response.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        _upstream.Attempts.Should().HaveCount(1);
        _clock.Waits.Should().BeEmpty();
    }

    [Fact]
    public async Task Patient_ServerErrorAskingForALongWait_ReturnsAtOnce()
    {
        _upstream.Script(Answer(HttpStatusCode.ServiceUnavailable, retryAfterSeconds: 30), Answer(HttpStatusCode.OK));

        using var response = await SendAsync(Client(), Request(patient: true));

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        _upstream.Attempts.Should().HaveCount(1);
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task Patient_RateLimitWithoutAWaitOrATimeout_IsNotRetried(HttpStatusCode status)
    {
        _upstream.Script(status, HttpStatusCode.OK);

        using var response = await SendAsync(Client(), Request(patient: true));

        response.StatusCode.Should().Be(status);
        _upstream.Attempts.Should().HaveCount(1);
    }

    [Fact]
    public async Task Patient_ConnectionFailure_IsNotRetried()
    {
        _upstream.Script(new HttpRequestException("refused"), HttpStatusCode.OK);

        var act = () => SendAsync(Client(), Request(patient: true));

        await act.Should().ThrowAsync<HttpRequestException>();
        _upstream.Attempts.Should().HaveCount(1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WaitThatWouldOutlastTheDeadline_IsNotWaited(bool patient)
    {
        _upstream.Script(Answer(HttpStatusCode.TooManyRequests, retryAfterSeconds: 2), Answer(HttpStatusCode.OK));
        var call = new UpstreamCallState { NotAfter = _clock.GetUtcNow() + TimeSpan.FromSeconds(1.5) };

        using var response = await SendAsync(Client(), Request(patient: patient, call: call));

        response.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "the request's budget ends before the wait would");
        _upstream.Attempts.Should().HaveCount(1);
        call.Retries.Should().Be(0);
    }

    [Fact]
    public async Task Send_RetriesOnTheLastTarget_AreReportedToTheAttempt()
    {
        _upstream.Script(HttpStatusCode.ServiceUnavailable, new HttpRequestException("reset"), HttpStatusCode.OK);
        var call = new UpstreamCallState();

        using var response = await SendAsync(Client(), Request(call: call));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        call.Reasons.Should().Equal("server_error", "connection_failed");
        call.Patient.Should().BeFalse();
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
            circuit.TryEnter(Everyone).Should().BeTrue();
            circuit.Record(Everyone, failed: true);
        }

        circuit.TryEnter(Everyone).Should().BeFalse();
        _clock.Advance(TimeSpan.FromSeconds(15));
        circuit.TryEnter(Everyone).Should().BeTrue("the first caller after the break probes");
        circuit.TryEnter(Everyone).Should().BeFalse("only one probe at a time");
        circuit.Record(Everyone, failed: true);
        circuit.TryEnter(Everyone).Should().BeFalse();
        _clock.Advance(TimeSpan.FromSeconds(14));
        circuit.TryEnter(Everyone).Should().BeFalse();
        _clock.Advance(TimeSpan.FromSeconds(1));
        circuit.TryEnter(Everyone).Should().BeTrue();
    }

    [Fact]
    public void Circuit_AbandonedProbe_LetsTheNextCallerProbe()
    {
        var circuit = new UpstreamCircuit(_clock);
        for (var i = 0; i < 20; i++)
        {
            circuit.Record(Everyone, failed: true);
        }

        _clock.Advance(TimeSpan.FromSeconds(15));
        circuit.TryEnter(Everyone).Should().BeTrue();
        circuit.Abandon();
        circuit.TryEnter(Everyone).Should().BeTrue();
    }

    [Fact]
    public void Circuit_FailuresOlderThanTheWindow_AreForgotten()
    {
        var circuit = new UpstreamCircuit(_clock);
        for (var i = 0; i < 19; i++)
        {
            circuit.Record(Everyone, failed: true);
        }

        _clock.Advance(TimeSpan.FromSeconds(31));
        circuit.Record(Everyone, failed: false);
        for (var i = 0; i < 18; i++)
        {
            circuit.Record(Everyone, failed: false);
        }

        circuit.Record(Everyone, failed: true);
        circuit.TryEnter(Everyone).Should().BeTrue("1 failure in the last 30 s out of 20 calls");

        for (var i = 0; i < 20; i++)
        {
            circuit.Record(Everyone, failed: true);
        }

        circuit.TryEnter(Everyone).Should().BeFalse("21 failures out of 40 calls in the window");
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
        var client = Client();
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

    [Fact]
    public async Task Circuit_OneCallersRetriedFailures_HoldBackThatCallerOnly()
    {
        var client = Client();
        _upstream.Script(HttpStatusCode.OK);
        using (var first = await SendAsync(client, Request(caller: "key-b")))
        {
            first.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        // Six requests of one caller, each failing on its first attempt and on both retries: 18 failures of 19 calls.
        for (var i = 0; i < 6; i++)
        {
            _upstream.Script(HttpStatusCode.InternalServerError, HttpStatusCode.InternalServerError, HttpStatusCode.InternalServerError);
            using var failed = await SendAsync(client, Request(caller: "key-a"));
            failed.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        }

        // The seventh fails once more, which trips the circuit: its retry is refused, for that caller only.
        _upstream.Script(HttpStatusCode.InternalServerError);
        var held = () => SendAsync(client, Request(caller: "key-a"));
        var refusal = (await held.Should().ThrowAsync<UpstreamCircuitOpenException>()).Which;
        refusal.CallerOnly.Should().BeTrue();
        refusal.RetryAfter.Should().BeGreaterThan(TimeSpan.FromSeconds(14)).And.BeLessThan(TimeSpan.FromSeconds(15), "the break began before the backoff");
        _upstream.Attempts.Should().HaveCount(20);

        _upstream.Script(HttpStatusCode.OK);
        using var other = await SendAsync(client, Request(caller: "key-b"));
        other.StatusCode.Should().Be(HttpStatusCode.OK, "the failures were another caller's own");
        var again = () => client.SendAsync(Request(caller: "key-a"), CancellationToken.None);
        await again.Should().ThrowAsync<UpstreamCircuitOpenException>();
        _upstream.Attempts.Should().HaveCount(21, "the held-back caller's calls sent nothing");
    }

    [Fact]
    public void Circuit_FailuresOfOneCaller_DoNotOpenItForAnotherButHoldBackTheFailingOne()
    {
        var circuit = new UpstreamCircuit(_clock);
        circuit.Record("key-b", failed: false);
        for (var i = 0; i < 19; i++)
        {
            circuit.TryEnter("key-a").Should().BeTrue();
            circuit.Record("key-a", failed: true);
        }

        circuit.TryEnter("key-a").Should().BeFalse("the caller whose calls failed is held back");
        circuit.IsHeld("key-a").Should().BeTrue();
        circuit.TryEnter("key-b").Should().BeTrue("another caller's calls still go");
        circuit.TryEnter("key-c").Should().BeTrue("so do a newcomer's");
    }

    [Fact]
    public void Circuit_OneStrayFailureOfAnotherCaller_DoesNotOpenItForEveryone()
    {
        var circuit = new UpstreamCircuit(_clock);
        for (var i = 0; i < 30; i++)
        {
            circuit.Record("key-b", failed: i == 10);
        }

        for (var i = 0; i < 40; i++)
        {
            circuit.Record("key-a", failed: true);
        }

        circuit.Record("key-b", failed: true);

        circuit.TryEnter("key-b").Should().BeTrue("2 of the other caller's 31 calls failed");
        circuit.TryEnter("key-a").Should().BeFalse();
    }

    [Fact]
    public void Circuit_FailuresOfTwoCallers_OpenItForEveryone()
    {
        var circuit = new UpstreamCircuit(_clock);
        for (var i = 0; i < 10; i++)
        {
            circuit.Record("key-a", failed: true);
            circuit.Record("key-b", failed: true);
        }

        circuit.TryEnter("key-c").Should().BeFalse("the upstream fails for more than one caller");
        circuit.IsHeld("key-c").Should().BeFalse("it is open for everyone, not holding back one caller");
        _clock.Advance(TimeSpan.FromSeconds(15));
        circuit.TryEnter("key-c").Should().BeTrue("one probe after the break");
        circuit.TryEnter("key-a").Should().BeFalse("only one");
    }

    [Fact]
    public void Circuit_LoneCaller_IsHeldBackAndHeldAgainWhenItFailsAfterItsBreak()
    {
        var circuit = new UpstreamCircuit(_clock);
        for (var i = 0; i < 20; i++)
        {
            circuit.Record("key-a", failed: true);
        }

        circuit.TryEnter("key-a").Should().BeFalse("a lone caller still gets a circuit");
        circuit.RetryAfter("key-a").Should().Be(TimeSpan.FromSeconds(15));
        _clock.Advance(TimeSpan.FromSeconds(15));
        circuit.TryEnter("key-a").Should().BeTrue("its break is over");
        circuit.Record("key-a", failed: true);
        circuit.TryEnter("key-a").Should().BeFalse("its first call after the break failed: held back again");
        circuit.RetryAfter("key-a").Should().Be(TimeSpan.FromSeconds(15));
    }

    [Fact]
    public void Circuit_HeldBackCallersSuccessAfterItsBreak_ForgetsItsFailures()
    {
        var circuit = new UpstreamCircuit(_clock);
        for (var i = 0; i < 20; i++)
        {
            circuit.Record("key-a", failed: true);
        }

        _clock.Advance(TimeSpan.FromSeconds(15));
        circuit.TryEnter("key-a").Should().BeTrue();
        circuit.Record("key-a", failed: false);
        circuit.Record("key-a", failed: true);

        circuit.TryEnter("key-a").Should().BeTrue("1 failure of 2 calls once its earlier failures are forgotten");
    }

    [Fact]
    public void Circuit_FailuresOfTheCallerOfModeNone_OpenItForEveryone()
    {
        var circuit = new UpstreamCircuit(_clock);
        for (var i = 0; i < 20; i++)
        {
            circuit.Record(GatewayCaller.Anonymous.Id, failed: true);
        }

        circuit.TryEnter(GatewayCaller.InProcessId).Should().BeFalse("in mode None every client is that one caller");
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
