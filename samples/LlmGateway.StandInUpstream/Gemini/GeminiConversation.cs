using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static LlmGateway.StandInUpstream.Gemini.GeminiJson;

namespace LlmGateway.StandInUpstream.Gemini;

/// <summary>A generateContent request after validation, reduced to what the stand-in answers from.</summary>
internal sealed partial class GeminiConversation
{
    /// <summary>The documented dummy signatures that skip validation (https://ai.google.dev/gemini-api/docs/thought-signatures, FAQ).</summary>
    private static readonly string[] DummySignatures = ["context_engineering_is_the_way_to_go", "skip_thought_signature_validator"];

    /// <summary>The members of the Part.data oneof (https://ai.google.dev/api/caching#Part).</summary>
    private static readonly string[] PartData = ["text", "inlineData", "functionCall", "functionResponse", "fileData", "executableCode", "codeExecutionResult"];

    private static readonly string[] JsonLikeMimeTypes = ["text/plain", "application/json", "application/xml", "application/yaml", "text/x.enum"];

    private GeminiConversation(GeminiModel model, JsonObject request)
    {
        Model = model;
        Request = request;
    }

    public GeminiModel Model { get; }

    public JsonObject Request { get; }

    /// <summary>The conversation: the cache's contents, then the request's.</summary>
    public List<JsonObject> Contents { get; } = [];

    public JsonNode? SystemInstruction { get; private set; }

    public List<JsonObject> FunctionDeclarations { get; } = [];

    public string FunctionCallingMode { get; private set; } = "AUTO";

    public List<string> AllowedFunctionNames { get; private set; } = [];

    public GeminiCachedContent? Cache { get; private set; }

    /// <summary>The text of the last user turn that has text ("" when none).</summary>
    public string LastUserText { get; private set; } = string.Empty;

    /// <summary>The functionResponse parts when the last turn answers function calls, else empty.</summary>
    public List<JsonObject> FunctionResponses { get; } = [];

    /// <summary>The last turn is a user turn with ordinary content (text, media), so a tool call may answer it.</summary>
    public bool EndsWithUserContent { get; private set; }

    public int CandidateCount { get; private set; } = 1;

    public long? MaxOutputTokens { get; private set; }

    public List<string> StopSequences { get; private set; } = [];

    public string ResponseMimeType { get; private set; } = "text/plain";

    /// <summary>responseSchema or responseJsonSchema, whichever was given.</summary>
    public JsonNode? ResponseSchema { get; private set; }

    public bool WantsAudio { get; private set; }

    public bool IncludeThoughts { get; private set; }

    /// <summary>Thinking happens: a thinking model, not turned off with thinkingBudget 0.</summary>
    public bool Thinks { get; private set; }

    public string? VoiceName { get; private set; }

    public static GeminiConversation Read(GeminiModel model, JsonObject request, GeminiCaches caches)
    {
        GeminiShapes.Check(request, "GenerateContentRequest");
        var conversation = new GeminiConversation(model, request);
        var problems = new List<string>();
        conversation.ReadCache(caches);
        conversation.ReadContents(problems);
        conversation.ReadTools(problems);
        conversation.ReadGenerationConfig(problems);
        if (problems.Count > 0)
        {
            // Gemini lists every "* Request.path: problem" line in one message (e.g. "* GenerateContentRequest.contents:
            // contents is not specified\n", quoted in https://github.com/vercel/ai/issues/3775).
            throw GeminiException.InvalidArgument(string.Concat(problems));
        }

        conversation.CheckTurnOrder();
        if (model.IsGemini3)
        {
            conversation.CheckThoughtSignatures();
        }

        conversation.ReadLastTurn();
        return conversation;
    }

    private void ReadCache(GeminiCaches caches)
    {
        if (StringField(Request, "cachedContent") is not { Length: > 0 } name)
        {
            return;
        }

        Cache = caches.Get(name);
        if (!string.Equals(Cache.Model, "models/" + Model.Id, StringComparison.Ordinal))
        {
            // The docs say cached content "can be only used with model it was created for" (cached_content.proto);
            // the message text is the stand-in's.
            throw GeminiException.InvalidArgument(
                $"Model used by GenerateContent request (models/{Model.Id}) and CachedContent ({Cache.Model}) has to be the same.");
        }

        if (Has(Request, "systemInstruction") || Has(Request, "tools") || Has(Request, "toolConfig"))
        {
            // Message as reported in https://github.com/567-labs/instructor/issues/2580 (older wording:
            // "CachedContent can not be used with GenerateContent request setting system_instruction, tools or tool_config.").
            throw GeminiException.InvalidArgument(
                "Tool config, tools and system instruction should not be set in the request when using cached content.");
        }

        Contents.AddRange(Objects(Field(Cache.Resource, "contents")));
        SystemInstruction = Field(Cache.Resource, "systemInstruction");
    }

