using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using OpenAI;
using OpenAI.Responses;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>The Responses API passed through to an OpenAI-type instance, and its stored responses found by id.</summary>
public sealed class ResponsesTests : IDisposable
{
    private const string Created = """
        {"id":"resp_abc123","object":"response","created_at":1741476542,"status":"completed","model":"gpt-4.1-2025-04-14","output":[{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello from Responses","annotations":[]}]}],"usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":0},"output_tokens":4,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":14}}
        """;

    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly GatewayHost _host;
    private readonly Uri _address;

    public ResponsesTests()
    {
        _host = new GatewayHost(_upstream.Urls[0] + "/v1", new Dictionary<string, string?>
        {
            // The stand-in upstreams have the Responses API, as OpenAI itself does.
            ["LlmGateway:Providers:openai:UseResponsesApi"] = "true",
            ["LlmGateway:Providers:second:UseResponsesApi"] = "true",
            // A second OpenAI-type instance: stored responses must still reach the one that made them.
            ["LlmGateway:Providers:second:Type"] = "OpenAI",
            ["LlmGateway:Providers:second:BaseUrl"] = _upstream.Urls[0] + "/second/v1",
            ["LlmGateway:Providers:second:Models:0"] = "gpt-4.1-second",
        });
        _address = _host.StartKestrel();
    }

    public void Dispose()
    {
        _host.Dispose();
        _upstream.Dispose();
    }

    [Fact]
    public async Task SdkCreatesAndRetrievesAResponse()
    {
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost()).RespondWith(Json(Created));
        _upstream.Given(Request.Create().WithPath("/v1/responses/resp_abc123").UsingGet()).RespondWith(Json(Created));
        _upstream.Given(Request.Create().WithPath("/v1/responses/resp_abc123").UsingDelete()).RespondWith(Json("""{"id":"resp_abc123","object":"response.deleted","deleted":true}"""));
        var client = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(_address, "/v1") });
#pragma warning disable OPENAI001 // the Responses client is marked experimental in the SDK
        var responses = client.GetResponsesClient();

        ResponseResult created = await responses.CreateResponseAsync("gpt-4.1", "Say hello", previousResponseId: null);
        ResponseResult fetched = await responses.GetResponseAsync(created.Id);
        var deleted = await responses.DeleteResponseAsync(created.Id);
