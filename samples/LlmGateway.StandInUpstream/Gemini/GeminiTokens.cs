using System.Text.Json.Nodes;
using static LlmGateway.StandInUpstream.Gemini.GeminiJson;

namespace LlmGateway.StandInUpstream.Gemini;

/// <summary>
/// Deterministic token estimates, by modality as <c>ModalityTokenCount</c> reports them
/// (https://ai.google.dev/api/generate-content#UsageMetadata). Text is about four characters a token
/// (https://ai.google.dev/gemini-api/docs/tokens); an image counts 258 tokens, a second of audio 32 and of video 263
/// (same page); the stand-in does not decode media, so each blob counts as one image, one second or one page.
/// </summary>
internal sealed class GeminiTokens
{
    private readonly Dictionary<string, int> _byModality = new(StringComparer.Ordinal);

    public int Total => _byModality.Values.Sum();

    public static int OfText(string? text) => string.IsNullOrEmpty(text) ? 0 : Math.Max(1, (text.Length + 3) / 4);

    public void Add(string modality, int count)
    {
        if (count > 0)
        {
            _byModality[modality] = _byModality.GetValueOrDefault(modality) + count;
        }
    }

    public void Add(GeminiTokens other)
    {
        foreach (var (modality, count) in other._byModality)
        {
            Add(modality, count);
        }
    }

    public void AddContents(IEnumerable<JsonObject> contents)
    {
        foreach (var content in contents)
        {
            AddContent(content);
        }
    }

    public void AddContent(JsonNode? content)
    {
        foreach (var part in Objects(Field(content, "parts")))
        {
            if (StringField(part, "text") is { } text)
            {
                Add("TEXT", OfText(text));
            }
            else if ((Field(part, "inlineData") ?? Field(part, "fileData")) is { } blob)
            {
                var mime = StringField(blob, "mimeType") ?? string.Empty;
                if (mime.StartsWith("text/", StringComparison.Ordinal) && StringField(blob, "data") is { } data)
                {
                    Add("TEXT", OfText(data) * 3 / 4);
                }
                else
                {
                    var modality = mime.Split('/')[0] switch
                    {
                        "image" => "IMAGE",
                        "audio" => "AUDIO",
                        "video" => "VIDEO",
                        _ => "DOCUMENT",
                    };
                    Add(modality, modality switch { "AUDIO" => 32, "VIDEO" => 263, _ => 258 });
                }
            }
            else
            {
                // functionCall / functionResponse and the rest count as their JSON text.
                Add("TEXT", OfText(Compact(part)));
            }
        }
    }

    public JsonArray ToDetails() =>
        [.. _byModality.Select(p => (JsonNode?)new JsonObject { ["modality"] = p.Key, ["tokenCount"] = p.Value })];
}
