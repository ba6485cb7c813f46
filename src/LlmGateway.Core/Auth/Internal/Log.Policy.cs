using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>Authentication and policy log messages (event ids 180–199). Never a key.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 180, Level = LogLevel.Error, Message = "Could not settle the usage of a call by {UsageId}; its usage is not counted.")]
    public static partial void UsageSettlementFailed(this ILogger logger, string usageId, Exception exception);
}