    private void ReadContents(List<string> problems)
    {
        var contents = Objects(Field(Request, "contents"));
        if (contents.Count == 0)
        {
            problems.Add("* GenerateContentRequest.contents: contents is not specified\n");
            return;
        }

        for (var i = 0; i < contents.Count; i++)
        {
            var parts = Objects(Field(contents[i], "parts"));
            if (parts.Count == 0)
            {
                // Quoted in https://github.com/egoist/chatwise-releases/issues/250.
                problems.Add($"* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty.\n");
            }

            for (var j = 0; j < parts.Count; j++)
            {
                var data = DataFields(parts[j]);
                if (data.Count == 0)
                {
                    problems.Add($"* GenerateContentRequest.contents[{i}].parts[{j}].data: required oneof field 'data' must have one initialized field\n");
                }
                else if (data.Count > 1)
                {
                    // Part.data is a oneof; the docs only say "A Part can only contain one of the accepted types".
                    // The wording of this rejection is the stand-in's.
                    problems.Add($"* GenerateContentRequest.contents[{i}].parts[{j}].data: oneof field 'data' is already set. Cannot set '{data[1]}'\n");
                }
            }

            var role = StringField(contents[i], "role");
            if (role is not (null or "" or "user" or "model" or "function"))
            {
                // Content.role "Must be either 'user' or 'model'" (https://ai.google.dev/api/caching#Content); the
                // message is the one Gemini is reported to send. "function" is tolerated: older docs used it for
                // functionResponse turns.
                throw GeminiException.InvalidArgument("Please use a valid role: user, model.");
            }
        }

        Contents.AddRange(contents);
        SystemInstruction = Field(Request, "systemInstruction") ?? SystemInstruction;
    }

    private void ReadTools(List<string> problems)
    {
        var tools = Cache is null ? Field(Request, "tools") : Field(Cache.Resource, "tools");
        var toolConfig = Cache is null ? Field(Request, "toolConfig") : Field(Cache.Resource, "toolConfig");
        var toolIndex = 0;
        foreach (var tool in Objects(tools))
        {
            var declarations = Objects(Field(tool, "functionDeclarations"));
            for (var j = 0; j < declarations.Count; j++)
            {
                var path = $"GenerateContentRequest.tools[{toolIndex}].function_declarations[{j}]";
                var name = StringField(declarations[j], "name") ?? string.Empty;
                if (!FunctionName().IsMatch(name))
                {
                    // Rule from FunctionDeclaration.name (https://ai.google.dev/api/caching#FunctionDeclaration:
                    // "a-z, A-Z, 0-9, or contain underscores, colons, dots, and dashes, with a maximum length of 64");
                    // the message is as reported from the field.
                    problems.Add($"* {path}.name: Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 64.\n");
                }

                if (Has(declarations[j], "parameters") && Has(declarations[j], "parametersJsonSchema"))
                {
                    // "This field is mutually exclusive with parameters." (FunctionDeclaration.parametersJsonSchema).
                    problems.Add($"* {path}.parameters_json_schema: parameters_json_schema and parameters are mutually exclusive.\n");
                }

                GeminiSchema.Validate(Field(declarations[j], "parameters"), path + ".parameters", problems);
                FunctionDeclarations.Add(declarations[j]);
            }

            toolIndex++;
        }

        var calling = Field(toolConfig, "functionCallingConfig");
        FunctionCallingMode = StringField(calling, "mode")?.ToUpperInvariant() ?? "AUTO";
        AllowedFunctionNames = Strings(Field(calling, "allowedFunctionNames"));
    }

