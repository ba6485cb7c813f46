namespace LlmGateway;

/// <summary>The models a provider instance reports, or why it could not.</summary>
public sealed class ModelListResult
{
    private ModelListResult(IReadOnlyList<ModelInfo> models, GatewayError? error)
    {
        Models = models;
        Error = error;
    }

    /// <summary>Gets the models, with the ids the upstream uses.</summary>
    public IReadOnlyList<ModelInfo> Models { get; }

    /// <summary>Gets the error, when the list could not be had.</summary>
    public GatewayError? Error { get; }

    /// <summary>Creates a successful result.</summary>
    /// <param name="models">The models.</param>
    /// <returns>The result.</returns>
    public static ModelListResult Success(IReadOnlyList<ModelInfo> models) => new(models ?? throw new ArgumentNullException(nameof(models)), null);

    /// <summary>Creates a failed result.</summary>
    /// <param name="error">The error.</param>
    /// <returns>The result.</returns>
    public static ModelListResult Failure(GatewayError error) => new([], error ?? throw new ArgumentNullException(nameof(error)));
}
