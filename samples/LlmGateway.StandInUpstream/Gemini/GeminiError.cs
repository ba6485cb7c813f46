using System.Text.Json.Nodes;

namespace LlmGateway.StandInUpstream.Gemini;

/// <summary>
/// A failure answered in Gemini's error shape, which is google.rpc.Status rendered as JSON
/// (https://ai.google.dev/gemini-api/docs/troubleshooting, https://google.aip.dev/193):
/// <c>{"error":{"code":400,"message":"…","status":"INVALID_ARGUMENT","details":[…]}}</c>.
/// The HTTP status is always <c>code</c>.
/// </summary>
internal sealed class GeminiException : Exception
{
    public GeminiException()
        : this(500, "INTERNAL", "An internal error has occurred.")
    {
    }

    public GeminiException(string message)
        : this(500, "INTERNAL", message)
    {
    }

    public GeminiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = 500;
        Status = "INTERNAL";
    }

    public GeminiException(int code, string status, string message, JsonArray? details = null)
        : base(message)
    {
        Code = code;
        Status = status;
        Details = details;
    }

    public int Code { get; }

    public string Status { get; }

    public JsonArray? Details { get; }

    public JsonObject ToJson()
    {
        var error = new JsonObject { ["code"] = Code, ["message"] = Message, ["status"] = Status };
        if (Details is not null)
        {
            error["details"] = Details.DeepClone();
        }

        return new JsonObject { ["error"] = error };
    }

    // The status names and their HTTP codes are the table at
    // https://ai.google.dev/gemini-api/docs/troubleshooting (400 INVALID_ARGUMENT / FAILED_PRECONDITION,
    // 403 PERMISSION_DENIED, 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE,
    // 504 DEADLINE_EXCEEDED).
    public static GeminiException InvalidArgument(string message, JsonArray? details = null) =>
        new(400, "INVALID_ARGUMENT", message, details);

    public static GeminiException NotFound(string message) => new(404, "NOT_FOUND", message);

    public static GeminiException PermissionDenied(string message) => new(403, "PERMISSION_DENIED", message);

    /// <summary>
    /// The unknown-field / bad-value rejection of Google's JSON parser: one message line per violation and a
    /// <c>google.rpc.BadRequest</c> detail listing them (shape seen in field reports, e.g.
    /// https://github.com/ax-llm/ax/issues/293; the docs show no example).
    /// </summary>
    public static GeminiException BadRequest(IReadOnlyList<(string? Field, string Description)> violations)
    {
        var fieldViolations = new JsonArray();
        foreach (var (field, description) in violations)
        {
            var violation = new JsonObject();
            if (!string.IsNullOrEmpty(field))
            {
                violation["field"] = field;
            }

            violation["description"] = description;
            fieldViolations.Add(violation);
        }

        var details = new JsonArray
        {
            new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.BadRequest", ["fieldViolations"] = fieldViolations },
        };
        return InvalidArgument(string.Join('\n', violations.Select(v => v.Description)), details);
    }

    /// <summary>
    /// 429 with the details Gemini sends for a quota hit: QuotaFailure, Help and RetryInfo. The docs only name the
    /// status (troubleshooting page); the detail list is as reported in
    /// https://github.com/googleapis/python-genai/issues/2044 and https://github.com/RooCodeInc/Roo-Code/issues/3883.
    /// </summary>
    public static GeminiException ResourceExhausted(string model, string retryDelay)
    {
        var details = new JsonArray
        {
            new JsonObject
            {
                ["@type"] = "type.googleapis.com/google.rpc.QuotaFailure",
                ["violations"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["quotaMetric"] = "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                        ["quotaId"] = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                        ["quotaDimensions"] = new JsonObject { ["location"] = "global", ["model"] = model },
                        ["quotaValue"] = "10",
                    },
                },
            },
            new JsonObject
            {
                ["@type"] = "type.googleapis.com/google.rpc.Help",
                ["links"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["description"] = "Learn more about Gemini API quotas",
                        ["url"] = "https://ai.google.dev/gemini-api/docs/rate-limits",
                    },
                },
            },
            new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.RetryInfo", ["retryDelay"] = retryDelay },
        };
        return new GeminiException(
            429,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
            details);
    }

    /// <summary>500 INTERNAL; the message is the one Gemini is commonly reported to send (not in the docs).</summary>
    public static GeminiException Internal() =>
        new(500, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting");
}