    private void ReadGenerationConfig(List<string> problems)
    {
        var config = Field(Request, "generationConfig");
        const string Path = "GenerateContentRequest.generation_config";
        if (Integer(Field(config, "candidateCount")) is { } candidates)
        {
            if (candidates < 1)
            {
                // The proto once documented [1, 8]; current docs give no bound. Only values below 1 are refused here.
                problems.Add($"* {Path}.candidate_count: must be positive.\n");
            }

            CandidateCount = (int)Math.Clamp(candidates, 1, 8);
        }

        MaxOutputTokens = Integer(Field(config, "maxOutputTokens"));
        StopSequences = Strings(Field(config, "stopSequences"));
        ResponseMimeType = StringField(config, "responseMimeType") is { Length: > 0 } mime ? mime : "text/plain";
        if (!JsonLikeMimeTypes.Contains(ResponseMimeType, StringComparer.Ordinal))
        {
            // Wording as reported in https://github.com/googleapis/go-genai/issues/322.
            problems.Add($"* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are `text/plain`, `application/json`, `application/xml`, `application/yaml` and `text/x.enum`.\n");
        }

        var responseSchema = Field(config, "responseSchema");
        var responseJsonSchema = Field(config, "responseJsonSchema") ?? Field(config, "_responseJsonSchema");
        if (responseSchema is not null && responseJsonSchema is not null)
        {
            // "If set, response_schema must be omitted" (GenerationConfig.response_json_schema).
            problems.Add($"* {Path}.response_json_schema: response_schema and response_json_schema are mutually exclusive.\n");
        }

        if ((responseSchema ?? responseJsonSchema) is not null && ResponseMimeType is not ("application/json" or "text/x.enum"))
        {
            // "If set, a compatible response_mime_type must also be set." (GenerationConfig.response_schema).
            problems.Add($"* {Path}.response_schema: response_mime_type must be one of `application/json`, `text/x.enum` when response_schema is set.\n");
        }

        GeminiSchema.Validate(responseSchema, Path + ".response_schema", problems);
        ResponseSchema = responseSchema ?? responseJsonSchema;

        var modalities = Strings(Field(config, "responseModalities")).Select(m => m.ToUpperInvariant()).ToList();
        WantsAudio = modalities.Contains("AUDIO");
        if (Model.IsTts != WantsAudio && (Model.IsTts || modalities.Count > 0))
        {
            // "If the requested modalities do not match any of the supported combinations, an error will be
            // returned." (GenerationConfig.response_modalities). The wording is the stand-in's.
            problems.Add($"* {Path}.response_modalities: the requested combination of response modalities ({string.Join(", ", modalities.DefaultIfEmpty("TEXT"))}) is not supported by models/{Model.Id}.\n");
        }

        VoiceName = StringField(Field(Field(Field(config, "speechConfig"), "voiceConfig"), "prebuiltVoiceConfig"), "voiceName");

        var thinking = Field(config, "thinkingConfig");
        Thinks = Model.Thinking;
        if (thinking is not null)
        {
            var budget = Integer(Field(thinking, "thinkingBudget"));
            if (!Model.Thinking)
            {
                // "An error will be returned if this field is set for models that don't support thinking."
                // (GenerationConfig.thinking_config). Wording is the stand-in's.
                problems.Add($"* {Path}.thinking_config: thinking is not supported by models/{Model.Id}.\n");
            }
            else if (budget is not null && Has(thinking, "thinkingLevel"))
            {
                // A 400 according to SDK docs citing https://ai.google.dev/gemini-api/docs/gemini-3 (e.g. gemini_ex's
                // ThinkingConfig); the wording is the stand-in's.
                problems.Add($"* {Path}.thinking_config: thinking_budget and thinking_level cannot both be set.\n");
            }
            else if (budget == 0 && Model.ThinkingAlwaysOn)
            {
                // Reported wording; the docs only say thinking cannot be turned off on 2.5 Pro.
                problems.Add("Budget 0 is invalid. This model only works in thinking mode.");
            }

            Thinks = Model.Thinking && budget != 0;
            IncludeThoughts = Thinks && Boolean(Field(thinking, "includeThoughts")) == true;
        }
    }

