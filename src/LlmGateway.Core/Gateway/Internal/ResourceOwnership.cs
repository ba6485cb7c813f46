namespace LlmGateway.Internal;

/// <summary><see cref="IResourceOwnership"/> over <see cref="ResourceOwners"/>.</summary>
internal sealed class ResourceOwnership(ResourceOwners owners) : IResourceOwnership
{
    public ValueTask ClaimAsync(string kind, string id, string? callerId, string provider)
    {
        var parsed = Kind(kind);
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentException.ThrowIfNullOrWhiteSpace(provider);
        return owners.RecordAsync(parsed, id, Owner(callerId), provider);
    }

    public async ValueTask<string?> FindOwnedAsync(string kind, string id, string? callerId, CancellationToken cancellationToken = default)
    {
        var parsed = Kind(kind);
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        var (record, outcome) = await owners.CheckAsync(parsed, id, Owner(callerId), ownAccount: false, cancellationToken);
        return outcome switch
        {
            OwnershipOutcome.Unavailable => throw new LlmGatewayException(ResourceOwners.Unavailable(
                parsed == OwnedResourceKind.GeminiCache ? $"the context cache '{id}'" : $"the response '{id}'")),
            OwnershipOutcome.Allowed => record?.Provider,
            _ => null,
        };
    }

    private static string Owner(string? callerId) => string.IsNullOrEmpty(callerId) ? GatewayCaller.InProcessId : callerId;

    private static OwnedResourceKind Kind(string kind) => kind switch
    {
        IResourceOwnership.Response => OwnedResourceKind.Response,
        IResourceOwnership.GeminiCache => OwnedResourceKind.GeminiCache,
        _ => throw new ArgumentException($"'{kind}' is not a kind of resource the gateway records ({IResourceOwnership.Response}, {IResourceOwnership.GeminiCache}).", nameof(kind)),
    };
}
