using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>The stores are public abstractions: an app's own <see cref="IKeyStore"/> and <see cref="IUsageStore"/>,
/// registered after the gateway's, authenticate requests and record their usage.</summary>
public sealed class PublicStoresTests : IDisposable
{
    private const string Key = "lgw-custom-store-key";
    private readonly WireMockServer _upstream = WireMockServer.Start();

    public PublicStoresTests()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
    }

    public void Dispose()
    {
        _upstream.Stop();
        _upstream.Dispose();
    }

    [Fact]
    public async Task ChatCompletion_KeyKnownOnlyToTheAppsKeyStore_IsAuthenticatedAndItsUsageGoesToTheAppsUsageStore()
    {
        var keys = new DictionaryKeyStore();
        keys.Add(new StoredKey { Id = "custom-1", Hash = Sha256(Key), CreatedAt = DateTimeOffset.UtcNow });
        var usage = new RecordingUsageStore();
        using var host = new GatewayHost(_upstream.Urls[0] + "/v1", new Dictionary<string, string?> { ["LlmGateway:Auth:Mode"] = "Gateway" }, services =>
        {
            services.AddSingleton<IKeyStore>(keys);
            services.AddSingleton<IUsageStore>(usage);
        });
        using var client = host.CreateClient();

        using var known = await PostAsync(client, Key);
        using var unknown = await PostAsync(client, Key + "-other");

        known.StatusCode.Should().Be(HttpStatusCode.OK, await known.Content.ReadAsStringAsync());
        unknown.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        keys.Lookups.Should().Contain(Sha256(Key));
        usage.Added.Should().ContainSingle().Which.KeyId.Should().Be("custom-1");
    }

    private static string Sha256(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client.SendAsync(request);
    }

    private sealed class DictionaryKeyStore : IKeyStore
    {
        private readonly ConcurrentDictionary<string, StoredKey> _byId = new();

        public ConcurrentBag<string> Lookups { get; } = [];

        public void Add(StoredKey key) => _byId[key.Id] = key;

        public ValueTask<StoredKey?> FindByHashAsync(string hash, CancellationToken cancellationToken)
        {
            Lookups.Add(hash);
            return ValueTask.FromResult(_byId.Values.FirstOrDefault(k => k.Hash == hash));
        }

        public ValueTask<StoredKey?> GetAsync(string id, CancellationToken cancellationToken) => ValueTask.FromResult(_byId.GetValueOrDefault(id));

        public ValueTask<IReadOnlyList<StoredKey>> ListAsync(CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<StoredKey>>([.. _byId.Values.OrderBy(k => k.CreatedAt)]);

        public ValueTask SaveAsync(StoredKey key, string? previousHash, CancellationToken cancellationToken)
        {
            _byId[key.Id] = key;
            return ValueTask.CompletedTask;
        }
    }

    private sealed class RecordingUsageStore : IUsageStore
    {
        public ConcurrentQueue<UsageEntry> Added { get; } = new();

        public ValueTask AddAsync(UsageEntry usage, DateTimeOffset at, CancellationToken cancellationToken)
        {
            Added.Enqueue(usage);
            return ValueTask.CompletedTask;
        }

        public ValueTask<UsageTotals> GetTotalsAsync(string keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new UsageTotals(Added.Where(u => u.KeyId == keyId).Sum(u => u.PromptTokens + u.CompletionTokens), 0m));

        public ValueTask<IReadOnlyList<UsageEntry>> ListAsync(string? keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<UsageEntry>>([.. Added.Where(u => keyId is null || u.KeyId == keyId)]);
    }
}
