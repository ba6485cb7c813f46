using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace LlmGateway.Redis.Internal;

/// <summary>
/// The rate-limit counters in Redis, shared by every instance: one Lua script per acquisition takes all of a request's
/// buckets at once, all or nothing, on Redis's clock (<c>TIME</c>), so instances with skewed clocks agree. A bucket is
/// the hash <c>{prefix}rl:{bucket}</c> (fields <c>w c p</c> for windows, <c>l lt</c> for a token bucket; see
/// the counter kinds of the in-memory store), expiring when it reads as fresh again, so idle buckets cost nothing.
/// </summary>
/// <remarks>
/// While Redis is unavailable, acquisitions are counted in the store this one decorates (the in-memory store unless another was registered; the limits then hold per instance) and their
/// window ids are returned complemented (<c>~id</c>, always negative; token buckets give -1), so a settlement is sent
/// back to the store the acquisition went to: a negative id settles in memory, any other in Redis. A settlement for
/// Redis that finds it down is applied in memory, which is what counts until Redis is back. The pipeline passes window
/// ids back unchanged and never reads them.
/// </remarks>
internal sealed class RedisRateLimitStore : IRateLimitStore
{
    // Shared by both scripts: the clock and RateLimitMath.Advance / ExpiresAtMs, line for line. Numbers given to
    // redis.call are sent as %.17g (exact for integers below 2^53); never concatenate them into strings (%.14g).
    private const string Prelude = """
        if redis.replicate_commands then redis.replicate_commands() end
        local W = 60000
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local strategy = tonumber(ARGV[1])
        local token = strategy == 2

        local function ceildiv(a, b) return math.floor((a + b - 1) / b) end

        local function fetch(key)
          if token then
            local v = redis.call('HMGET', key, 'l', 'lt')
            return { l = tonumber(v[1]), lt = tonumber(v[2]) }
          end
          local v = redis.call('HMGET', key, 'w', 'c', 'p')
          return { w = tonumber(v[1]) or 0, c = tonumber(v[2]) or 0, p = tonumber(v[3]) or 0 }
        end

        local function advance(c, limit)
          if token then
            local cap = limit * W
            if c.l == nil or c.lt == nil then
              c.l = cap
              c.lt = now
              return
            end
            if now > c.lt then
              if c.l < cap and limit > 0 then
                if now - c.lt >= ceildiv(cap - c.l, limit) then c.l = cap else c.l = c.l + (now - c.lt) * limit end
              end
              c.lt = now
            end
            if c.l > cap then c.l = cap end
            return
          end
          local w = math.floor(now / W)
          if c.w ~= w then
            if c.w == w - 1 then c.p = c.c else c.p = 0 end
            c.c = 0
            c.w = w
          end
        end

        local function fullafter(c, limit)
          local missing = limit * W - c.l
          if missing > 0 and limit > 0 then return ceildiv(missing, limit) end
          return 0
        end

        local function store(key, c, limit)
          if token then
            redis.call('HSET', key, 'l', c.l, 'lt', c.lt)
            redis.call('PEXPIRE', key, math.max(1, fullafter(c, limit)))
          else
            redis.call('HSET', key, 'w', c.w, 'c', c.c, 'p', c.p)
            redis.call('PEXPIRE', key, (c.w + 2) * W - now)
          end
        end

        """;

    // KEYS: the buckets. ARGV: strategy (0 fixed, 1 sliding, 2 token bucket), then limit and amount per bucket.
    // Returns allowed (1/0), refused index (0-based, -1), retry-after ms, then per bucket remaining, reset-after ms and
    // window id. Mirrors MemoryRateLimitStore.Acquire and RateLimitMath.
    private const string AcquireScript = Prelude + """
        local function sliding(c)
          return c.p * (W - (now - c.w * W)) + c.c * W
        end

        local function fits(c, limit, amount)
          if token then return c.l >= amount * W end
          if strategy == 0 then return c.c + amount <= limit end
          return sliding(c) + amount * W <= limit * W
        end

        local function take(c, amount)
          if token then c.l = c.l - amount * W else c.c = c.c + amount end
        end

        local function retryafter(c, limit, amount)
          if amount > limit then return W end
          if token then
            if limit <= 0 then return W end
            return ceildiv(amount * W - c.l, limit)
          end
          local windowend = (c.w + 1) * W
          if strategy == 0 then return windowend - now end
          local room = (limit - amount - c.c) * W
          if room >= 0 and c.p > 0 then
            return W - math.floor(room / c.p) - (now - c.w * W)
          end
          local intonext = 0
          if c.c > 0 then intonext = math.max(0, W - math.floor((limit - amount) * W / c.c)) end
          return windowend + intonext - now
        end

        local function state(c, limit)
          if token then
            local remaining = 0
            if c.l > 0 then remaining = math.floor(c.l / W) end
            return remaining, fullafter(c, limit)
          end
          if strategy == 0 then
            local reset = 0
            if c.c > 0 then reset = (c.w + 1) * W - now end
            return math.max(0, limit - c.c), reset
          end
          local free = limit * W - sliding(c)
          local remaining = 0
          if free > 0 then remaining = math.floor(free / W) end
          local reset = 0
          if c.c > 0 then reset = (c.w + 2) * W - now elseif c.p > 0 then reset = (c.w + 1) * W - now end
          return remaining, reset
        end

        local n = #KEYS
        local loaded = {}
        local counters = {}
        local refused = -1
        local retry = 0
        for i = 1, n do
          local key = KEYS[i]
          local c = loaded[key]
          if c == nil then
            c = fetch(key)
            loaded[key] = c
          end
          counters[i] = c
          local limit = tonumber(ARGV[2 * i])
          local amount = tonumber(ARGV[2 * i + 1])
          advance(c, limit)
          if refused < 0 then
            if fits(c, limit, amount) then
              take(c, amount)
            else
              refused = i - 1
              retry = retryafter(c, limit, amount)
            end
          end
        end

        for i = refused, 1, -1 do
          take(counters[i], -tonumber(ARGV[2 * i + 1]))
        end

        local result = { refused < 0 and 1 or 0, refused, retry }
        for i = 1, n do
          local c = counters[i]
          local remaining, reset = state(c, tonumber(ARGV[2 * i]))
          result[#result + 1] = remaining
          result[#result + 1] = reset
          result[#result + 1] = token and 0 or c.w
        end

        if refused < 0 then
          local stored = {}
          for i = 1, n do
            if not stored[KEYS[i]] then
              stored[KEYS[i]] = true
              store(KEYS[i], counters[i], tonumber(ARGV[2 * i]))
            end
          end
        end
        return result
        """;

