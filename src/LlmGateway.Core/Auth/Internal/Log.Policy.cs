using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>Authentication and policy log messages (event ids 180–199). Never a key.</summary>
// A class of its own per file, not one partial Log: the logging source generator emits a partial class's
// methods in no fixed order, which made builds differ byte for byte.
internal static partial class PolicyLog
{
    [LoggerMessage(EventId = 180, Level = LogLevel.Error, Message = "Could not settle the usage of a call by {UsageId}; its usage is not counted.")]
    public static partial void UsageSettlementFailed(this ILogger logger, string usageId, Exception exception);
}
