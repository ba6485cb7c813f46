using StackExchange.Redis;

namespace LlmGateway.Redis.Internal;

/// <summary>
/// One Redis channel subscription, made on first need and shared by every caller: the key store's change messages and
/// the cache's purge messages. The multiplexer re-subscribes by itself after a reconnection; an attempt that failed is
/// not an error for the caller that asked (it is reported through <c>onFailed</c>) and is retried by the next one.
/// </summary>
internal sealed class RedisSubscription(RedisConnection redis, RedisChannel channel, Action<RedisChannel, RedisValue> handler, Action<Exception> onFailed)
{
    private readonly Lock _lock = new();
    private Task<bool>? _subscription;
    private ISubscriber? _subscriber;

    /// <summary>Subscribes unless that is done or under way; completes when the attempt ends, never with a failure.</summary>
    public Task EnsureAsync()
    {
        var subscription = Volatile.Read(ref _subscription);
        if (subscription is { IsCompletedSuccessfully: true, Result: true })
        {
            return Task.CompletedTask;
        }

        lock (_lock)
        {
            if (_subscription is null or { IsFaulted: true } or { IsCanceled: true } or { IsCompletedSuccessfully: true, Result: false })
            {
                _subscription = SubscribeAsync();
            }

            return _subscription;
        }
    }

    /// <summary>Drops the handler, if it was subscribed; a connection already going away is not an error.</summary>
    public void Unsubscribe()
    {
        if (Volatile.Read(ref _subscriber) is not { } subscriber)
        {
            return;
        }

        try
        {
            subscriber.Unsubscribe(channel, handler, CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            // the connection is going away as well
        }
    }

    private async Task<bool> SubscribeAsync()
    {
        try
        {
            var subscriber = await redis.GetSubscriberAsync();
            await subscriber.SubscribeAsync(channel, handler);
            Volatile.Write(ref _subscriber, subscriber);
            return true;
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex) || ex is RedisException)
        {
            onFailed(ex);
            return false;
        }
    }
}
