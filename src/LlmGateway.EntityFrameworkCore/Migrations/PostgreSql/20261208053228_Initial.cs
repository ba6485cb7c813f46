using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LlmGateway.EntityFrameworkCore.Migrations.PostgreSql
{
    /// <inheritdoc />
    internal partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "gateway_keys",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false),
                    hash = table.Column<string>(type: "text", nullable: false),
                    record = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_gateway_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "resource_owners",
                columns: table => new
                {
                    kind = table.Column<int>(type: "integer", nullable: false),
                    id = table.Column<string>(type: "text", nullable: false),
                    owner = table.Column<string>(type: "text", nullable: false),
                    provider = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_resource_owners", x => new { x.kind, x.id });
                });

            migrationBuilder.CreateTable(
                name: "usage_totals",
                columns: table => new
                {
                    key_id = table.Column<string>(type: "text", nullable: false),
                    period = table.Column<int>(type: "integer", nullable: false),
                    period_index = table.Column<int>(type: "integer", nullable: false),
                    model = table.Column<string>(type: "text", nullable: false),
                    provider = table.Column<string>(type: "text", nullable: false),
                    requests = table.Column<long>(type: "bigint", nullable: false),
                    prompt_tokens = table.Column<long>(type: "bigint", nullable: false),
                    completion_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cached_tokens = table.Column<long>(type: "bigint", nullable: false),
                    reasoning_tokens = table.Column<long>(type: "bigint", nullable: false),
                    estimated_requests = table.Column<long>(type: "bigint", nullable: false),
                    cost_nanos = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_usage_totals", x => new { x.key_id, x.period, x.period_index, x.model, x.provider });
                });

            migrationBuilder.CreateIndex(
                name: "ix_gateway_keys_hash",
                table: "gateway_keys",
                column: "hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_resource_owners_created_at",
                table: "resource_owners",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_usage_totals_period",
                table: "usage_totals",
                columns: new[] { "period", "period_index" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "gateway_keys");

            migrationBuilder.DropTable(
                name: "resource_owners");

            migrationBuilder.DropTable(
                name: "usage_totals");
        }
    }
}
