using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// What auth mode None asks of each request, since nothing authenticates it: only the developer's own programs may use
/// the gateway, not a web page the developer happens to visit. A page can send a request without asking first (a
/// "simple" cross-origin request: <c>text/plain</c>, form-encoded or multipart, no custom header), and a page whose
/// own name the attacker points at 127.0.0.1 (DNS rebinding) can even read the answers. So, in mode None:
/// <list type="bullet">
/// <item>the <c>Host</c> must be loopback (<c>localhost</c>, <c>*.localhost</c>, <c>127.0.0.0/8</c>, <c>[::1]</c>,
/// any port) or in <see cref="AuthOptions.AllowedHosts"/>: 403 <c>host_not_allowed</c>;</item>
/// <item>a request that carries an <c>Origin</c> (a browser's) must come from the gateway's own origin or one of
/// <see cref="GatewayCorsOptions.Origins"/>: 403 <c>origin_not_allowed</c>; curl and the SDKs send none;</item>
/// <item>a body sent to a JSON endpoint must be labelled <c>application/json</c>, which a page cannot send without
/// the CORS preflight: 415 <c>unsupported_media_type</c> (uploads take <c>multipart/form-data</c> only, in every
/// mode).</item>
/// </list>
/// Other modes need none of this: the caller's key travels in a header, which a page cannot add without the
/// preflight, and a browser never adds it by itself.
/// </summary>
internal static class NoneModeRequests
{
    private const string Json = "application/json";

    /// <summary>The refusal of a request whose <c>Host</c> or <c>Origin</c> mode None does not serve, or null.</summary>
    public static GatewayError? CheckHostAndOrigin(HttpRequest request, LlmGatewayOptions options)
    {
        var host = request.Host.Value;
        if (!string.IsNullOrEmpty(host) && !IsAllowedHost(HostName(host), options.Auth.AllowedHosts))
        {
            return new GatewayError(
                GatewayErrorKind.HostNotAllowed,
                $"LlmGateway:Auth:Mode is None, which answers only requests addressed to this machine (localhost, 127.0.0.1, [::1]) or to a name in LlmGateway:Auth:AllowedHosts; this one is addressed to '{host}'.");
        }

        var origins = request.Headers.Origin;
        if (origins.Count == 0)
        {
            return null;
        }

        var origin = origins.Count == 1 ? origins[0] : null;
        if (origin is not null && (IsOwnOrigin(origin, request) || IsConfiguredOrigin(origin, options.Cors.Origins)))
        {
            return null;
        }

        return new GatewayError(
            GatewayErrorKind.OriginNotAllowed,
            $"LlmGateway:Auth:Mode is None, which serves no web page of another origin unless LlmGateway:Cors:Origins lists it; '{origins}' is not listed.");
    }

    /// <summary>The refusal of a body that a JSON operation does not take in mode None, or null. Uploads
    /// (transcriptions, translations) take only <c>multipart/form-data</c> in every mode, and say so themselves.</summary>
    public static GatewayError? CheckContentType(HttpContext context, GatewayOperation operation)
    {
        var request = context.Request;
        if (operation is GatewayOperation.AudioTranscriptions or GatewayOperation.AudioTranslations
            || MediaTypeIs(request.ContentType, Json)
            || !HasBody(context))
        {
            return null;
        }

        return new GatewayError(
            GatewayErrorKind.UnsupportedMediaType,
            $"{request.Method} {request.Path} takes 'Content-Type: {Json}'{(request.ContentType is { Length: > 0 } sent ? $", not '{sent}'" : ", and the request has none")} (LlmGateway:Auth:Mode None accepts no other).",
            "Content-Type");
    }

    /// <summary>Whether a <c>Content-Type</c> value is <paramref name="expected"/>, with or without parameters.</summary>
    internal static bool MediaTypeIs(string? contentType, string expected)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var value = contentType.AsSpan();
        var semicolon = value.IndexOf(';');
        return (semicolon < 0 ? value : value[..semicolon]).Trim().Equals(expected, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The host of a <c>Host</c> header value, without its port (an IPv6 address keeps its brackets).</summary>
    internal static ReadOnlySpan<char> HostName(string host)
    {
        var value = host.AsSpan();
        if (value.StartsWith('['))
        {
            var end = value.IndexOf(']');
            return end < 0 ? value : value[..(end + 1)];
        }

        var colon = value.IndexOf(':');
        return colon < 0 ? value : value[..colon];
    }

    /// <summary>Whether a host name (no port) is loopback or one of <paramref name="allowed"/>.</summary>
    internal static bool IsAllowedHost(ReadOnlySpan<char> host, List<string> allowed)
    {
        if (IsLoopbackHost(host))
        {
            return true;
        }

        var bare = Unbracket(host);
        foreach (var entry in allowed)
        {
            if (entry == "*")
            {
                return true;
            }

            if (entry.StartsWith("*.", StringComparison.Ordinal))
            {
                var suffix = entry.AsSpan(1);
                if (bare.Length > suffix.Length && bare.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
            else if (bare.Equals(Unbracket(entry), StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>localhost</c>, a name under <c>.localhost</c> (browsers resolve those to loopback themselves, never
    /// through DNS), or a loopback address.</summary>
    internal static bool IsLoopbackHost(ReadOnlySpan<char> host)
    {
        const string Localhost = "localhost";
        if (host.Equals(Localhost, StringComparison.OrdinalIgnoreCase)
            || (host.Length > Localhost.Length + 1 && host[^(Localhost.Length + 1)] == '.' && host.EndsWith(Localhost, StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        var bracketed = host.Length > 2 && host[0] == '[' && host[^1] == ']';
        return IPAddress.TryParse(bracketed ? host[1..^1] : host, out var address)
            && (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) == bracketed
            && IPAddress.IsLoopback(address);
    }

    private static ReadOnlySpan<char> Unbracket(ReadOnlySpan<char> host) =>
        host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;

    /// <summary>A page of the gateway's own origin (the scheme and <c>Host</c> of the request, which passed the host
    /// check) is not another site.</summary>
    private static bool IsOwnOrigin(string origin, HttpRequest request)
    {
        var scheme = request.Scheme;
        var host = request.Host.Value;
        return !string.IsNullOrEmpty(host)
            && origin.Length == scheme.Length + 3 + host.Length
            && origin.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && origin.AsSpan(scheme.Length, 3).SequenceEqual("://")
            && origin.AsSpan(scheme.Length + 3).Equals(host, StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsConfiguredOrigin(string origin, List<string> origins)
    {
        foreach (var allowed in origins)
        {
            if (allowed == "*" || string.Equals(allowed, origin, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasBody(HttpContext context)
    {
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { } detection)
        {
            return detection.CanHaveBody;
        }

        var request = context.Request;
        return request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
    }
}
