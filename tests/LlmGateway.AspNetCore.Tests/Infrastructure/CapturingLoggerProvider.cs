using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LlmGateway.AspNetCore.Tests.Infrastructure;

/// <summary>Captures every log line at every level, with its structured values, scopes and exception, so a test can
/// look for what must never be logged.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<string> Lines { get; } = new();

    /// <summary>Gets each line's formatted message alone, as a console or file logger writes it.</summary>
    public ConcurrentQueue<string> Messages { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            owner.Messages.Enqueue(message);
            var line = new System.Text.StringBuilder($"{logLevel} {category}: {message}");
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    line.Append(' ').Append(key).Append('=').Append(value);
                }
            }

            owner._scopes.ForEachScope((scope, builder) => builder.Append(" scope=").Append(scope), line);
            if (exception is not null)
            {
                line.Append(' ').Append(exception);
            }

            owner.Lines.Enqueue(line.ToString());
        }
    }
}
