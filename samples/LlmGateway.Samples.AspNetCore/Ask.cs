namespace LlmGateway.Samples.AspNetCore;

/// <summary>The body of <c>POST /api/ask</c>.</summary>
internal sealed record AskRequest(string Question);

/// <summary>The answer of <c>POST /api/ask</c>.</summary>
internal sealed record AskResponse(string Answer, string? Model);
