namespace LlmGateway.AspNetCore.Tests.Infrastructure;

/// <summary>
/// One host built at a time in this test assembly. WebApplicationFactory catches the host a minimal-API Program builds
/// through a process-wide diagnostic listener: while it waits for the thin host, it would also catch any other
/// WebApplication being built at that moment on another thread (a stub upstream, a start-up test's app).
/// </summary>
internal static class HostBuildGate
{
    public static readonly Lock Gate = new();
}
