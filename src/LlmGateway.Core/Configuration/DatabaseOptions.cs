namespace LlmGateway;

/// <summary>The databases <c>LlmGateway.EntityFrameworkCore</c>'s <c>AddDatabase()</c> can keep the gateway's records
/// in.</summary>
public enum DatabaseProvider
{
    /// <summary>SQLite: one file, by default <c>llmgateway.db</c> in <see cref="LlmGatewayOptions.DataDirectory"/>.</summary>
    Sqlite,

    /// <summary>PostgreSQL: a server named by <see cref="DatabaseOptions.ConnectionString"/>, which several gateway
    /// instances can share.</summary>
    PostgreSql,

    /// <summary>No database: the stores registered before <c>AddDatabase()</c> stay in force (this process's memory, or
    /// Redis), as if it had not been called.</summary>
    None,
}

/// <summary>
/// The database <c>LlmGateway.EntityFrameworkCore</c>'s <c>AddDatabase()</c> keeps gateway keys, resource ownership and
/// usage in (<c>LlmGateway:Database</c>). Without that call these settings are not used. Read at start-up only.
/// </summary>
public sealed class DatabaseOptions
{
    /// <summary>The name of the SQLite file made in <see cref="LlmGatewayOptions.DataDirectory"/> when no connection
    /// string is given.</summary>
    public const string DefaultSqliteFileName = "llmgateway.db";

    /// <summary>Gets or sets the database. Unset: <see cref="DatabaseProvider.Sqlite"/>, unless
    /// <see cref="LlmGatewayOptions.Redis"/> is set, then <see cref="DatabaseProvider.None"/> (instances sharing a Redis
    /// keep sharing their keys and usage through it; set this to keep them in a database instead).</summary>
    public DatabaseProvider? Provider { get; set; }

    /// <summary>Gets or sets the connection string (the provider's ADO.NET syntax). Required for PostgreSQL; for SQLite,
    /// when unset, the file <see cref="DefaultSqliteFileName"/> in <see cref="LlmGatewayOptions.DataDirectory"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Gets or sets how many usage records are written in one batch at most. Defaults to 500.</summary>
    public int UsageFlushBatchSize { get; set; } = 500;

    /// <summary>Gets or sets how long a usage record waits in memory before it is written, at most (while the database
    /// answers). A crash loses what was recorded in this interval. Defaults to 1 second.</summary>
    public TimeSpan UsageFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets how many usage records can wait for the writer before recording one waits for room.
    /// Defaults to 10,000.</summary>
    public int UsageQueueCapacity { get; set; } = 10_000;
}
