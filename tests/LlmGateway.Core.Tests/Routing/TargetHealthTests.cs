using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Core.Tests.Routing;

/// <summary>
/// The per-target circuit keeps one caller's failures to that caller: failures in a row from one caller hold back
/// only it, failures from two callers open the target for everyone, and a lone caller still gets a circuit.
/// </summary>
public sealed class TargetHealthTests
{
    private static readonly CircuitOptions s_options = new() { FailureThreshold = 3, BreakDuration = TimeSpan.FromSeconds(30) };
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-11-27T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly RouteTarget _target = new(new FakeProvider("primary"), "gpt-4o");

    private TargetHealth CreateSut() => new(_clock);

    [Fact]
    public void FailuresInARowFromOneCaller_DoNotOpenTheTargetForAnotherButHoldBackTheFailingOne()
    {
        var sut = CreateSut();
        for (var i = 0; i < 3; i++)
        {
            sut.Failed(_target, "key-a", retryAfter: null, s_options);
        }

        sut.TryEnter(_target, "key-a").Should().BeFalse("the caller whose requests failed is held back");
        sut.IsOpen(_target, "key-a").Should().BeTrue();
        sut.TryEnter(_target, "key-b").Should().BeTrue("another caller's requests still go to the target");
        sut.IsOpen(_target, "key-b").Should().BeFalse("it is not moved last for another caller");
        sut.Circuits().Should().ContainSingle().Which.Value.Should().BeFalse("the target is not out of rotation");
        var state = sut.Snapshot().Should().ContainSingle().Subject;
        state.Open.Should().BeFalse();
        state.HeldCallers.Should().Be(1);
        state.Description.Should().Contain("1 caller(s) held back").And.NotContain("key-a");
    }

    [Fact]
    public void FailuresInARowFromTwoCallers_OpenTheTargetForEveryone()
    {
        var sut = CreateSut();
        sut.Failed(_target, "key-a", retryAfter: null, s_options);
        sut.Failed(_target, "key-b", retryAfter: null, s_options);
        sut.Failed(_target, "key-a", retryAfter: null, s_options);

        sut.TryEnter(_target, "key-c").Should().BeFalse("the target fails for more than one caller");
        sut.Snapshot().Should().ContainSingle().Which.Open.Should().BeTrue();
        _clock.Advance(TimeSpan.FromSeconds(30));
        sut.TryEnter(_target, "key-c").Should().BeTrue("one probe after the break");
        sut.TryEnter(_target, "key-a").Should().BeFalse("only one");
    }

    [Fact]
    public void RetryAfterFromOneCaller_HoldsBackThatCallerOnly()
    {
        var sut = CreateSut();
        sut.Failed(_target, "key-a", retryAfter: TimeSpan.FromSeconds(60), s_options);

        sut.TryEnter(_target, "key-a").Should().BeFalse();
        sut.TryEnter(_target, "key-b").Should().BeTrue("a wait asked of one caller's request (its own provider key, say) is its own");
        _clock.Advance(TimeSpan.FromSeconds(60));
        sut.TryEnter(_target, "key-a").Should().BeTrue();
    }

    [Fact]
    public void LoneCaller_IsHeldBackHeldAgainWhenItFailsAfterItsBreakAndReleasedWhenItSucceeds()
    {
        var sut = CreateSut();
        for (var i = 0; i < 3; i++)
        {
            sut.Failed(_target, "key-a", retryAfter: null, s_options);
        }

        sut.TryEnter(_target, "key-a").Should().BeFalse("a lone caller still gets a circuit");
        _clock.Advance(TimeSpan.FromSeconds(30));
        sut.TryEnter(_target, "key-a").Should().BeTrue("its break is over");
        sut.Failed(_target, "key-a", retryAfter: null, s_options);
        sut.TryEnter(_target, "key-a").Should().BeFalse("its first request after the break failed");

        _clock.Advance(TimeSpan.FromSeconds(30));
        sut.Succeeded(_target, "key-a");
        sut.Failed(_target, "key-a", retryAfter: null, s_options);
        sut.TryEnter(_target, "key-a").Should().BeTrue("one failure after a success is not three in a row");
        sut.Snapshot().Should().ContainSingle().Which.HeldCallers.Should().Be(0);
    }

    [Fact]
    public void SuccessOfAnotherCaller_DoesNotReleaseAHeldBackCaller()
    {
        var sut = CreateSut();
        for (var i = 0; i < 3; i++)
        {
            sut.Failed(_target, "key-a", retryAfter: null, s_options);
        }

        sut.Succeeded(_target, "key-b");

        sut.TryEnter(_target, "key-a").Should().BeFalse();
    }

    [Fact]
    public void FailuresOfTheCallerOfModeNone_OpenTheTargetForEveryone()
    {
        var sut = CreateSut();
        for (var i = 0; i < 3; i++)
        {
            sut.Failed(_target, GatewayCaller.Anonymous.Id, retryAfter: null, s_options);
        }

        sut.TryEnter(_target, GatewayCaller.InProcessId).Should().BeFalse("in mode None every client is that one caller");
        sut.Circuits().Should().ContainSingle().Which.Value.Should().BeTrue();
    }
}
