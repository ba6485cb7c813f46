using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace LlmGateway.EntityFrameworkCore.Internal;

/// <summary>
/// The gateway's schema, one for both databases: lower-case snake_case names (so the few statements written by hand,
/// the upserts, read the same in SQLite and PostgreSQL) and only strings and integers. Each database has its own
/// subclass, and so its own migrations (EF Core migrations are per provider).
/// </summary>
internal abstract class GatewayDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<KeyRow> Keys => Set<KeyRow>();

    public DbSet<ResourceOwnerRow> ResourceOwners => Set<ResourceOwnerRow>();

    public DbSet<UsageRow> Usage => Set<UsageRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<KeyRow>(key =>
        {
            key.ToTable("gateway_keys");
            key.HasKey(k => k.Id);
            key.Property(k => k.Id).HasColumnName("id");
            key.Property(k => k.Hash).HasColumnName("hash");
            key.Property(k => k.Record).HasColumnName("record");
            key.HasIndex(k => k.Hash).IsUnique().HasDatabaseName("ix_gateway_keys_hash");
        });
        modelBuilder.Entity<ResourceOwnerRow>(owner =>
        {
            owner.ToTable("resource_owners");
            owner.HasKey(o => new { o.Kind, o.Id });
            owner.Property(o => o.Kind).HasColumnName("kind");
            owner.Property(o => o.Id).HasColumnName("id");
            owner.Property(o => o.Owner).HasColumnName("owner");
            owner.Property(o => o.Provider).HasColumnName("provider");
            owner.Property(o => o.CreatedAt).HasColumnName("created_at");
            owner.HasIndex(o => o.CreatedAt).HasDatabaseName("ix_resource_owners_created_at");
        });
        modelBuilder.Entity<UsageRow>(usage =>
        {
            usage.ToTable("usage_totals");
            usage.HasKey(u => new { u.KeyId, u.Period, u.PeriodIndex, u.Model, u.Provider });
            usage.Property(u => u.KeyId).HasColumnName("key_id");
            usage.Property(u => u.Period).HasColumnName("period");
            usage.Property(u => u.PeriodIndex).HasColumnName("period_index");
            usage.Property(u => u.Model).HasColumnName("model");
            usage.Property(u => u.Provider).HasColumnName("provider");
            usage.Property(u => u.Requests).HasColumnName("requests");
            usage.Property(u => u.PromptTokens).HasColumnName("prompt_tokens");
            usage.Property(u => u.CompletionTokens).HasColumnName("completion_tokens");
            usage.Property(u => u.CachedTokens).HasColumnName("cached_tokens");
            usage.Property(u => u.ReasoningTokens).HasColumnName("reasoning_tokens");
            usage.Property(u => u.EstimatedRequests).HasColumnName("estimated_requests");
            usage.Property(u => u.CostNanos).HasColumnName("cost_nanos");
            usage.HasIndex(u => new { u.Period, u.PeriodIndex }).HasDatabaseName("ix_usage_totals_period");
        });
    }
}

/// <summary>The schema in SQLite (migrations in Migrations/Sqlite).</summary>
internal sealed class SqliteGatewayDbContext(DbContextOptions<SqliteGatewayDbContext> options) : GatewayDbContext(options);

/// <summary>The schema in PostgreSQL (migrations in Migrations/PostgreSql).</summary>
internal sealed class PostgreSqlGatewayDbContext(DbContextOptions<PostgreSqlGatewayDbContext> options) : GatewayDbContext(options);

/// <summary>For <c>dotnet ef migrations add</c> only (the migrations are made against these, never run).</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteGatewayDbContext>
{
    public SqliteGatewayDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteGatewayDbContext>().UseSqlite("Data Source=design.db").Options);
}

/// <summary>For <c>dotnet ef migrations add</c> only.</summary>
internal sealed class PostgreSqlDesignTimeFactory : IDesignTimeDbContextFactory<PostgreSqlGatewayDbContext>
{
    public PostgreSqlGatewayDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgreSqlGatewayDbContext>().UseNpgsql("Host=localhost;Database=design").Options);
}
