using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Usage;

public class MemoryUsageStoreTests
{
    private static readonly DateTimeOffset s_at = new(2026, 11, 27, 10, 30, 0, TimeSpan.Zero);

    private readonly MemoryUsageStore _sut = new();

    internal static UsageEntry Call(string keyId = "key-a", string model = "gpt-4o", string provider = "openai",
        long prompt = 100, long completion = 20, long cached = 0, long reasoning = 0, decimal cost = 0m, bool estimated = false) =>
        new(keyId, model, provider)
        {
            Requests = 1,
            PromptTokens = prompt,
            CompletionTokens = completion,
            CachedTokens = cached,
            ReasoningTokens = reasoning,
            Cost = cost,
            EstimatedRequests = estimated ? 1 : 0,
        };

    private async Task<UsageTotals> Totals(string keyId, UsagePeriod period, DateTimeOffset at) =>
        await _sut.GetTotalsAsync(keyId, period, at, CancellationToken.None);

    [Fact]
    public async Task AddAsync_SameKeyModelAndProvider_SumsIntoOneEntry()
    {
        await _sut.AddAsync(Call(prompt: 100, completion: 20, cached: 64, reasoning: 5, cost: 0.0015m), s_at, default);
        await _sut.AddAsync(Call(prompt: 7, completion: 3, cached: 0, reasoning: 1, cost: 0.0000001m, estimated: true), s_at.AddHours(1), default);

        var entries = await _sut.ListAsync("key-a", UsagePeriod.Day, s_at, default);

        entries.Should().ContainSingle().Which.Should().BeEquivalentTo(new UsageEntry("key-a", "gpt-4o", "openai")
        {
            Requests = 2,
            PromptTokens = 107,
            CompletionTokens = 23,
            CachedTokens = 64,
            ReasoningTokens = 6,
            Cost = 0.0015001m,
            EstimatedRequests = 1,
        });
        (await Totals("key-a", UsagePeriod.Day, s_at)).Should().Be(new UsageTotals(130, 0.0015001m));
    }

    [Fact]
    public async Task GetTotalsAsync_SeveralModelsAndProviders_SumsTheKeyOnly()
    {
        await _sut.AddAsync(Call(model: "gpt-4o", provider: "openai", prompt: 10, completion: 1, cost: 1m), s_at, default);
        await _sut.AddAsync(Call(model: "gpt-4o", provider: "azure", prompt: 20, completion: 2, cost: 2m), s_at, default);
        await _sut.AddAsync(Call(model: "gemini-2.5-pro", provider: "gemini", prompt: 30, completion: 3, cost: 3m), s_at, default);
        await _sut.AddAsync(Call(keyId: "key-b", prompt: 1000, completion: 1000, cost: 100m), s_at, default);

        (await Totals("key-a", UsagePeriod.Day, s_at)).Should().Be(new UsageTotals(66, 6m));
        (await Totals("key-a", UsagePeriod.Month, s_at)).Should().Be(new UsageTotals(66, 6m));
        (await Totals("key-b", UsagePeriod.Day, s_at)).Should().Be(new UsageTotals(2000, 100m));
        (await Totals("nobody", UsagePeriod.Day, s_at)).Should().Be(default(UsageTotals));
        (await _sut.ListAsync("key-a", UsagePeriod.Day, s_at, default)).Should().HaveCount(3);
    }

    [Fact]
    public async Task AddAsync_AcrossMidnight_SplitsDaysButNotTheMonth()
    {
        var evening = new DateTimeOffset(2026, 11, 27, 23, 59, 59, TimeSpan.Zero);
        var morning = new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero);

        await _sut.AddAsync(Call(prompt: 10, completion: 0), evening, default);
        await _sut.AddAsync(Call(prompt: 5, completion: 0), morning, default);

