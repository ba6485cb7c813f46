using System.Text.Json.Nodes;
using static LlmGateway.StandInUpstream.Gemini.GeminiJson;

namespace LlmGateway.StandInUpstream.Gemini;

/// <summary>One candidate of the answer: its parts, why it stopped, and what it cost.</summary>
internal sealed class GeminiCandidate
{
    public List<JsonObject> Parts { get; } = [];

    public string FinishReason { get; set; } = "STOP";

    public JsonArray? SafetyRatings { get; set; }

    public GeminiTokens Output { get; } = new();
}

/// <summary>
/// Answers generateContent and streamGenerateContent (https://ai.google.dev/api/generate-content). What the stand-in
/// answers, in order:
/// <list type="number">
/// <item>"RATELIMIT" in the last user text: 429 RESOURCE_EXHAUSTED with RetryInfo (retryDelay "7s"); "SERVERERROR": 500 INTERNAL.</item>
/// <item>"BLOCKME": a blocked prompt: <c>promptFeedback.blockReason</c> "SAFETY" and no candidates (HTTP 200).</item>
/// <item>A TTS model with responseModalities ["AUDIO"]: 0.1 s of a 440 Hz sine as 24 kHz 16-bit mono PCM.</item>
/// <item>The last turn answers function calls: "Tool said: " and the JSON of the function response(s).</item>
/// <item>Function declarations are in force (request or cache, mode not NONE) and the last turn is a user turn: a
/// functionCall to the first declared (or first allowed) function, its required arguments filled with sample values
/// ("test" for strings). Thinking models put a thoughtSignature on the functionCall part.</item>
/// <item>Otherwise an echo, "Echo: " and the last user text; as JSON when responseMimeType is application/json
/// (<c>{"echo": …}</c>, or a sample of the response schema); "SAFETYSTOP" ends the candidate with finishReason SAFETY.</item>
/// </list>
/// Text answers stop at the first stop sequence (finishReason STOP, the sequence excluded) and, when maxOutputTokens is
/// below 3, are cut to that many words with finishReason MAX_TOKENS.
/// </summary>
internal static class GeminiGeneration
{
    public static async Task AnswerAsync(HttpContext http, GeminiModel model, JsonObject request, GeminiCaches caches, bool stream)
    {
        var conversation = GeminiConversation.Read(model, request, caches);
        var trigger = conversation.LastUserText;
        if (trigger.Contains("RATELIMIT", StringComparison.Ordinal))
        {
            throw GeminiException.ResourceExhausted(model.Id, "7s");
        }

        if (trigger.Contains("SERVERERROR", StringComparison.Ordinal))
        {
            throw GeminiException.Internal();
        }

        var answer = new GeminiAnswer(conversation);
        if (!stream)
        {
            await GeminiHttp.WriteJsonAsync(http, 200, answer.ToResponse());
            return;
        }

        var sse = string.Equals(http.Request.Query["alt"], "sse", StringComparison.Ordinal);
        await StreamAsync(http, answer.ToChunks(), sse, cutAfter: trigger.Contains("CUTSTREAM", StringComparison.Ordinal) ? 2 : null);
    }

    /// <summary>
    /// With alt=sse, each chunk is one event, <c>data: {GenerateContentResponse}</c>, and the stream just ends: there is
    /// no [DONE] sentinel (the docs show only "data:" events; https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent).
    /// Events are separated by CRLF CRLF, as Gemini is observed to send them (the official SDKs accept LF, CR or CRLF;
    /// the docs do not state it). Without alt=sse, Gemini streams one JSON array of the same objects.
    /// </summary>
    private static async Task StreamAsync(HttpContext http, List<JsonObject> chunks, bool sse, int? cutAfter)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = sse ? "text/event-stream" : "application/json; charset=UTF-8";
        http.Response.Headers.CacheControl = "no-cache";
        for (var i = 0; i < chunks.Count; i++)
        {
            if (cutAfter == i)
            {
                http.Abort();
                return;
            }

            var text = sse
                ? "data: " + chunks[i].ToJsonString(GeminiHttp.Compact) + "\r\n\r\n"
                : (i == 0 ? "[" : ",\r\n") + chunks[i].ToJsonString(GeminiHttp.Indented);
            await http.Response.WriteAsync(text, http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
        }

        if (!sse)
        {
            await http.Response.WriteAsync(chunks.Count == 0 ? "[]" : "]", http.RequestAborted);
        }
    }
}

