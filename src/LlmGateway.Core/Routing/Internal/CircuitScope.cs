namespace LlmGateway.Internal;

/// <summary>
/// Whom a tripped circuit holds back: everyone, or only the caller its failures came from. The rule that keeps one
/// caller (a gateway key) from opening a circuit for the others, shared by the per-target circuits
/// (<see cref="TargetHealth"/>) and the per-upstream ones (<see cref="UpstreamCircuit"/>).
/// </summary>
/// <remarks>
/// <para>When a circuit's own condition is met (enough failures in its window), the failures are looked at by caller.
/// The circuit opens for everyone when the callers other than the one with the most failures failed too, at the
/// circuit's failure ratio or more of their own calls in the window: the upstream is failing for more than one caller.
/// Otherwise (the others' calls mostly succeeded, or nobody else called) only the caller with the most failures is held
/// back, for the circuit's break: its requests get 503 <c>upstream_unavailable</c> at once, the others' go on.</para>
/// <para>A caller whose identity is shared by everyone (<c>anonymous</c> in mode <c>None</c>, where every client is the
/// same caller) is not one tenant among others: its failures count for everyone, and the circuit opens as it would
/// without callers.</para>
/// <para>Callers bringing their own provider key (mode <c>Client</c>) share one policy, but each key is its own caller
/// here, so one of them cannot hold back the others.</para>
/// </remarks>
internal static class CircuitScope
{
    /// <summary>The id a request's failures count under: its gateway key, a brought provider key (by its hash), or
    /// <see cref="GatewayCaller.InProcessId"/> for in-process calls.</summary>
    public static string CallerOf(GatewayRequest request)
    {
        if (request.Caller is not { } caller)
        {
            return GatewayCaller.InProcessId;
        }

        // Mode Client: every caller has the shared "client" policy, and is told apart by the key it brought.
        return request.ProviderApiKey is { } brought && caller.Key.Source == "client" ? "client:" + KeyHashing.Hash(brought) : caller.Id;
    }

    /// <summary>Whether failures from <paramref name="caller"/> always count for everyone: the one caller of mode
    /// <c>None</c>, which stands for every client.</summary>
    public static bool IsShared(string caller) => string.Equals(caller, GatewayCaller.Anonymous.Id, StringComparison.Ordinal);

    /// <summary>
    /// Whether a tripped circuit opens for everyone, given its window's totals and those of the caller with the most
    /// failures in it: true when the other callers' calls failed at <paramref name="failureRatio"/> or more too.
    /// </summary>
    /// <param name="calls">Calls that ended in the window.</param>
    /// <param name="failures">Failures among them.</param>
    /// <param name="topCalls">Calls of the caller with the most failures.</param>
    /// <param name="topFailures">That caller's failures.</param>
    /// <param name="failureRatio">The circuit's failure ratio.</param>
    public static bool ForEveryone(int calls, int failures, int topCalls, int topFailures, double failureRatio)
    {
        var otherFailures = failures - topFailures;
        return otherFailures > 0 && otherFailures >= (calls - topCalls) * failureRatio;
    }
}
