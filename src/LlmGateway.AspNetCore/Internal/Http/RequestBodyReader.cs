using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>Reads a request body once, capped at the endpoint's configured size (413 past it, naming the setting).</summary>
internal static class RequestBodyReader
{
    public static Task<(byte[]? Body, GatewayError? Error)> ReadAsync(HttpContext context, long limit) =>
        ReadAsync(context, new RequestBodyLimit(limit, LlmGatewayOptions.SectionName + ":" + nameof(LlmGatewayOptions.MaxRequestBodySize)));

    public static async Task<(byte[]? Body, GatewayError? Error)> ReadAsync(HttpContext context, RequestBodyLimit limit)
    {
        // The gateway enforces its own limit, with its own error envelope, instead of Kestrel's.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        var request = context.Request;
        if (request.ContentLength is long length && length > limit.Bytes)
        {
            return (null, limit.TooLarge());
        }

        try
        {
            if (request.ContentLength is long known)
            {
                var buffer = new byte[known];
                await request.Body.ReadExactlyAsync(buffer, context.RequestAborted);
                return (buffer, null);
            }

            var reader = request.BodyReader;
            while (true)
            {
                var result = await reader.ReadAsync(context.RequestAborted);
                var data = result.Buffer;
                if (data.Length > limit.Bytes)
                {
                    reader.AdvanceTo(data.End);
                    return (null, limit.TooLarge());
                }

                if (result.IsCompleted)
                {
                    var body = data.ToArray();
                    reader.AdvanceTo(data.End);
                    return (body, null);
                }

                reader.AdvanceTo(data.Start, data.End);
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or EndOfStreamException)
        {
            return (null, new GatewayError(GatewayErrorKind.InvalidRequest, "The request body could not be read completely."));
        }
    }
}
