using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LlmGateway.AspNetCore.Internal;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>, in OpenAI's format.</summary>
internal static class ModelsEndpoints
{
    public static async Task ListAsync(HttpContext context, ILlmGateway gateway)
    {
        var auth = await CallerAuthentication.AuthenticateAsync(context);
        if (auth.Error is { } refused)
        {
            await ErrorResults.WriteAsync(context, refused);
            return;
        }

        var models = await gateway.ListModelsAsync(context.RequestAborted);
        context.Response.ContentType = "application/json";
        using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            writer.WriteStartObject();
            writer.WriteString("object"u8, "list"u8);
            writer.WriteStartArray("data"u8);
            foreach (var model in models)
            {
                // A key limited to some models sees only those.
                if (auth.Caller?.MayUse(model.Id) != false)
                {
                    WriteModel(writer, model);
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    public static async Task GetAsync(HttpContext context, ILlmGateway gateway, string id)
    {
        var auth = await CallerAuthentication.AuthenticateAsync(context);
        if (auth.Error is { } refused)
        {
            await ErrorResults.WriteAsync(context, refused);
            return;
        }

        var model = auth.Caller?.MayUse(id) == false ? null : await gateway.GetModelAsync(id, context.RequestAborted);
        if (model is null)
        {
            await ErrorResults.WriteAsync(context, new GatewayError(GatewayErrorKind.ModelNotFound, $"The model '{id}' does not exist or is not served by this gateway.", "model"));
            return;
        }

        context.Response.ContentType = "application/json";
        using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            WriteModel(writer, model);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static void WriteModel(Utf8JsonWriter writer, ModelInfo model)
    {
        writer.WriteStartObject();
        writer.WriteString("id"u8, model.Id);
        writer.WriteString("object"u8, "model"u8);
        writer.WriteNumber("created"u8, model.Created);
        writer.WriteString("owned_by"u8, model.OwnedBy);
        writer.WriteEndObject();
    }
}