    // KEYS[1]: the bucket. ARGV: strategy, limit, delta, window id. Mirrors RateLimitMath.Settle.
    private const string SettleScript = Prelude + """
        local key = KEYS[1]
        local limit = tonumber(ARGV[2])
        local delta = tonumber(ARGV[3])
        local windowid = tonumber(ARGV[4])
        local c = fetch(key)
        advance(c, limit)
        if token then
          c.l = math.min(limit * W, c.l - delta * W)
        elseif windowid == c.w then
          c.c = math.max(0, c.c + delta)
        elseif windowid == c.w - 1 then
          c.p = math.max(0, c.p + delta)
        else
          return 0
        end
        store(key, c, limit)
        return 1
        """;

    private readonly RedisConnection _redis;
    private readonly ILogger<RedisRateLimitStore> _logger;
    private readonly IRateLimitStore _memory;
    private readonly string _keyPrefix;

    public RedisRateLimitStore(RedisConnection redis, IRateLimitStore fallback, ILogger<RedisRateLimitStore> logger)
    {
        _redis = redis;
        _logger = logger;
        _memory = fallback;
        _keyPrefix = redis.Prefix + "rl:";
    }

    /// <remarks>The token is checked before the script is sent, not while it runs: an acquisition Redis has made must
    /// be reported, or what it took would count without a request to settle it.</remarks>
    public async ValueTask<LimitOutcome> AcquireAsync(RateLimitStrategy strategy, IReadOnlyList<LimitBucket> buckets, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var count = buckets.Count;
        var keys = new RedisKey[count];
        var args = new RedisValue[1 + (2 * count)];
        args[0] = (int)strategy;
        for (var i = 0; i < count; i++)
        {
            var bucket = buckets[i];
            keys[i] = _keyPrefix + bucket.Name;
            args[1 + (2 * i)] = bucket.Limit;
            args[2 + (2 * i)] = bucket.Amount;
        }

        long[] reply;
        try
        {
            var database = await _redis.GetDatabaseAsync();
            var result = await database.ScriptEvaluateAsync(AcquireScript, keys, args);
            reply = (long[]?)result ?? throw new InvalidOperationException("The rate-limit script returned nothing.");
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
            _logger.RateLimitsCountedInMemory();
            var outcome = await _memory.AcquireAsync(strategy, buckets, CancellationToken.None);
            var windowIds = outcome.WindowIds;
            for (var i = 0; i < windowIds.Length; i++)
            {
                windowIds[i] = ~windowIds[i];
            }

            return outcome;
        }

        _redis.ReportSuccess();
        var states = new BucketState[count];
        var ids = new long[count];
        for (var i = 0; i < count; i++)
        {
            var at = 3 + (3 * i);
            states[i] = new BucketState(buckets[i].Limit, reply[at], TimeSpan.FromMilliseconds(reply[at + 1]));
            ids[i] = reply[at + 2];
        }

        return new LimitOutcome
        {
            Allowed = reply[0] == 1,
            RefusedIndex = (int)reply[1],
            RetryAfter = TimeSpan.FromMilliseconds(reply[2]),
            States = states,
            WindowIds = ids,
        };
    }

    public async ValueTask SettleAsync(RateLimitStrategy strategy, string bucket, long limit, long delta, long windowId, CancellationToken cancellationToken)
    {
        if (windowId < 0)
        {
            await _memory.SettleAsync(strategy, bucket, limit, delta, ~windowId, CancellationToken.None);
            return;
        }

        if (delta == 0)
        {
            return;
        }

        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var database = await _redis.GetDatabaseAsync();
            await database.ScriptEvaluateAsync(SettleScript, [_keyPrefix + bucket], [(int)strategy, limit, delta, windowId]);
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
            _logger.RateLimitSettledInMemory();
            await _memory.SettleAsync(strategy, bucket, limit, delta, windowId, CancellationToken.None);
            return;
        }

        _redis.ReportSuccess();
    }
}