/// <summary>The answer to one request, rendered whole or as stream chunks.</summary>
internal sealed class GeminiAnswer
{
    private readonly GeminiConversation _conversation;
    private readonly GeminiTokens _prompt = new();
    private readonly int _cachedTokens;
    private readonly int _thoughtTokens;
    private readonly string _responseId = Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    private readonly JsonObject? _promptFeedback;

    public GeminiAnswer(GeminiConversation conversation)
    {
        _conversation = conversation;
        var request = conversation.Request;
        _prompt.AddContents(Objects(Field(request, "contents")));
        _prompt.AddContent(Field(request, "systemInstruction"));
        if (Field(request, "tools") is { } tools)
        {
            _prompt.Add("TEXT", GeminiTokens.OfText(Compact(tools)));
        }

        _cachedTokens = conversation.Cache?.TotalTokenCount ?? 0;
        _thoughtTokens = conversation.Thinks ? 16 : 0;
        if (conversation.LastUserText.Contains("BLOCKME", StringComparison.Ordinal))
        {
            // "Returns no candidates at all only if there was something wrong with the prompt (check prompt_feedback)"
            // (GenerateContentResponse; https://ai.google.dev/api/generate-content#PromptFeedback).
            _promptFeedback = new JsonObject { ["blockReason"] = "SAFETY", ["safetyRatings"] = SafetyRatings(blocked: true) };
            _thoughtTokens = 0;
            return;
        }

        for (var i = 0; i < conversation.CandidateCount; i++)
        {
            Candidates.Add(Candidate());
        }
    }

    public List<GeminiCandidate> Candidates { get; } = [];

    private GeminiModel Model => _conversation.Model;

    /// <summary>Thinking models sign their function calls; Gemini 3 also signs the last part of other answers.</summary>
    private bool Signs => _conversation.Thinks || Model.IsGemini3;

    public JsonObject ToResponse()
    {
        var response = new JsonObject();
        if (Candidates.Count > 0)
        {
            response["candidates"] = new JsonArray([.. Candidates.Select((c, i) => (JsonNode?)CandidateJson(c, i, c.Parts, final: true))]);
        }

        if (_promptFeedback is not null)
        {
            response["promptFeedback"] = _promptFeedback.DeepClone();
        }

        response["usageMetadata"] = Usage(Candidates.Sum(c => c.Output.Total), final: true);
        response["modelVersion"] = Model.Id;
        response["responseId"] = _responseId;
        return response;
    }

    /// <summary>
    /// The same answer in chunks: text split by words, every other part whole. Every chunk carries usageMetadata with
    /// the prompt count and the output so far (as observed from Gemini; the docs do not say which chunks carry it, so
    /// a client should keep the last one); only the last chunk of a candidate carries its finishReason.
    /// </summary>
    public List<JsonObject> ToChunks()
    {
        if (_promptFeedback is not null)
        {
            return [ToResponse()];
        }

        var pieces = Candidates.Select(Pieces).ToList();
        var chunkCount = pieces.Max(p => p.Count);
        var chunks = new List<JsonObject>();
        var emitted = 0;
        for (var k = 0; k < chunkCount; k++)
        {
            var candidates = new JsonArray();
            for (var i = 0; i < Candidates.Count; i++)
            {
                if (k < pieces[i].Count)
                {
                    var piece = pieces[i][k];
                    var tokens = new GeminiTokens();
                    var output = piece.Where(p => p["thought"] is null).Select(p => (JsonNode?)p.DeepClone());
                    tokens.AddContent(new JsonObject { ["parts"] = new JsonArray([.. output]) });
                    emitted += tokens.Total;
                    candidates.Add(CandidateJson(Candidates[i], i, piece, final: k == pieces[i].Count - 1));
                }
            }

            var last = k == chunkCount - 1;
            var total = Candidates.Sum(c => c.Output.Total);
            chunks.Add(new JsonObject
            {
                ["candidates"] = candidates,
                ["usageMetadata"] = Usage(last ? total : Math.Min(emitted, total), final: last),
                ["modelVersion"] = Model.Id,
                ["responseId"] = _responseId,
            });
        }

        return chunks;
    }

