namespace LlmGateway;

/// <summary>The per-target circuit (<c>LlmGateway:Circuit</c>): when a target is taken out of rotation, and for how long.</summary>
public sealed class CircuitOptions
{
    /// <summary>Gets or sets how many retryable failures in a row open a target's circuit. Defaults to 3.</summary>
    public int FailureThreshold { get; set; } = 3;

    /// <summary>Gets or sets how long an open circuit stays open before one probe request is let through. Defaults to
    /// 30 seconds.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}
