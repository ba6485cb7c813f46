namespace LlmGateway;

/// <summary>
/// Cross-origin access to the gateway's endpoints from browsers (<c>LlmGateway:Cors</c>). Empty, the gateway adds no
/// CORS policy of its own.
/// </summary>
public sealed class GatewayCorsOptions
{
    /// <summary>
    /// Gets or sets the origins browsers may call the gateway from (<c>LlmGateway:Cors:Origins:&lt;i&gt;</c>), each an
    /// absolute <c>http</c> or <c>https</c> origin (<c>https://app.example.com</c>, <c>http://localhost:5173</c>: no
    /// path, no trailing slash), or <c>*</c> for any. Credentials (cookies) are never allowed: callers send their key
    /// in a header.
    /// </summary>
    public List<string> Origins { get; set; } = [];
}