    private GeminiCandidate Candidate()
    {
        var candidate = new GeminiCandidate();
        var conversation = _conversation;
        if (conversation.IncludeThoughts)
        {
            // Thought summaries come as parts with "thought": true (https://ai.google.dev/gemini-api/docs/thinking).
            candidate.Parts.Add(new JsonObject
            {
                ["text"] = "**Echoing the request**\n\nThe stand-in repeats what it was given.",
                ["thought"] = true,
            });
        }

        if (conversation.WantsAudio)
        {
            // Speech is raw PCM, 24 kHz, 16-bit, mono (https://ai.google.dev/gemini-api/docs/speech-generation saves it
            // with channels=1, rate=24000, sample_width=2). The MIME type is not in the docs; this is the one Gemini's
            // 2.5 TTS models are observed to return. 32 tokens a second of audio.
            candidate.Parts.Add(new JsonObject
            {
                ["inlineData"] = new JsonObject { ["mimeType"] = "audio/L16;codec=pcm;rate=24000", ["data"] = Convert.ToBase64String(SineWave()) },
            });
            candidate.Output.Add("AUDIO", 3);
            return candidate;
        }

        if (conversation.FunctionResponses.Count > 0)
        {
            var said = string.Join(", ", conversation.FunctionResponses.Select(r => Compact(Field(r, "response"))));
            AddText(candidate, "Tool said: " + said);
            return candidate;
        }

        var declarations = conversation.FunctionDeclarations;
        if (declarations.Count > 0 && conversation.FunctionCallingMode != "NONE" && conversation.EndsWithUserContent)
        {
            var declaration = conversation.AllowedFunctionNames
                .Select(n => declarations.FirstOrDefault(d => StringField(d, "name") == n))
                .FirstOrDefault(d => d is not null) ?? declarations[0];
            var schema = Field(declaration, "parameters") ?? Field(declaration, "parametersJsonSchema");
            var name = StringField(declaration, "name") ?? string.Empty;
            var call = new JsonObject
            {
                ["functionCall"] = new JsonObject
                {
                    ["name"] = name,
                    ["args"] = GeminiSchema.Sample(schema, requiredOnly: true) as JsonObject ?? [],
                },
            };
            if (Signs)
            {
                // "Single function call: the functionCall part will contain the thought_signature" — a sibling of
                // functionCall in the same part (https://ai.google.dev/gemini-api/docs/thought-signatures).
                call["thoughtSignature"] = GeminiConversation.NewSignature(Model.Id, name);
            }

            candidate.Parts.Add(call);
            candidate.Output.Add("TEXT", GeminiTokens.OfText(Compact(call["functionCall"])));
            return candidate;
        }

        if (conversation.LastUserText.Contains("SAFETYSTOP", StringComparison.Ordinal))
        {
            // A candidate stopped for safety has no content, only finishReason and its ratings
            // (https://ai.google.dev/api/generate-content#FinishReason).
            candidate.Parts.Clear();
            candidate.FinishReason = "SAFETY";
            candidate.SafetyRatings = SafetyRatings(blocked: true);
            return candidate;
        }

        var echo = "Echo: " + conversation.LastUserText;
        var text = conversation.ResponseMimeType switch
        {
            "application/json" => Compact(conversation.ResponseSchema is { } schema2
                ? GeminiSchema.Sample(schema2, requiredOnly: false)
                : new JsonObject { ["echo"] = echo }),
            "text/x.enum" => String(Items(Field(conversation.ResponseSchema, "enum")).FirstOrDefault()) ?? echo,
            _ => echo,
        };
        AddText(candidate, text);
        return candidate;
    }

    private void AddText(GeminiCandidate candidate, string text)
    {
        foreach (var stop in _conversation.StopSequences.Where(s => s.Length > 0))
        {
            var at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0)
            {
                text = text[..at];
            }
        }

        if (_conversation.MaxOutputTokens is { } max && max < 3)
        {
            text = string.Join(' ', text.Split(' ').Take((int)Math.Max(0, max)));
            candidate.FinishReason = "MAX_TOKENS";
        }

        if (text.Length == 0)
        {
            return;
        }

        var part = new JsonObject { ["text"] = text };
        if (Model.IsGemini3)
        {
            // Gemini 3: "Model responses without a function call will return a thought signature inside the last part
            // returned by the model." (https://ai.google.dev/gemini-api/docs/thought-signatures).
            part["thoughtSignature"] = GeminiConversation.NewSignature(Model.Id, "text");
        }

