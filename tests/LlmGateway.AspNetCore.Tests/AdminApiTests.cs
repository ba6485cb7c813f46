using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using LlmGateway.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// The admin API over the thin host: keys created, listed, changed, revoked and rotated with the admin key; their
/// secrets shown once; configured keys read-only; every mistake an error envelope.
/// </summary>
public sealed class AdminApiTests : IDisposable
{
    private const string AdminKey = "admin-test-key-0001";
    private const string ConfiguredKey = "lgw-configured-key";
    private static readonly DateTimeOffset s_now = new(2026, 3, 15, 10, 30, 0, TimeSpan.Zero);
    private readonly FakeUsageStore _usage = new();
    private readonly GatewayHost _host;
    private readonly HttpClient _client;

    public AdminApiTests()
    {
        _host = new GatewayHost("http://127.0.0.1:9/v1", Settings(), services =>
        {
            services.AddSingleton<IUsageStore>(_usage);
            services.AddSingleton<TimeProvider>(new FakeTimeProvider(s_now));
        });
        _client = _host.CreateClient();
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
    }

    public void Dispose()
    {
        _client.Dispose();
        _host.Dispose();
    }

    private static Dictionary<string, string?> Settings() => new()
    {
        ["LlmGateway:Auth:AdminKey"] = AdminKey,
        ["LlmGateway:Auth:Keys:0:Key"] = ConfiguredKey,
        ["LlmGateway:Auth:Keys:0:Name"] = "ci",
        ["LlmGateway:Auth:Keys:0:RequestsPerMinute"] = "30",
    };

    private async Task<(HttpStatusCode Status, JsonElement Body, string Raw)> SendAsync(HttpMethod method, string path, string? body = null, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await (client ?? _client).SendAsync(request);
        response.Headers.Contains("x-request-id").Should().BeTrue("every gateway answer carries a request id");
        var raw = await response.Content.ReadAsStringAsync();
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        using var document = JsonDocument.Parse(raw);
        return (response.StatusCode, document.RootElement.Clone(), raw);
    }

    private async Task<JsonElement> CreateAsync(string body)
    {
        var (status, key, _) = await SendAsync(HttpMethod.Post, "/admin/keys", body);
        status.Should().Be(HttpStatusCode.Created);
        return key;
    }

    private static void ShouldBeError(HttpStatusCode status, JsonElement body, HttpStatusCode expectedStatus, string code, string? param = null)
    {
        status.Should().Be(expectedStatus);
        var error = body.GetProperty("error");
        error.GetProperty("message").GetString().Should().NotBeNullOrEmpty();
        error.GetProperty("code").GetString().Should().Be(code);
        if (param is not null)
        {
            error.GetProperty("param").GetString().Should().Be(param);
        }
    }

