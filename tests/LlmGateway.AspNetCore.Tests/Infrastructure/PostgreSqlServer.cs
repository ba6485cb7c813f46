using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace LlmGateway.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL server (Debian's <c>postgresql</c> package; <c>.ci/run</c> installs it), made by the test in a
/// temporary folder with <c>initdb</c> and started on a free loopback port, trusting local connections, without fsync.
/// Each test asks for a database of its own (<see cref="CreateDatabase"/>). When run as root (as CI is), the server runs
/// as the <c>postgres</c> user, since PostgreSQL refuses root. If PostgreSQL is not installed the test fails saying so.
/// </summary>
public sealed class PostgreSqlServer : IDisposable
{
    private readonly string _directory;
    private readonly string _bin;
    private readonly bool _asPostgresUser;

    public PostgreSqlServer()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(static d => Path.Combine(d, "bin"))
                .Where(static d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(static d => d, StringComparer.Ordinal).FirstOrDefault() ?? ""
            : "";
        if (_bin.Length == 0)
        {
            throw new InvalidOperationException("PostgreSQL is not installed: apt-get install -y postgresql (.ci/run does).");
        }

        _asPostgresUser = Environment.UserName == "root";
        _directory = Directory.CreateTempSubdirectory("llmgateway-postgres-").FullName;
        if (_asPostgresUser)
        {
            Run("chown", ["postgres", _directory], asPostgres: false);
        }

        Port = FreePort();
        var data = Path.Combine(_directory, "data");
        Run(Path.Combine(_bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
        Run(Path.Combine(_bin, "pg_ctl"), ["start", "-w", "-D", data, "-l", Path.Combine(_directory, "log"), "-o",
            $"-p {Port.ToString(CultureInfo.InvariantCulture)} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"]);
    }

    public int Port { get; }

    /// <summary>Makes an empty database no other test uses and returns its connection string.</summary>
    public string CreateDatabase()
    {
        var name = "test_" + Guid.NewGuid().ToString("N");
        using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE {name}";
            command.ExecuteNonQuery();
        }

        return ConnectionString(name);
    }

    public void Dispose()
    {
        try
        {
            Run(Path.Combine(_bin, "pg_ctl"), ["stop", "-m", "immediate", "-D", Path.Combine(_directory, "data")]);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            Directory.Delete(_directory, recursive: true);
        }
    }

    private string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database, Pooling = true }.ToString();

    private void Run(string program, string[] arguments, bool asPostgres = true)
    {
        var info = asPostgres && _asPostgresUser ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", program, .. arguments]) : new ProcessStartInfo(program, arguments);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {output.Result}{error.Result}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
