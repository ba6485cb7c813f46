using System.Collections.Concurrent;

namespace LlmGateway.Internal;

/// <summary>Targets that asked to be left alone (a 429 or 503 with <c>Retry-After</c>), until when.</summary>
internal sealed class TargetCooldowns(TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _until = new(StringComparer.OrdinalIgnoreCase);

    public bool IsCooling(RouteTarget target) => _until.TryGetValue(target.Name, out var until) && until > timeProvider.GetUtcNow();

    public void CoolDown(RouteTarget target, TimeSpan wait) => _until[target.Name] = timeProvider.GetUtcNow() + wait;
}
