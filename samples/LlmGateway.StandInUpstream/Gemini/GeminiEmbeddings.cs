using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using static LlmGateway.StandInUpstream.Gemini.GeminiJson;

namespace LlmGateway.StandInUpstream.Gemini;

/// <summary>
/// embedContent and batchEmbedContents (https://ai.google.dev/api/embeddings). Vectors are deterministic: derived from
/// a hash of the text and the task type, unit length at the model's full size, then cut to
/// <c>outputDimensionality</c> ("excessive values in the output embedding are truncated from the end"), so a truncated
/// vector is no longer normalised (only the full-size vector is, as reported for gemini-embedding-001).
/// </summary>
internal static class GeminiEmbeddings
{
    public static JsonObject Embed(GeminiModel model, JsonObject request)
    {
        GeminiShapes.Check(request, "EmbedContentRequest");
        return new JsonObject { ["embedding"] = Vector(model, request, "EmbedContentRequest") };
    }

    public static JsonObject BatchEmbed(GeminiModel model, JsonObject request)
    {
        GeminiShapes.Check(request, "BatchEmbedContentsRequest");
        var requests = Objects(Field(request, "requests"));
        if (requests.Count == 0)
        {
            // The wording follows Gemini's "* Request.field: … is not specified" lines; the docs show none for this.
            throw GeminiException.InvalidArgument("* BatchEmbedContentsRequest.requests: requests is not specified\n");
        }

        var embeddings = new JsonArray();
        for (var i = 0; i < requests.Count; i++)
        {
            // "The model in each of these requests must match the model specified BatchEmbedContentsRequest.model."
            // (https://ai.google.dev/api/embeddings#EmbedContentRequest: model is Required). Wording is the stand-in's.
            var named = StringField(requests[i], "model");
            if (!string.Equals(named, "models/" + model.Id, StringComparison.Ordinal))
            {
                throw GeminiException.InvalidArgument(
                    $"* BatchEmbedContentsRequest.requests[{i}].model: model must be models/{model.Id}, the model of the batch request (was {named ?? "unset"})\n");
            }

            embeddings.Add(Vector(model, requests[i], $"BatchEmbedContentsRequest.requests[{i}]"));
        }

        return new JsonObject { ["embeddings"] = embeddings };
    }

    private static JsonObject Vector(GeminiModel model, JsonObject request, string path)
    {
        var content = Field(request, "content");
        var texts = Objects(Field(content, "parts")).Select(p => StringField(p, "text")).OfType<string>().ToList();
        if (content is null || texts.Count == 0)
        {
            // "Required. The content to embed. Only the parts.text fields will be counted." Wording is the stand-in's.
            throw GeminiException.InvalidArgument($"* {path}.content: content is not specified\n");
        }

        var dimensions = model.EmbeddingDimensions;
        if (Integer(Field(request, "outputDimensionality")) is { } requested)
        {
            if (requested <= 0)
            {
                throw GeminiException.InvalidArgument($"* {path}.output_dimensionality: must be positive\n");
            }

            dimensions = (int)Math.Min(requested, model.EmbeddingDimensions);
        }

        var seed = string.Join("\n", texts) + "\u0000" + StringField(request, "taskType");
        var full = new double[model.EmbeddingDimensions];
        var block = SHA256.HashData(Encoding.UTF8.GetBytes(seed));
        for (var i = 0; i < full.Length; i++)
        {
            if (i % 32 == 0 && i > 0)
            {
                block = SHA256.HashData(block);
            }

            full[i] = (block[i % 32] - 127.5) / 127.5;
        }

        var norm = Math.Sqrt(full.Sum(v => v * v));
        var values = new JsonArray();
        foreach (var value in full.Take(dimensions))
        {
            values.Add(Math.Round(value / norm, 7));
        }

        return new JsonObject { ["values"] = values };
    }
}
