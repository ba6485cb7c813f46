using Microsoft.Extensions.Logging;

namespace LlmGateway.EntityFrameworkCore.Internal;

/// <summary>Database log messages (event ids 400–419). A key is named by its id, never by the key or its hash.</summary>
internal static partial class DatabaseLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Migrating the gateway's database ({Database}): {Migrations}.")]
    public static partial void Migrating(this ILogger logger, string database, string migrations);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "The gateway's database cannot be read; key lookups answer from what this instance read last.")]
    public static partial void KeyLookupFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "The stored record of key {Id} cannot be read; the key is treated as unknown.")]
    public static partial void StoredKeyUnreadable(this ILogger logger, string id, Exception exception);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "Usage could not be written to the gateway's database ({Rows} rows kept in memory, tried again in {RetrySeconds} s).")]
    public static partial void UsageWriteFailed(this ILogger logger, int rows, double retrySeconds, Exception exception);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "Usage totals could not be read from the gateway's database; budgets are checked against the last totals read and what this instance has not written yet.")]
    public static partial void UsageReadFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 405, Level = LogLevel.Error, Message = "The gateway stopped before {Rows} usage rows could be written to its database: they are lost.")]
    public static partial void UsageLostAtStop(this ILogger logger, int rows);

    [LoggerMessage(EventId = 406, Level = LogLevel.Warning, Message = "A resource's owner could not be written to the gateway's database; it is kept in this instance and written later.")]
    public static partial void OwnerWriteFailed(this ILogger logger, Exception exception);
}