#pragma warning restore OPENAI001

        created.Id.Should().Be("resp_abc123");
        created.GetOutputText().Should().Be("Hello from Responses");
        fetched.Id.Should().Be("resp_abc123");
        deleted.Value.Deleted.Should().BeTrue();
        using var sent = JsonDocument.Parse(_upstream.LogEntries[0].RequestMessage.Body!);
        sent.RootElement.GetProperty("model").GetString().Should().Be("gpt-4.1");
    }

    [Fact]
    public async Task StoredResponseIsAskedOfTheInstanceThatCreatedIt()
    {
        _upstream.Given(Request.Create().WithPath("/second/v1/responses").UsingPost()).RespondWith(Json(Created.Replace("resp_abc123", "resp_second", StringComparison.Ordinal)));
        _upstream.Given(Request.Create().WithPath("/second/v1/responses/resp_second/cancel").UsingPost()).RespondWith(Json("""{"id":"resp_second","object":"response","status":"cancelled"}"""));
        _upstream.Given(Request.Create().WithPath("/second/v1/responses/resp_second").UsingDelete()).RespondWith(Json("""{"id":"resp_second","object":"response.deleted","deleted":true}"""));
        _upstream.Given(Request.Create().WithPath("/second/v1/responses/resp_second/input_items").UsingGet()).RespondWith(Json("""{"object":"list","data":[],"has_more":false}"""));
        using var client = new HttpClient { BaseAddress = _address };

        using var create = await client.PostAsync("/v1/responses", new StringContent("""{"model":"gpt-4.1-second","input":"hi","background":true}""", Encoding.UTF8, "application/json"));
        using var cancel = await client.PostAsync("/v1/responses/resp_second/cancel", null);
        using var items = await client.GetAsync("/v1/responses/resp_second/input_items?limit=5");
        using var delete = await client.DeleteAsync("/v1/responses/resp_second");

        create.StatusCode.Should().Be(HttpStatusCode.OK);
        cancel.StatusCode.Should().Be(HttpStatusCode.OK);
        items.StatusCode.Should().Be(HttpStatusCode.OK);
        delete.StatusCode.Should().Be(HttpStatusCode.OK);
        cancel.Headers.GetValues("x-llmgateway-provider").Should().Equal("second");
        _upstream.LogEntries.Select(e => (e.RequestMessage.Method, e.RequestMessage.Path)).Should().Equal(
            ("POST", "/second/v1/responses"),
            ("POST", "/second/v1/responses/resp_second/cancel"),
            ("GET", "/second/v1/responses/resp_second/input_items"),
            ("DELETE", "/second/v1/responses/resp_second"));
        _upstream.LogEntries[2].RequestMessage.RawQuery.Should().Contain("limit=5");
    }

    [Fact]
    public async Task UnknownStoredResponseIsNotFoundWithoutAskingAnyInstance()
    {
        _upstream.Given(Request.Create().WithPath("/v1/responses/resp_elsewhere").UsingGet()).RespondWith(Json(Created));
        _upstream.Given(Request.Create().WithPath("/second/v1/responses/resp_pinned").UsingGet()).RespondWith(Json(Created));
        using var client = new HttpClient { BaseAddress = _address };
        using var pinned = new HttpRequestMessage(HttpMethod.Get, "/v1/responses/resp_pinned");
        pinned.Headers.Add("x-llmgateway-provider", "second");

        using var unknown = await client.GetAsync("/v1/responses/resp_elsewhere");
        using var pinnedResponse = await client.SendAsync(pinned);

        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound, "the gateway's own key must not read what it did not create");
        pinnedResponse.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await ChatCompletionsTests.ReadErrorAsync(unknown)).GetProperty("message").GetString().Should().Be("Response with id 'resp_elsewhere' not found.");
        _upstream.LogEntries.Should().BeEmpty();
    }

    [Fact]
    public async Task StreamKeepsEventNamesAndEndsWithoutDone()
    {
        var sse = new StringBuilder()
            .Append("event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_s1\",\"object\":\"response\",\"status\":\"in_progress\",\"model\":\"gpt-4.1\",\"output\":[]}}\n\n")
            .Append("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hi\"}\n\n")
            .Append("event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_s1\",\"object\":\"response\",\"status\":\"completed\",\"model\":\"gpt-4.1\",\"output\":[]}}\n\n")
            .ToString();
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));
        _upstream.Given(Request.Create().WithPath("/v1/responses/resp_s1").UsingGet()).RespondWith(Json(Created));
        using var client = new HttpClient { BaseAddress = _address };

        using var response = await client.PostAsync("/v1/responses", new StringContent("""{"model":"gpt-4.1","input":"hi","stream":true}""", Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();

        text.Should().Be(sse, "every event passes with its name, and a Responses stream has no [DONE]");
        using var fetched = await client.GetAsync("/v1/responses/resp_s1");
        fetched.StatusCode.Should().Be(HttpStatusCode.OK, "the id was learnt from the stream's first event");
    }

    [Fact]
    public async Task StreamCutBeforeItsFinalEventEndsWithAnErrorEvent()
    {
        const string sse = "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_cut\",\"status\":\"in_progress\"}}\n\n"
            + "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"delta\":\"Hi\"}\n\n";
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));
        using var client = new HttpClient { BaseAddress = _address };

        using var response = await client.PostAsync("/v1/responses", new StringContent("""{"model":"gpt-4.1","input":"hi","stream":true}""", Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();

        text.Should().StartWith(sse);
        var last = text[sse.Length..];
        last.Should().StartWith("event: error\ndata: ");
        using var error = JsonDocument.Parse(last["event: error\ndata: ".Length..].Trim());
        error.RootElement.GetProperty("type").GetString().Should().Be("error");
        error.RootElement.GetProperty("code").GetString().Should().Be("stream_interrupted");
    }

    [Fact]
    public async Task InstanceWithoutTheResponsesApiIsServedThroughItsChatCompletions()
    {
        using var host = new GatewayHost(_upstream.Urls[0] + "/v1", new Dictionary<string, string?> { ["LlmGateway:Providers:openai:UseResponsesApi"] = "false" });
        using var client = host.CreateClient();
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost()).RespondWith(Json(Bodies.ChatCompletion));

        using var response = await client.PostAsync("/v1/responses", new StringContent("""{"model":"gpt-4o-mini","input":"hi","instructions":"Be brief."}""", Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        body.RootElement.GetProperty("object").GetString().Should().Be("response");
        body.RootElement.GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString().Should().Be("Hello there!");
        var sent = _upstream.LogEntries.Should().ContainSingle(e => e.RequestMessage.Path == "/v1/chat/completions").Subject.RequestMessage;
        using var chat = JsonDocument.Parse(sent.Body!);
        chat.RootElement.GetProperty("messages")[0].GetProperty("role").GetString().Should().Be("system");
        chat.RootElement.GetProperty("messages")[1].GetProperty("content").GetString().Should().Be("hi");
    }

    [Theory]
    [InlineData("/v1/responses/resp_1/../../organization/admin_api_keys")]
    [InlineData("/v1/responses/%2E%2E/%2E%2E/organization/admin_api_keys")]
    [InlineData("/v1/responses/resp_1%2F..%2F..%2Fusage")]
    [InlineData("/v1/responses/resp_1/anything")]
    [InlineData("/v1/responses/resp_1/input_items/extra")]
    public async Task OnlyResponsePathsReachTheUpstream(string path)
    {
        using var client = new HttpClient { BaseAddress = _address };

        using var response = await client.GetAsync(path);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        _upstream.LogEntries.Should().BeEmpty("the gateway's provider key must never go to a path the client picked");
    }

    private static IResponseBuilder Json(string body) => Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(body);
}
