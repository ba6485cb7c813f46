using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmGateway.EntityFrameworkCore.Internal;

/// <summary>
/// The database the stores share: makes their contexts (of the configured provider's subclass) and migrates the schema
/// once, before the first use; the stores await <see cref="EnsureMigratedAsync"/>, and the start-up service calls it so a
/// refused migration stops the host.
/// </summary>
internal sealed class GatewayDatabase
{
    private readonly Func<GatewayDbContext> _create;
    private readonly ILogger<GatewayDatabase> _logger;
    private readonly Lock _gate = new();
    private Task? _migration;

    public GatewayDatabase(IOptions<LlmGatewayOptions> options, ILogger<GatewayDatabase> logger, IHostEnvironment? environment = null)
    {
        _logger = logger;
        var settings = options.Value.Database;
        Provider = settings.Provider ?? (string.IsNullOrWhiteSpace(options.Value.Redis) ? DatabaseProvider.Sqlite : DatabaseProvider.None);
        switch (Provider)
        {
            case DatabaseProvider.None:
                _create = static () => throw new InvalidOperationException("No database is configured (LlmGateway:Database:Provider is None).");
                Description = "none";
                break;
            case DatabaseProvider.Sqlite:
                var connectionString = SqliteConnectionString(settings, options.Value.DataDirectory, environment);
                var sqlite = new DbContextOptionsBuilder<SqliteGatewayDbContext>().UseSqlite(connectionString).Options;
                _create = () => new SqliteGatewayDbContext(sqlite);
                Description = "SQLite (" + new SqliteConnectionStringBuilder(connectionString).DataSource + ")";
                break;
            case DatabaseProvider.PostgreSql:
                if (string.IsNullOrWhiteSpace(settings.ConnectionString))
                {
                    throw new OptionsValidationException(Section, typeof(DatabaseOptions), [$"{Section}:ConnectionString is required when {Section}:Provider is PostgreSql."]);
                }

                var postgres = new DbContextOptionsBuilder<PostgreSqlGatewayDbContext>().UseNpgsql(settings.ConnectionString).Options;
                _create = () => new PostgreSqlGatewayDbContext(postgres);
                Description = "PostgreSQL";
                break;
            default:
                throw new OptionsValidationException(Section, typeof(DatabaseOptions), [$"{Section}:Provider must be Sqlite, PostgreSql or None."]);
        }
    }

    /// <summary>The configuration section of the database's options.</summary>
    public const string Section = LlmGatewayOptions.SectionName + ":Database";

    public DatabaseProvider Provider { get; }

    /// <summary>Gets a value indicating whether a database is configured (the provider is not None).</summary>
    public bool IsConfigured => Provider != DatabaseProvider.None;

    /// <summary>Gets the database's kind and, for SQLite, its file: for log messages.</summary>
    public string Description { get; }

    public GatewayDbContext CreateContext() => _create();

    /// <summary>Migrates the schema the first time it is called; later calls await that migration (a failed one is tried
    /// again by the next call).</summary>
    public Task EnsureMigratedAsync()
    {
        if (Volatile.Read(ref _migration) is { IsCompletedSuccessfully: true } done)
        {
            return done; // every call after the first: no lock
        }

        lock (_gate)
        {
            if (_migration is null || _migration.IsFaulted || _migration.IsCanceled)
            {
                _migration = MigrateAsync();
            }

            return _migration;
        }
    }

    private async Task MigrateAsync()
    {
        try
        {
            await using var context = CreateContext();
            var pending = (await context.Database.GetPendingMigrationsAsync()).ToList();
            if (pending.Count > 0 && _logger.IsEnabled(LogLevel.Information))
            {
                _logger.Migrating(Description, string.Join(", ", pending));
            }

            await context.Database.MigrateAsync();
            if (Provider == DatabaseProvider.Sqlite)
            {
                // Readers do not wait for the writer (kept in the file: set once, in force for every later connection).
                await context.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            }
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"The gateway's database ({Description}) could not be migrated to the gateway's schema: {ex.Message} Check {Section} (Provider, ConnectionString) and {LlmGatewayOptions.SectionName}:DataDirectory, and that the database accepts this user's schema changes.", ex);
        }
    }

    private static string SqliteConnectionString(DatabaseOptions settings, string? dataDirectory, IHostEnvironment? environment)
    {
        var root = environment?.ContentRootPath ?? AppContext.BaseDirectory;
        if (!string.IsNullOrWhiteSpace(settings.ConnectionString))
        {
            var given = new SqliteConnectionStringBuilder(settings.ConnectionString);
            if (!string.IsNullOrEmpty(given.DataSource) && given.DataSource != ":memory:" && given.Mode != SqliteOpenMode.Memory)
            {
                var folder = Path.GetDirectoryName(Path.GetFullPath(given.DataSource)); // as SQLite reads it: from the working directory
                if (!string.IsNullOrEmpty(folder))
                {
                    Directory.CreateDirectory(folder);
                }
            }

            return settings.ConnectionString;
        }

        var directory = Path.GetFullPath(string.IsNullOrWhiteSpace(dataDirectory) ? "data" : dataDirectory, root);
        Directory.CreateDirectory(directory);
        return new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, DatabaseOptions.DefaultSqliteFileName) }.ToString();
    }
}