        candidate.Parts.Add(part);
        candidate.Output.Add("TEXT", GeminiTokens.OfText(text));
    }

    /// <summary>
    /// The pieces a candidate streams in: each text part word by word (a signature rides on the last piece, where
    /// Gemini 3 is observed to send it when streaming), every other part whole; a candidate with no parts is one empty piece.
    /// </summary>
    private static List<List<JsonObject>> Pieces(GeminiCandidate candidate)
    {
        var pieces = new List<List<JsonObject>>();
        foreach (var part in candidate.Parts)
        {
            if (part["text"] is null || part["thought"] is not null)
            {
                pieces.Add([part]);
                continue;
            }

            var words = (String(part["text"]) ?? string.Empty).Split(' ');
            for (var w = 0; w < words.Length; w++)
            {
                var piece = new JsonObject { ["text"] = w < words.Length - 1 ? words[w] + " " : words[w] };
                if (w == words.Length - 1 && part["thoughtSignature"] is { } signature)
                {
                    piece["thoughtSignature"] = signature.DeepClone();
                }

                pieces.Add([piece]);
            }
        }

        if (pieces.Count == 0)
        {
            pieces.Add([]);
        }

        return pieces;
    }

    private static JsonObject CandidateJson(GeminiCandidate candidate, int index, List<JsonObject> parts, bool final)
    {
        var json = new JsonObject();
        if (parts.Count > 0)
        {
            json["content"] = new JsonObject
            {
                ["parts"] = new JsonArray([.. parts.Select(p => (JsonNode?)p.DeepClone())]),
                ["role"] = "model",
            };
        }
        else if (candidate.FinishReason == "MAX_TOKENS")
        {
            json["content"] = new JsonObject { ["role"] = "model" };
        }

        if (final)
        {
            json["finishReason"] = candidate.FinishReason;
        }

        json["index"] = index;
        if (final && candidate.SafetyRatings is not null)
        {
            json["safetyRatings"] = candidate.SafetyRatings.DeepClone();
        }

        return json;
    }

    /// <summary>
    /// usageMetadata (https://ai.google.dev/api/generate-content#UsageMetadata). promptTokenCount includes the cached
    /// tokens ("When cachedContent is set, this is still the total effective prompt size"); totalTokenCount is prompt +
    /// candidates + thoughts (the docs say "prompt + response candidates"; Gemini's own numbers include thoughts).
    /// Zero counts are omitted, as proto3 JSON omits them.
    /// </summary>
    private JsonObject Usage(int candidatesTokens, bool final)
    {
        var usage = new JsonObject { ["promptTokenCount"] = _prompt.Total + _cachedTokens };
        if (candidatesTokens > 0)
        {
            usage["candidatesTokenCount"] = candidatesTokens;
        }

        usage["totalTokenCount"] = _prompt.Total + _cachedTokens + candidatesTokens + _thoughtTokens;
        if (_cachedTokens > 0)
        {
            usage["cachedContentTokenCount"] = _cachedTokens;
        }

        var promptDetails = new GeminiTokens();
        promptDetails.Add(_prompt);
        promptDetails.Add("TEXT", _cachedTokens);
        usage["promptTokensDetails"] = promptDetails.ToDetails();
        if (_cachedTokens > 0)
        {
            usage["cacheTokensDetails"] = new JsonArray(new JsonObject { ["modality"] = "TEXT", ["tokenCount"] = _cachedTokens });
        }

        if (final && _conversation.WantsAudio)
        {
            var output = new GeminiTokens();
            foreach (var candidate in Candidates)
            {
                output.Add(candidate.Output);
            }

            usage["candidatesTokensDetails"] = output.ToDetails();
        }

        if (_thoughtTokens > 0)
        {
            usage["thoughtsTokenCount"] = _thoughtTokens;
        }

        return usage;
    }

    /// <summary>SafetyRating entries (https://ai.google.dev/api/generate-content#safetyrating).</summary>
    private static JsonArray SafetyRatings(bool blocked)
    {
        var ratings = new JsonArray();
        foreach (var category in new[] { "HARM_CATEGORY_SEXUALLY_EXPLICIT", "HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_DANGEROUS_CONTENT" })
        {
            var rating = new JsonObject { ["category"] = category, ["probability"] = "NEGLIGIBLE" };
            if (blocked && category == "HARM_CATEGORY_DANGEROUS_CONTENT")
            {
                rating["probability"] = "HIGH";
                rating["blocked"] = true;
            }

            ratings.Add(rating);
        }

        return ratings;
    }

    /// <summary>0.1 s of a 440 Hz sine: 2,400 little-endian 16-bit samples at 24 kHz, mono.</summary>
    private static byte[] SineWave()
    {
        const int Rate = 24_000;
        var bytes = new byte[Rate / 10 * 2];
        for (var i = 0; i < Rate / 10; i++)
        {
            var sample = (short)(Math.Sin(2 * Math.PI * 440 * i / Rate) * short.MaxValue * 0.3);
            bytes[2 * i] = (byte)(sample & 0xFF);
            bytes[(2 * i) + 1] = (byte)((sample >> 8) & 0xFF);
        }

        return bytes;
    }
}
