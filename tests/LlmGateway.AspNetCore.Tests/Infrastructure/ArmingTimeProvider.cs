using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports every time a timer is armed, so a test can advance time exactly when
/// the code under test is waiting, instead of guessing with sleeps.
/// </summary>
internal sealed class ArmingTimeProvider : TimeProvider
{
    private readonly Channel<TimeSpan> _armed = Channel.CreateUnbounded<TimeSpan>();
    private readonly System.Collections.Concurrent.ConcurrentQueue<TimeSpan> _history = new();

    public FakeTimeProvider Fake { get; } = new(DateTimeOffset.UtcNow);

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        // Report only once the timer exists: a test that advances the clock on the report must find it armed.
        var timer = new Timer(Fake.CreateTimer(callback, state, dueTime, period), this);
        Report(dueTime);
        return timer;
    }

    /// <summary>Waits until a timer is armed to fire after <paramref name="dueTime"/>.</summary>
    public async Task WaitForArmedAsync(TimeSpan dueTime, CancellationToken cancellationToken = default)
    {
        while (await _armed.Reader.ReadAsync(cancellationToken) != dueTime)
        {
        }
    }

    /// <summary>Whether a timer was ever armed to fire after <paramref name="dueTime"/>, waited for or not.</summary>
    public bool HasArmed(TimeSpan dueTime) => _history.Contains(dueTime);

    private void Report(TimeSpan dueTime)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            _history.Enqueue(dueTime);
            _armed.Writer.TryWrite(dueTime);
        }
    }

    private sealed class Timer(ITimer inner, ArmingTimeProvider owner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var changed = inner.Change(dueTime, period);
            owner.Report(dueTime);
            return changed;
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