    /// <summary>
    /// Turn order around function calls. The docs describe the pattern (https://ai.google.dev/gemini-api/docs/function-calling)
    /// but not the rejections; the three messages are the ones Gemini is reported to send (gemini-cli issues #11814,
    /// #4217; langchain #27799). Plain user/model turns need not alternate: the docs state no such rule.
    /// </summary>
    private void CheckTurnOrder()
    {
        for (var i = 0; i < Contents.Count; i++)
        {
            var calls = Parts(Contents[i], "functionCall");
            var responses = Parts(Contents[i], "functionResponse");
            var previous = i > 0 ? Contents[i - 1] : null;
            if (calls.Count > 0 && (previous is null || IsModel(previous)))
            {
                throw GeminiException.InvalidArgument(
                    "Please ensure that function call turn comes immediately after a user turn or after a function response turn.");
            }

            if (responses.Count == 0)
            {
                continue;
            }

            var previousCalls = previous is not null && IsModel(previous) ? Parts(previous, "functionCall") : [];
            if (previousCalls.Count == 0)
            {
                throw GeminiException.InvalidArgument("Please ensure that function response turn comes immediately after a function call turn.");
            }

            if (previousCalls.Count != responses.Count)
            {
                throw GeminiException.InvalidArgument(
                    "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.");
            }
        }
    }

    /// <summary>
    /// Gemini 3: in the current turn (everything after the latest user content that is not a function response),
    /// the first functionCall part of every model step must carry its thoughtSignature; previous turns are not
    /// checked (https://ai.google.dev/gemini-api/docs/thought-signatures, "Validation"). The error text is the one
    /// Gemini sends (quoted in https://github.com/nearai/ironclaw/issues/1510); "position" is the 1-based index of the
    /// content, as far as the reports show (the docs do not define it). Gemini 2.5 does not enforce signatures.
    /// </summary>
    private void CheckThoughtSignatures()
    {
        var start = Contents.FindLastIndex(c => !IsModel(c) && Parts(c, "functionResponse").Count == 0);
        for (var i = start + 1; i < Contents.Count; i++)
        {
            if (!IsModel(Contents[i]) || Parts(Contents[i], "functionCall").FirstOrDefault() is not { } first)
            {
                continue;
            }

            var signature = StringField(first, "thoughtSignature");
            var name = StringField(Field(first, "functionCall"), "name");
            if (string.IsNullOrEmpty(signature))
            {
                throw GeminiException.InvalidArgument(
                    $"Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call `default_api:{name}` , position {i + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.");
            }

            if (!IsKnownSignature(signature))
            {
                // A signature this stand-in did not issue. Reported wording (docs: signatures are opaque and must be
                // returned exactly as received).
                throw GeminiException.InvalidArgument("Corrupted thought signature.");
            }
        }
    }

    private void ReadLastTurn()
    {
        var last = Contents[^1];
        if (!IsModel(last))
        {
            FunctionResponses.AddRange(Parts(last, "functionResponse").Select(p => Field(p, "functionResponse")).OfType<JsonObject>());
            EndsWithUserContent = FunctionResponses.Count == 0;
        }

        var lastUser = Contents.LastOrDefault(c => !IsModel(c) && Parts(c, "text").Count > 0);
        LastUserText = lastUser is null
            ? string.Empty
            : string.Join("\n", Parts(lastUser, "text").Select(p => StringField(p, "text")));
    }

    public static bool IsModel(JsonObject content) => string.Equals(StringField(content, "role"), "model", StringComparison.Ordinal);

    public static List<JsonObject> Parts(JsonObject content, string kind) =>
        [.. Objects(Field(content, "parts")).Where(p => Has(p, kind))];

    /// <summary>Signatures the stand-in issues: base64 of "standin-signature:…" (see <see cref="NewSignature"/>).</summary>
    public static bool IsKnownSignature(string signature) =>
        DummySignatures.Contains(signature, StringComparer.Ordinal)
        || (GeminiShapes.TryBase64(signature, out var bytes) && Encoding.UTF8.GetString(bytes).StartsWith("standin-signature:", StringComparison.Ordinal));

    /// <summary>An opaque base64 signature, as Gemini returns (Part.thoughtSignature is bytes).</summary>
    public static string NewSignature(string model, string what) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"standin-signature:{model}:{what}:{Guid.NewGuid():N}"));

    private static List<string> DataFields(JsonObject part) => [.. PartData.Where(f => Has(part, f))];

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.:\-]{0,63}$")]
    private static partial Regex FunctionName();
}