    [Fact]
    public async Task CreatedKeyIsShownOnceAndWorksAtOnce()
    {
        var created = await CreateAsync("""
            {"name":"team-a","allowed_models":["gpt-4o*"],"requests_per_minute":60,"tokens_per_minute":10000,
             "model_limits":{"gpt-4o":{"requests_per_minute":10}},"strategy":"TokenBucket",
             "budget":{"daily_tokens":100000,"monthly_cost":12.5},"expires_at":"2027-01-01T00:00:00Z",
             "provider_keys":{"OpenAI":"sk-team-a"}}
            """);

        var secret = created.GetProperty("key").GetString()!;
        secret.Should().MatchRegex("^lgw-[A-Za-z0-9_-]{43}$");
        var id = created.GetProperty("id").GetString()!;
        id.Should().MatchRegex("^key_[0-9a-f]{16}$");
        created.GetProperty("object").GetString().Should().Be("gateway.key");
        created.GetProperty("name").GetString().Should().Be("team-a");
        created.GetProperty("prefix").GetString().Should().Be(secret[..8]);
        created.GetProperty("source").GetString().Should().Be("admin");
        created.GetProperty("created_at").GetDateTimeOffset().Should().Be(s_now);
        created.GetProperty("updated_at").ValueKind.Should().Be(JsonValueKind.Null);
        created.GetProperty("revoked_at").ValueKind.Should().Be(JsonValueKind.Null);
        created.GetProperty("expires_at").GetDateTimeOffset().Should().Be(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
        created.GetProperty("allowed_models").EnumerateArray().Select(m => m.GetString()).Should().Equal("gpt-4o*");
        created.GetProperty("requests_per_minute").GetInt32().Should().Be(60);
        created.GetProperty("tokens_per_minute").GetInt32().Should().Be(10000);
        created.GetProperty("model_limits").GetProperty("gpt-4o").GetProperty("requests_per_minute").GetInt32().Should().Be(10);
        created.GetProperty("strategy").GetString().Should().Be("TokenBucket");
        created.GetProperty("budget").GetProperty("daily_tokens").GetInt64().Should().Be(100000);
        created.GetProperty("budget").GetProperty("monthly_cost").GetDecimal().Should().Be(12.5m);
        created.GetProperty("provider_keys").EnumerateArray().Select(m => m.GetString()).Should().Equal("openai");
        created.TryGetProperty("hash", out _).Should().BeFalse();

        var (listStatus, list, listRaw) = await SendAsync(HttpMethod.Get, "/admin/keys");
        listStatus.Should().Be(HttpStatusCode.OK);
        list.GetProperty("object").GetString().Should().Be("list");
        var listed = list.GetProperty("data").EnumerateArray().Single(k => k.GetProperty("id").GetString() == id);
        listed.TryGetProperty("key", out _).Should().BeFalse("the secret is shown only once");
        listRaw.Should().NotContain(secret).And.NotContain("sk-team-a").And.NotContain(KeyHashing.Hash(secret));
        var (getStatus, got, getRaw) = await SendAsync(HttpMethod.Get, $"/admin/keys/{id}");
        getStatus.Should().Be(HttpStatusCode.OK);
        got.GetProperty("name").GetString().Should().Be("team-a");
        got.TryGetProperty("key", out _).Should().BeFalse();
        getRaw.Should().NotContain(secret).And.NotContain("sk-team-a");

        var registry = _host.Services.GetRequiredService<KeyRegistry>();
        var stored = await registry.FindAsync(secret, default);
        stored!.Id.Should().Be(id);
        stored.ProviderKeys["openai"].Should().NotContain("sk-team-a", "provider keys are stored encrypted");
        _host.Services.GetRequiredService<ProviderKeyProtector>().Unprotect(stored.ProviderKeys["openai"]).Should().Be("sk-team-a");
    }

    [Fact]
    public async Task CreateAnswersItsLocation()
    {
        using var response = await _client.PostAsync("/admin/keys", new StringContent("{}", Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        response.Headers.Location!.ToString().Should().Be("/admin/keys/" + document.RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task EmptyBodyCreatesAKeyWithoutLimits()
    {
        var (status, key, _) = await SendAsync(HttpMethod.Post, "/admin/keys");

        status.Should().Be(HttpStatusCode.Created);
        key.GetProperty("name").ValueKind.Should().Be(JsonValueKind.Null);
        key.GetProperty("allowed_models").GetArrayLength().Should().Be(0);
        key.GetProperty("requests_per_minute").ValueKind.Should().Be(JsonValueKind.Null);
        key.GetProperty("provider_keys").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task ListShowsConfiguredKeysAsReadOnlyConfigKeys()
    {
        var (status, list, raw) = await SendAsync(HttpMethod.Get, "/admin/keys");

        status.Should().Be(HttpStatusCode.OK);
        var configured = list.GetProperty("data").EnumerateArray().Single(k => k.GetProperty("id").GetString() == "ci");
        configured.GetProperty("source").GetString().Should().Be("config");
        configured.GetProperty("prefix").GetString().Should().Be("lgw-conf");
        configured.GetProperty("requests_per_minute").GetInt32().Should().Be(30);
        configured.GetProperty("created_at").ValueKind.Should().Be(JsonValueKind.Null);
        raw.Should().NotContain(ConfiguredKey);
        var (getStatus, got, _) = await SendAsync(HttpMethod.Get, "/admin/keys/ci");
        getStatus.Should().Be(HttpStatusCode.OK);
        got.GetProperty("source").GetString().Should().Be("config");
    }

    [Fact]
    public async Task PatchChangesOnlyTheFieldsItNamesAndNullClears()
    {
        var created = await CreateAsync("""{"name":"team-b","requests_per_minute":60,"budget":{"daily_tokens":1000},"allowed_models":["a"]}""");
        var id = created.GetProperty("id").GetString();

        var (status, patched, _) = await SendAsync(HttpMethod.Patch, $"/admin/keys/{id}", """{"requests_per_minute":10,"name":null,"allowed_models":null}""");

        status.Should().Be(HttpStatusCode.OK);
        patched.GetProperty("requests_per_minute").GetInt32().Should().Be(10);
        patched.GetProperty("name").ValueKind.Should().Be(JsonValueKind.Null);
        patched.GetProperty("allowed_models").GetArrayLength().Should().Be(0);
        patched.GetProperty("budget").GetProperty("daily_tokens").GetInt64().Should().Be(1000, "a field the PATCH does not name is kept");
        patched.GetProperty("updated_at").GetDateTimeOffset().Should().Be(s_now);
        patched.TryGetProperty("key", out _).Should().BeFalse();
        var (_, got, _) = await SendAsync(HttpMethod.Get, $"/admin/keys/{id}");
        got.GetProperty("requests_per_minute").GetInt32().Should().Be(10);
    }

    [Fact]
    public async Task PatchReplacesProviderKeys()
    {
        var created = await CreateAsync("""{"provider_keys":{"openai":"sk-one"}}""");
        var id = created.GetProperty("id").GetString();

        var (status, patched, _) = await SendAsync(HttpMethod.Patch, $"/admin/keys/{id}", """{"provider_keys":null}""");

        status.Should().Be(HttpStatusCode.OK);
        patched.GetProperty("provider_keys").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task DeleteRevokesTheKeyWhichStaysListed()
    {
        var created = await CreateAsync("""{"name":"gone"}""");
        var id = created.GetProperty("id").GetString();
        var secret = created.GetProperty("key").GetString()!;

        var (status, revoked, _) = await SendAsync(HttpMethod.Delete, $"/admin/keys/{id}");

        status.Should().Be(HttpStatusCode.OK);
        revoked.GetProperty("revoked_at").GetDateTimeOffset().Should().Be(s_now);
        var (_, list, _) = await SendAsync(HttpMethod.Get, "/admin/keys");
        list.GetProperty("data").EnumerateArray().Should().Contain(k => k.GetProperty("id").GetString() == id);
        (await _host.Services.GetRequiredService<KeyRegistry>().FindAsync(secret, default))!.IsRevoked.Should().BeTrue();
        var (again, _, _) = await SendAsync(HttpMethod.Delete, $"/admin/keys/{id}");
        again.Should().Be(HttpStatusCode.OK, "revoking twice changes nothing");
        var (patchStatus, patchBody, _) = await SendAsync(HttpMethod.Patch, $"/admin/keys/{id}", """{"name":"back"}""");
        ShouldBeError(patchStatus, patchBody, HttpStatusCode.Conflict, "key_read_only");
        var (rotateStatus, rotateBody, _) = await SendAsync(HttpMethod.Post, $"/admin/keys/{id}/rotate");
        ShouldBeError(rotateStatus, rotateBody, HttpStatusCode.Conflict, "key_read_only");
    }

    [Fact]
    public async Task RotateGivesANewSecretAndTheOldStopsAtOnce()
    {
        var created = await CreateAsync("""{"name":"rotating","requests_per_minute":5}""");
        var id = created.GetProperty("id").GetString();
        var old = created.GetProperty("key").GetString()!;

        var (status, rotated, _) = await SendAsync(HttpMethod.Post, $"/admin/keys/{id}/rotate");

        status.Should().Be(HttpStatusCode.OK);
        var secret = rotated.GetProperty("key").GetString()!;
        secret.Should().NotBe(old).And.StartWith("lgw-");
        rotated.GetProperty("id").GetString().Should().Be(id);
        rotated.GetProperty("prefix").GetString().Should().Be(secret[..8]);
        rotated.GetProperty("requests_per_minute").GetInt32().Should().Be(5);
        var registry = _host.Services.GetRequiredService<KeyRegistry>();
        (await registry.FindAsync(old, default)).Should().BeNull();
        (await registry.FindAsync(secret, default))!.Id.Should().Be(id);
    }

    [Theory]
    [InlineData("PATCH", "/admin/keys/ci", """{"name":"x"}""")]
    [InlineData("DELETE", "/admin/keys/ci", null)]
    [InlineData("POST", "/admin/keys/ci/rotate", null)]
    public async Task ConfiguredKeyCannotBeChanged(string method, string path, string? body)
    {
        var (status, error, _) = await SendAsync(new HttpMethod(method), path, body);

        ShouldBeError(status, error, HttpStatusCode.Conflict, "key_read_only");
        error.GetProperty("error").GetProperty("message").GetString().Should().Contain("configuration");
        (await _host.Services.GetRequiredService<KeyRegistry>().FindAsync(ConfiguredKey, default))!.IsRevoked.Should().BeFalse();
    }

    [Theory]
    [InlineData("/admin/keys/key_0000000000000000", HttpStatusCode.NotFound, "key_not_found")]
    [InlineData("/admin/keys/ci", HttpStatusCode.Conflict, "key_read_only")]
    public async Task PatchOfAnUnknownOrReadOnlyKey_IsThatErrorEvenWithAnInvalidBody(string path, HttpStatusCode expected, string code)
    {
        var (status, error, _) = await SendAsync(HttpMethod.Patch, path, """{"no_such_field":1}""");

        ShouldBeError(status, error, expected, code, "id");
    }

    [Theory]
    [InlineData("GET", "/admin/keys/key_0000000000000000")]
    [InlineData("PATCH", "/admin/keys/key_0000000000000000")]
    [InlineData("DELETE", "/admin/keys/key_0000000000000000")]
    [InlineData("POST", "/admin/keys/key_0000000000000000/rotate")]
    [InlineData("GET", "/admin/keys/key_0000000000000000/usage")]
    public async Task UnknownKeyIs404(string method, string path)
    {
        var (status, error, _) = await SendAsync(new HttpMethod(method), path, method == "PATCH" ? "{}" : null);

        ShouldBeError(status, error, HttpStatusCode.NotFound, "key_not_found", "id");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-key")]
    [InlineData("Bearer " + ConfiguredKey)]
    [InlineData("Basic " + AdminKey)]
    [InlineData(AdminKey)]
    public async Task MissingOrWrongAdminKeyIs401(string? authorization)
    {
        using var client = _host.CreateClient();
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        foreach (var (method, path) in new[] { ("GET", "/admin/keys"), ("POST", "/admin/keys"), ("GET", "/admin/usage"), ("GET", "/admin/nothing") })
        {
            var (status, error, _) = await SendAsync(new HttpMethod(method), path, client: client);

            ShouldBeError(status, error, HttpStatusCode.Unauthorized, "invalid_api_key");
        }

        var (_, list, _) = await SendAsync(HttpMethod.Get, "/admin/keys");
        list.GetProperty("data").EnumerateArray().Should().OnlyContain(k => k.GetProperty("source").GetString() == "config", "nothing was created");
    }

    [Fact]
    public async Task WithoutAnAdminKeyTheAdminApiDoesNotExist()
    {
        using var host = new GatewayHost(openAIBaseUrl: null);
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        foreach (var (method, path) in new[] { ("GET", "/admin/keys"), ("POST", "/admin/keys"), ("GET", "/admin/usage") })
        {
            var (status, error, _) = await SendAsync(new HttpMethod(method), path, client: client);

            ShouldBeError(status, error, HttpStatusCode.NotFound, "unknown_url");
        }
    }

    [Fact]
    public async Task AdminKeyHashOpensTheAdminApi()
    {
        using var host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?> { ["LlmGateway:Auth:AdminKeyHash"] = KeyHashing.Hash(AdminKey).ToUpperInvariant() });
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        var (status, _, _) = await SendAsync(HttpMethod.Get, "/admin/keys", client: client);

        status.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("not json", "invalid_json", null)]
    [InlineData("{\"name\":", "invalid_json", null)]
    [InlineData("[1]", "invalid_request", null)]
    [InlineData("""{"nmae":"x"}""", "unknown_parameter", "nmae")]
    [InlineData("""{"name":5}""", "invalid_type", "name")]
    [InlineData("""{"name":""}""", "invalid_value", "name")]
    [InlineData("""{"allowed_models":"gpt-4o"}""", "invalid_type", "allowed_models")]
    [InlineData("""{"allowed_models":[1]}""", "invalid_type", "allowed_models")]
    [InlineData("""{"requests_per_minute":"60"}""", "invalid_type", "requests_per_minute")]
    [InlineData("""{"requests_per_minute":0}""", "invalid_value", "requests_per_minute")]
    [InlineData("""{"tokens_per_minute":-5}""", "invalid_value", "tokens_per_minute")]
    [InlineData("""{"tokens_per_minute":1.5}""", "invalid_value", "tokens_per_minute")]
    [InlineData("""{"tokens_per_minute":99999999999}""", "invalid_value", "tokens_per_minute")]
    [InlineData("""{"model_limits":[]}""", "invalid_type", "model_limits")]
    [InlineData("""{"model_limits":{"gpt-4o":5}}""", "invalid_type", "model_limits.gpt-4o")]
    [InlineData("""{"model_limits":{"gpt-4o":{"rpm":5}}}""", "unknown_parameter", "model_limits.gpt-4o.rpm")]
    [InlineData("""{"model_limits":{"gpt-4o":{"requests_per_minute":-1}}}""", "invalid_value", "model_limits.gpt-4o.requests_per_minute")]
    [InlineData("""{"strategy":"Fastest"}""", "invalid_value", "strategy")]
    [InlineData("""{"strategy":1}""", "invalid_type", "strategy")]
    [InlineData("""{"strategy":"1"}""", "invalid_value", "strategy")]
    [InlineData("""{"budget":5}""", "invalid_type", "budget")]
    [InlineData("""{"budget":{"daily_cost":"x"}}""", "invalid_type", "budget.daily_cost")]
    [InlineData("""{"budget":{"monthly_cost":0}}""", "invalid_value", "budget.monthly_cost")]
    [InlineData("""{"budget":{"weekly_tokens":5}}""", "unknown_parameter", "budget.weekly_tokens")]
    [InlineData("""{"expires_at":"tomorrow"}""", "invalid_value", "expires_at")]
    [InlineData("""{"expires_at":1767225600}""", "invalid_type", "expires_at")]
    [InlineData("""{"provider_keys":{"nowhere":"sk-x"}}""", "invalid_value", "provider_keys.nowhere")]
    [InlineData("""{"provider_keys":{"openai":""}}""", "invalid_type", "provider_keys.openai")]
    [InlineData("""{"provider_keys":["sk-x"]}""", "invalid_type", "provider_keys")]
    [InlineData("""{"name":"a","name":"b"}""", "invalid_json", null)]
    [InlineData("""{"allowed_models":["gpt-4o-mini"],"allowed_models":["*"]}""", "invalid_json", null)]
    [InlineData("""{"name":"\ud800"}""", "invalid_json", null)]
    public async Task BadBodyIs400NamingTheField(string body, string code, string? param)
    {
        var (createStatus, createError, createRaw) = await SendAsync(HttpMethod.Post, "/admin/keys", body);

        ShouldBeError(createStatus, createError, HttpStatusCode.BadRequest, code, param);
        createRaw.Should().NotContain("   at ", "no stack trace ever leaves the gateway");
        var (_, list, _) = await SendAsync(HttpMethod.Get, "/admin/keys");
        list.GetProperty("data").GetArrayLength().Should().Be(1, "only the configured key exists");

        var id = (await CreateAsync("{}")).GetProperty("id").GetString();
        var (patchStatus, patchError, _) = await SendAsync(HttpMethod.Patch, $"/admin/keys/{id}", body);
        ShouldBeError(patchStatus, patchError, HttpStatusCode.BadRequest, code, param);
    }

    [Fact]
    public async Task ExpiryWithoutAnOffsetIsUtc()
    {
        var created = await CreateAsync("""{"expires_at":"2027-06-01T12:00:00"}""");

        created.GetProperty("expires_at").GetDateTimeOffset().Should().Be(new DateTimeOffset(2027, 6, 1, 12, 0, 0, TimeSpan.Zero));
        created.GetProperty("expires_at").GetString().Should().EndWith("+00:00");
    }

    [Fact]
    public async Task OtherMethodOnAnAdminPathIs405AndUnknownPathIs404()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/admin/keys");
        using var response = await _client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        response.Content.Headers.Allow.Should().BeEquivalentTo("GET", "POST");
        (await ChatCompletionsTests.ReadErrorAsync(response)).GetProperty("code").GetString().Should().Be("method_not_allowed");

        var (status, error, _) = await SendAsync(HttpMethod.Get, "/admin/nothing");
        ShouldBeError(status, error, HttpStatusCode.NotFound, "unknown_url");
    }

    [Fact]
    public async Task UsageReportsTotalsAndEntries()
    {
        _usage.Entries.Add(new UsageEntry("ci", "gpt-4o", "openai") { Requests = 2, PromptTokens = 100, CompletionTokens = 50, CachedTokens = 20, ReasoningTokens = 5, Cost = 0.0125m, EstimatedRequests = 1 });
        _usage.Entries.Add(new UsageEntry("key_x", "gemini-2.5-flash", "gemini") { Requests = 1, PromptTokens = 10, CompletionTokens = 5, Cost = 0.5m });

        var (status, report, raw) = await SendAsync(HttpMethod.Get, "/admin/usage?period=month");

        status.Should().Be(HttpStatusCode.OK);
        _usage.Calls.Should().Equal((null, UsagePeriod.Month, s_now));
        report.GetProperty("object").GetString().Should().Be("usage");
        report.GetProperty("period").GetString().Should().Be("month");
        report.GetProperty("start").GetDateTimeOffset().Should().Be(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var totals = report.GetProperty("totals");
        totals.GetProperty("requests").GetInt64().Should().Be(3);
        totals.GetProperty("prompt_tokens").GetInt64().Should().Be(110);
        totals.GetProperty("completion_tokens").GetInt64().Should().Be(55);
        totals.GetProperty("cached_tokens").GetInt64().Should().Be(20);
        totals.GetProperty("reasoning_tokens").GetInt64().Should().Be(5);
        totals.GetProperty("total_tokens").GetInt64().Should().Be(165);
        totals.GetProperty("cost").ValueKind.Should().Be(JsonValueKind.Number);
        totals.GetProperty("cost").GetDecimal().Should().Be(0.5125m);
        var first = report.GetProperty("data")[0];
        first.GetProperty("key_id").GetString().Should().Be("ci");
        first.GetProperty("model").GetString().Should().Be("gpt-4o");
        first.GetProperty("provider").GetString().Should().Be("openai");
        first.GetProperty("requests").GetInt64().Should().Be(2);
        first.GetProperty("total_tokens").GetInt64().Should().Be(150);
        first.GetProperty("cost").GetDecimal().Should().Be(0.0125m);
        first.GetProperty("estimated_requests").GetInt64().Should().Be(1);
        raw.Should().Contain("\"cost\":0.0125");
    }

    [Fact]
    public async Task KeyUsageAsksForThatKeyAndDefaultsToTheDay()
    {
        var (status, report, _) = await SendAsync(HttpMethod.Get, "/admin/keys/ci/usage");

        status.Should().Be(HttpStatusCode.OK);
        _usage.Calls.Should().Equal(("ci", UsagePeriod.Day, s_now));
        report.GetProperty("period").GetString().Should().Be("day");
        report.GetProperty("start").GetDateTimeOffset().Should().Be(new DateTimeOffset(2026, 3, 15, 0, 0, 0, TimeSpan.Zero));
        report.GetProperty("data").GetArrayLength().Should().Be(0);
        report.GetProperty("totals").GetProperty("requests").GetInt64().Should().Be(0);
    }

    [Theory]
    [InlineData("/admin/usage?period=week")]
    [InlineData("/admin/keys/ci/usage?period=")]
    [InlineData("/admin/usage?period=day&period=month")]
    public async Task UnknownUsagePeriodIs400(string path)
    {
        var (status, error, _) = await SendAsync(HttpMethod.Get, path);

        ShouldBeError(status, error, HttpStatusCode.BadRequest, "invalid_value", "period");
        _usage.Calls.Should().BeEmpty();
    }

    [Fact]
    public async Task KeyStoreDownIs503()
    {
        using var host = new GatewayHost(openAIBaseUrl: null, Settings(), services => services.AddSingleton<IKeyStore>(new UnavailableKeyStore()));
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        foreach (var (method, path) in new[] { ("GET", "/admin/keys"), ("POST", "/admin/keys"), ("GET", "/admin/keys/key_1"), ("DELETE", "/admin/keys/key_1") })
        {
            var (status, error, _) = await SendAsync(new HttpMethod(method), path, client: client);

            ShouldBeError(status, error, HttpStatusCode.ServiceUnavailable, "service_unavailable");
        }
    }

    private sealed class FakeUsageStore : IUsageStore
    {
        public List<UsageEntry> Entries { get; } = [];

        public List<(string? KeyId, UsagePeriod Period, DateTimeOffset At)> Calls { get; } = [];

        public ValueTask AddAsync(UsageEntry usage, DateTimeOffset at, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<UsageTotals> GetTotalsAsync(string keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken) =>
            ValueTask.FromResult(default(UsageTotals));

        public ValueTask<IReadOnlyList<UsageEntry>> ListAsync(string? keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken)
        {
            Calls.Add((keyId, period, at));
            return ValueTask.FromResult<IReadOnlyList<UsageEntry>>([.. Entries.Where(e => keyId is null || e.KeyId == keyId)]);
        }
    }

    private sealed class UnavailableKeyStore : IKeyStore
    {
        private static KeyStoreUnavailableException Down() => new("The key store (Redis) is unavailable.");

        public ValueTask<StoredKey?> FindByHashAsync(string hash, CancellationToken cancellationToken) => ValueTask.FromResult<StoredKey?>(null);

        public ValueTask<StoredKey?> GetAsync(string id, CancellationToken cancellationToken) => throw Down();

        public ValueTask<IReadOnlyList<StoredKey>> ListAsync(CancellationToken cancellationToken) => throw Down();

        public ValueTask SaveAsync(StoredKey key, string? previousHash, CancellationToken cancellationToken) => throw Down();
    }
}