        (await Totals("key-a", UsagePeriod.Day, evening)).Tokens.Should().Be(10);
        (await Totals("key-a", UsagePeriod.Day, morning)).Tokens.Should().Be(5);
        (await Totals("key-a", UsagePeriod.Month, evening)).Tokens.Should().Be(15);
        (await Totals("key-a", UsagePeriod.Month, morning.AddDays(2))).Tokens.Should().Be(15);
    }

    [Fact]
    public async Task AddAsync_AcrossTheMonthEnd_SplitsMonths()
    {
        var november = new DateTimeOffset(2026, 11, 30, 23, 59, 59, TimeSpan.Zero);
        var december = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

        await _sut.AddAsync(Call(prompt: 10, completion: 0), november, default);
        await _sut.AddAsync(Call(prompt: 5, completion: 0), december, default);

        (await Totals("key-a", UsagePeriod.Month, november)).Tokens.Should().Be(10);
        (await Totals("key-a", UsagePeriod.Month, december)).Tokens.Should().Be(5);
        (await Totals("key-a", UsagePeriod.Month, new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero))).Tokens.Should().Be(10);
    }

    [Fact]
    public async Task AddAsync_TimeWithAnOffset_CountsInTheUtcDayAndMonth()
    {
        // 02:00 on 1 December at +05:00 is 21:00 on 30 November, UTC.
        var local = new DateTimeOffset(2026, 12, 1, 2, 0, 0, TimeSpan.FromHours(5));

        await _sut.AddAsync(Call(prompt: 10, completion: 0), local, default);

        (await Totals("key-a", UsagePeriod.Day, new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero))).Tokens.Should().Be(10);
        (await Totals("key-a", UsagePeriod.Month, new DateTimeOffset(2026, 11, 15, 0, 0, 0, TimeSpan.Zero))).Tokens.Should().Be(10);
        (await Totals("key-a", UsagePeriod.Month, new DateTimeOffset(2026, 12, 15, 0, 0, 0, TimeSpan.Zero))).Tokens.Should().Be(0);
    }

    [Fact]
    public async Task ListAsync_AllKeys_ListsEveryEntryOfThePeriodInOrder()
    {
        await _sut.AddAsync(Call(keyId: "key-b", model: "m2"), s_at, default);
        await _sut.AddAsync(Call(keyId: "key-a", model: "m2"), s_at, default);
        await _sut.AddAsync(Call(keyId: "key-a", model: "m1"), s_at, default);
        await _sut.AddAsync(Call(keyId: "key-c", model: "m1"), s_at.AddDays(1), default);

        var all = await _sut.ListAsync(null, UsagePeriod.Day, s_at, default);
        var month = await _sut.ListAsync(null, UsagePeriod.Month, s_at, default);
        var keyB = await _sut.ListAsync("key-b", UsagePeriod.Day, s_at, default);

        all.Select(e => (e.KeyId, e.Model)).Should().Equal(("key-a", "m1"), ("key-a", "m2"), ("key-b", "m2"));
        month.Select(e => e.KeyId).Should().Equal("key-a", "key-a", "key-b", "key-c");
        keyB.Should().ContainSingle().Which.Model.Should().Be("m2");
        (await _sut.ListAsync(null, UsagePeriod.Day, s_at.AddDays(-1), default)).Should().BeEmpty();
    }

    [Fact]
    public async Task AddAsync_EntryWithNoRequestCount_CountsOneRequest()
    {
        await _sut.AddAsync(new UsageEntry("key-a", "gpt-4o", "openai") { PromptTokens = 1 }, s_at, default);

        (await _sut.ListAsync("key-a", UsagePeriod.Month, s_at, default)).Single().Requests.Should().Be(1);
    }

    [Fact]
    public async Task AddAsync_ANewerMonth_DropsPeriodsMoreThanTwoMonthsOld()
    {
        var january = new DateTimeOffset(2026, 1, 31, 12, 0, 0, TimeSpan.Zero);
        var february = new DateTimeOffset(2026, 2, 1, 12, 0, 0, TimeSpan.Zero);
        var april = new DateTimeOffset(2026, 4, 2, 12, 0, 0, TimeSpan.Zero);
        await _sut.AddAsync(Call(prompt: 1, completion: 0), january, default);
        await _sut.AddAsync(Call(prompt: 2, completion: 0), february, default);

        await _sut.AddAsync(Call(prompt: 4, completion: 0), april, default);

        (await Totals("key-a", UsagePeriod.Month, january)).Tokens.Should().Be(0);
        (await Totals("key-a", UsagePeriod.Day, january)).Tokens.Should().Be(0);
        (await Totals("key-a", UsagePeriod.Month, february)).Tokens.Should().Be(2);
        (await Totals("key-a", UsagePeriod.Day, february)).Tokens.Should().Be(2);
        (await Totals("key-a", UsagePeriod.Month, april)).Tokens.Should().Be(4);
    }

    [Fact]
    public async Task AddAsync_ConcurrentCalls_LoseNothing()
    {
        const int Calls = 2000;

        await Parallel.ForAsync(0, Calls, async (i, _) =>
            await _sut.AddAsync(Call(keyId: i % 2 == 0 ? "key-a" : "key-b", model: $"m{i % 3}", prompt: 3, completion: 2, cost: 0.001m), s_at, default));

        (await Totals("key-a", UsagePeriod.Day, s_at)).Should().Be(new UsageTotals(Calls / 2 * 5, Calls / 2 * 0.001m));
        (await Totals("key-b", UsagePeriod.Month, s_at)).Should().Be(new UsageTotals(Calls / 2 * 5, Calls / 2 * 0.001m));
        (await _sut.ListAsync(null, UsagePeriod.Day, s_at, default)).Sum(e => e.Requests).Should().Be(Calls);
    }
}
