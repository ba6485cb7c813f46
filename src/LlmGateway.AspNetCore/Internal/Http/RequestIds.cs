using Microsoft.AspNetCore.Http;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>The <c>x-request-id</c> of a request: the client's own when it is sane, else a new one.</summary>
internal static class RequestIds
{
    public const string HeaderName = "x-request-id";
    private static readonly object s_key = new();

    public static void Apply(HttpContext context)
    {
        var incoming = context.Request.Headers[HeaderName];
        var id = incoming.Count == 1 && IsSane(incoming[0]) ? incoming[0]! : "req_" + Guid.NewGuid().ToString("N");
        context.Items[s_key] = id;
        context.Response.Headers[HeaderName] = id;
    }

    public static string? Get(HttpContext context) => context.Items.TryGetValue(s_key, out var id) ? id as string : null;

    internal static bool IsSane(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 128)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            {
                return false;
            }
        }

        return true;
    }
}
