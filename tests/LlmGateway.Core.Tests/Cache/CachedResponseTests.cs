using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Cache;

public sealed class CachedResponseTests
{
    private static readonly DateTimeOffset s_created = new(2026, 3, 14, 15, 9, 26, 535, TimeSpan.Zero);

    private const string Usage = """{"prompt_tokens":82,"completion_tokens":51,"total_tokens":133,"prompt_tokens_details":{"cached_tokens":64,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}""";

    // A gpt-4o stream with include_usage: the role chunk, content deltas, two parallel tool calls whose arguments are
    // split across chunks (the second call starts before the first one's arguments are complete), the finish chunk and
    // the usage chunk.
    private static readonly string[] s_stream =
    [
        """{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}""",
        """{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"content":"Checking "},"logprobs":null,"finish_reason":null}],"usage":null}""",
        """{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"content":"Zürich and Paris "},"logprobs":null,"finish_reason":null}],"usage":null}""",
        """{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"content":"— one moment 🌦"},"logprobs":null,"finish_reason":null}],"usage":null}""",
        """{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_zrh","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}],"usage":null}""",
        """{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\""}}]},"logprobs":null,"finish_reason":null}],"usage":null}""",
        """{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_par","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}],"usage":null}""",
        """{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":": \"Zürich\"}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}""",
        """{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"city\":"}}]},"logprobs":null,"finish_reason":null}],"usage":null}""",
        """{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":" \"Paris\"}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}""",
        """{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}""",
        """{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[],"usage":""" + Usage + "}",
    ];

    // What OpenAI answers the same request without streaming.
    private const string StreamAssembled = """
        {
          "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
          "object": "chat.completion",
          "created": 1741569952,
          "model": "gpt-4o-2024-08-06",
          "choices": [
            {
              "index": 0,
              "message": {
                "role": "assistant",
                "content": "Checking Zürich and Paris — one moment 🌦",
                "refusal": null,
                "tool_calls": [
                  { "id": "call_zrh", "type": "function", "function": { "name": "get_weather", "arguments": "{\"city\": \"Zürich\"}" } },
                  { "id": "call_par", "type": "function", "function": { "name": "get_weather", "arguments": "{\"city\": \"Paris\"}" } }
                ]
              },
              "logprobs": null,
              "finish_reason": "tool_calls"
            }
          ],
          "usage": {
            "prompt_tokens": 82, "completion_tokens": 51, "total_tokens": 133,
            "prompt_tokens_details": { "cached_tokens": 64, "audio_tokens": 0 },
            "completion_tokens_details": { "reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0 }
          },
          "service_tier": "default",
          "system_fingerprint": "fp_f9f4fb6dbf"
        }
        """;

    // A non-streamed answer with two choices: content and two tool calls, then content with logprobs cut by length.
    private const string Completion = """
        {
          "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
          "object": "chat.completion",
          "created": 1741570283,
          "model": "gpt-4o-2024-08-06",
          "choices": [
            {
              "index": 0,
              "message": {
                "role": "assistant",
                "content": "Je regarde la météo à Zürich et l'heure à Paris.",
                "refusal": null,
                "tool_calls": [
                  { "id": "call_1", "type": "function", "function": { "name": "get_weather", "arguments": "{\"city\":\"Zürich\",\"unit\":\"c\"}" } },
                  { "id": "call_2", "type": "function", "function": { "name": "get_time", "arguments": "{\"tz\":\"Europe/Paris\"}" } }
                ],
                "annotations": []
              },
              "logprobs": null,
              "finish_reason": "tool_calls"
            },
            {
              "index": 1,
              "message": { "role": "assistant", "content": "Bonjour", "refusal": null, "annotations": [] },
              "logprobs": {
                "content": [
                  { "token": "Bon", "logprob": -0.25, "bytes": [66, 111, 110], "top_logprobs": [] },
                  { "token": "jour", "logprob": -0.5, "bytes": [106, 111, 117, 114], "top_logprobs": [] }
                ],
                "refusal": null
              },
              "finish_reason": "length"
            }
          ],
          "usage": {
            "prompt_tokens": 1117, "completion_tokens": 946, "total_tokens": 2063,
            "prompt_tokens_details": { "cached_tokens": 1024, "audio_tokens": 0 },
            "completion_tokens_details": { "reasoning_tokens": 704, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0 }
          },
          "service_tier": "default",
          "system_fingerprint": "fp_fc9f1d7035"
        }
        """;

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static CachedResponse ChunksEntry(params string[] chunks) => new()
    {
        Kind = CachedResponseKind.Chunks,
        Model = "gpt-4o-2024-08-06",
        Provider = "openai",
        CreatedAt = s_created,
        Chunks = chunks.Select(c => (ReadOnlyMemory<byte>)Utf8(c)).ToArray(),
    };

    private static CachedResponse CompletionEntry(string body, UsageCounts? usage = null) => new()
    {
        Kind = CachedResponseKind.Completion,
        Model = "gpt-4o-2024-08-06",
        Provider = "openai",
        CreatedAt = s_created,
        Usage = usage,
        Body = Utf8(body),
    };

    private static void ShouldBeSameJson(ReadOnlyMemory<byte> actual, JsonNode? expected)
    {
        var parsed = JsonNode.Parse(actual.Span);
        JsonNode.DeepEquals(parsed, expected).Should().BeTrue(
            $"expected {expected?.ToJsonString()}{Environment.NewLine}but got  {Encoding.UTF8.GetString(actual.Span)}");
    }

    private static byte[] SampleBlob() => new CachedResponse
    {
        Kind = CachedResponseKind.Chunks,
        Model = "m",
        Provider = "p",
        CreatedAt = s_created,
        UpstreamLatency = TimeSpan.FromMilliseconds(1234),
        Usage = new UsageCounts(1, 2, 3, 4),
        Chunks = [Utf8("""{"a":1}"""), Utf8("""{"b":2}""")],
    }.Serialize();

    [Fact]
    public void Serialize_CompletionWithUsage_RoundTripsEveryField()
    {
        var entry = new CachedResponse
        {
            Kind = CachedResponseKind.Completion,
            Model = "gpt-4o-2024-08-06 · ünïcödé 模型",
            Provider = "azure-östlich",
            CreatedAt = s_created,
            UpstreamLatency = TimeSpan.FromTicks(12_345_678_901),
            Usage = new UsageCounts(1117, 946, 1024, 704),
            Body = Utf8(Completion),
        };

        var read = CachedResponse.Deserialize(entry.Serialize());

        read.Should().NotBeNull();
        read!.Kind.Should().Be(CachedResponseKind.Completion);
        read.Model.Should().Be(entry.Model);
        read.Provider.Should().Be(entry.Provider);
        read.CreatedAt.Should().Be(s_created);
        read.UpstreamLatency.Should().Be(entry.UpstreamLatency);
        read.Usage.Should().Be(new UsageCounts(1117, 946, 1024, 704));
        read.Body.ToArray().Should().Equal(entry.Body.ToArray());
        read.Chunks.Should().BeEmpty();
    }

    [Fact]
    public void Serialize_ChunksWithoutUsage_RoundTripsEveryChunk()
    {
        var entry = ChunksEntry(s_stream);

        var read = CachedResponse.Deserialize(entry.Serialize());

        read.Should().NotBeNull();
        read!.Kind.Should().Be(CachedResponseKind.Chunks);
        read.Usage.Should().BeNull();
        read.UpstreamLatency.Should().Be(TimeSpan.Zero);
        read.CreatedAt.Should().Be(s_created);
        read.Chunks.Select(c => Encoding.UTF8.GetString(c.Span)).Should().Equal(s_stream);
    }

    [Fact]
    public void Serialize_EmptyChunkList_RoundTripsEmpty()
    {
        var read = CachedResponse.Deserialize(ChunksEntry().Serialize());

        read.Should().NotBeNull();
        read!.Kind.Should().Be(CachedResponseKind.Chunks);
        read.Chunks.Should().BeEmpty();
    }

    [Fact]
    public void Serialize_EmptyAndZeroLengthChunks_RoundTripsThem()
    {
        var read = CachedResponse.Deserialize(ChunksEntry("", "{}", "").Serialize());

        read!.Chunks.Select(c => c.Length).Should().Equal(0, 2, 0);
    }

    [Fact]
    public void Serialize_LargeEmbeddingsBody_RoundTripsByteForByte()
    {
        var body = new byte[8 * 1024 * 1024 + 17];
        new Random(42).NextBytes(body);
        var entry = new CachedResponse
        {
            Kind = CachedResponseKind.Embeddings,
            Model = "text-embedding-3-small",
            Provider = "openai",
            CreatedAt = s_created,
            Usage = new UsageCounts(8, 0, 0, 0),
            Body = body,
        };

        var read = CachedResponse.Deserialize(entry.Serialize());

        read!.Kind.Should().Be(CachedResponseKind.Embeddings);
        read.Body.Span.SequenceEqual(body).Should().BeTrue();
        read.Usage.Should().Be(new UsageCounts(8, 0, 0, 0));
    }

    [Fact]
    public void Serialize_LargeChunks_RoundTripsByteForByte()
    {
        var random = new Random(7);
        var chunks = Enumerable.Range(0, 2000).Select(i =>
        {
            var chunk = new byte[random.Next(0, 4000)];
            random.NextBytes(chunk);
            return (ReadOnlyMemory<byte>)chunk;
        }).ToArray();
        var entry = new CachedResponse { Kind = CachedResponseKind.Chunks, Model = "m", Provider = "p", CreatedAt = s_created, Chunks = chunks };

        var read = CachedResponse.Deserialize(entry.Serialize());

        read!.Chunks.Should().HaveCount(chunks.Length);
        for (var i = 0; i < chunks.Length; i++)
        {
            read.Chunks[i].Span.SequenceEqual(chunks[i].Span).Should().BeTrue($"chunk {i} must round-trip");
        }
    }

    [Fact]
    public void Serialize_OffsetCreatedAt_ReadsBackAsTheSameInstant()
    {
        var created = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(5.5));
        var entry = new CachedResponse { Kind = CachedResponseKind.Completion, Model = "", Provider = "", CreatedAt = created, Body = Utf8("{}") };

        var read = CachedResponse.Deserialize(entry.Serialize());

        read!.CreatedAt.Should().Be(created);
        read.Model.Should().BeEmpty();
        read.Provider.Should().BeEmpty();
    }

    [Fact]
    public void Serialize_Blob_StartsWithMagicAndVersion()
    {
        SampleBlob().AsSpan(0, 5).ToArray().Should().Equal((byte)'L', (byte)'G', (byte)'C', (byte)'R', (byte)1);
    }

    [Fact]
    public void Deserialize_OtherVersion_ReturnsNull()
    {
        var blob = SampleBlob();
        blob[4] = 2;

        CachedResponse.Deserialize(blob).Should().BeNull();
    }

    [Fact]
    public void Deserialize_OtherMagic_ReturnsNull()
    {
        var blob = SampleBlob();
        blob[0] = (byte)'X';

        CachedResponse.Deserialize(blob).Should().BeNull();
    }

    [Fact]
    public void Deserialize_EveryTruncation_ReturnsNull()
    {
        var blob = SampleBlob();
        CachedResponse.Deserialize(blob).Should().NotBeNull();

        for (var length = 0; length < blob.Length; length++)
        {
            CachedResponse.Deserialize(blob.AsSpan(0, length)).Should().BeNull($"a blob cut at {length} of {blob.Length} bytes is damaged");
        }
    }

    [Fact]
    public void Deserialize_TrailingBytes_ReturnsNull()
    {
        var blob = SampleBlob();

        CachedResponse.Deserialize([.. blob, 0]).Should().BeNull();
    }

    [Fact]
    public void Deserialize_UnknownKindOrFlags_ReturnsNull()
    {
        var kind = SampleBlob();
        kind[5] = 9;
        var flags = SampleBlob();
        flags[6] = 0x80;

        CachedResponse.Deserialize(kind).Should().BeNull();
        CachedResponse.Deserialize(flags).Should().BeNull();
    }

    [Fact]
    public void Deserialize_LengthsBeyondTheData_ReturnNull()
    {
        // Layout: 23 fixed bytes, model (4 + 1), provider (4 + 1), usage (32), then the chunk count.
        var countAt = 23 + 5 + 5 + 32;
        var count = SampleBlob();
        BinaryPrimitives.WriteInt32LittleEndian(count.AsSpan(countAt), int.MaxValue);
        var negativeCount = SampleBlob();
        BinaryPrimitives.WriteInt32LittleEndian(negativeCount.AsSpan(countAt), -1);
        var chunkLength = SampleBlob();
        BinaryPrimitives.WriteInt32LittleEndian(chunkLength.AsSpan(countAt + 4), 1000);
        var modelLength = SampleBlob();
        BinaryPrimitives.WriteInt32LittleEndian(modelLength.AsSpan(23), 1 << 30);

        CachedResponse.Deserialize(count).Should().BeNull();
        CachedResponse.Deserialize(negativeCount).Should().BeNull();
        CachedResponse.Deserialize(chunkLength).Should().BeNull();
        CachedResponse.Deserialize(modelLength).Should().BeNull();
    }

    [Fact]
    public void Deserialize_InvalidUtf8Model_ReturnsNull()
    {
        var blob = SampleBlob();
        blob[23 + 4] = 0xFF;

        CachedResponse.Deserialize(blob).Should().BeNull();
    }

    [Fact]
    public void Deserialize_Garbage_ReturnsNull()
    {
        var random = new Random(1);
        CachedResponse.Deserialize([]).Should().BeNull();
        CachedResponse.Deserialize(Utf8(Completion)).Should().BeNull();
        for (var i = 0; i < 200; i++)
        {
            var garbage = new byte[random.Next(0, 200)];
            random.NextBytes(garbage);
            CachedResponse.Deserialize(garbage).Should().BeNull();

            // Past the magic and version: random header and lengths.
            if (garbage.Length >= 5)
            {
                "LGCR"u8.CopyTo(garbage);
                garbage[4] = 1;
                var act = () => CachedResponse.Deserialize(garbage);
                act.Should().NotThrow();
            }
        }
    }

    [Fact]
    public void ToCompletion_CompletionEntry_ReturnsTheStoredBody()
    {
        var entry = CompletionEntry(Completion);

        CachedResponseConverter.ToCompletion(entry).Should().Be(entry.Body);
    }

    [Fact]
    public void ToCompletion_RealisticStream_AssemblesTheNonStreamedCompletion()
    {
        var completion = CachedResponseConverter.ToCompletion(ChunksEntry(s_stream));

        ShouldBeSameJson(completion, JsonNode.Parse(StreamAssembled));
    }

    [Fact]
    public void ToCompletion_StreamWithoutUsageChunk_HasNoUsage()
    {
        var completion = CachedResponseConverter.ToCompletion(ChunksEntry(s_stream[..^1]));

        var expected = JsonNode.Parse(StreamAssembled)!.AsObject();
        expected.Remove("usage");
        ShouldBeSameJson(completion, expected);
    }

    [Fact]
    public void ToCompletion_InterleavedChoices_OrdersByIndexAndConcatenatesEach()
    {
        var completion = CachedResponseConverter.ToCompletion(ChunksEntry(
            """{"id":"c","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":1,"delta":{"role":"assistant","content":""},"logprobs":{"content":[{"token":"B","logprob":-1,"bytes":[66],"top_logprobs":[]}],"refusal":null},"finish_reason":null}]}""",
            """{"id":"c","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","refusal":"I can"},"logprobs":null,"finish_reason":null}]}""",
            """{"id":"c","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":1,"delta":{"content":"B"},"logprobs":{"content":[{"token":"b","logprob":-2,"bytes":[98],"top_logprobs":[]}],"refusal":null},"finish_reason":null}]}""",
            """{"id":"c","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":0,"delta":{"refusal":"not help."},"logprobs":null,"finish_reason":null}]}""",
            """{"id":"c","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":1,"delta":{"content":"b"},"logprobs":null,"finish_reason":"length"},{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"""));

        ShouldBeSameJson(completion, JsonNode.Parse("""
            {
              "id": "c", "object": "chat.completion", "created": 5, "model": "m",
              "choices": [
                { "index": 0, "message": { "role": "assistant", "content": null, "refusal": "I cannot help." }, "logprobs": null, "finish_reason": "stop" },
                {
                  "index": 1,
                  "message": { "role": "assistant", "content": "Bb", "refusal": null },
                  "logprobs": {
                    "content": [
                      { "token": "B", "logprob": -1, "bytes": [66], "top_logprobs": [] },
                      { "token": "b", "logprob": -2, "bytes": [98], "top_logprobs": [] }
                    ],
                    "refusal": null
                  },
                  "finish_reason": "length"
                }
              ]
            }
            """));
    }

    [Fact]
    public void ToCompletion_ProviderAdditions_AreKept()
    {
        // Gemini's stream as the gateway translates it: reasoning deltas, a tool call carrying a thought signature,
        // annotations from a search-backed model.
        var completion = CachedResponseConverter.ToCompletion(ChunksEntry(
            """{"id":"g","object":"chat.completion.chunk","created":9,"model":"gemini-2.5-pro","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"Let me "},"logprobs":null,"finish_reason":null}]}""",
            """{"id":"g","object":"chat.completion.chunk","created":9,"model":"gemini-2.5-pro","choices":[{"index":0,"delta":{"reasoning_content":"think.","annotations":[{"type":"url_citation","url_citation":{"url":"https://a"}}]},"logprobs":null,"finish_reason":null}]}""",
            """{"id":"g","object":"chat.completion.chunk","created":9,"model":"gemini-2.5-pro","choices":[{"index":0,"delta":{"annotations":[{"type":"url_citation","url_citation":{"url":"https://b"}}],"tool_calls":[{"index":0,"id":"call_g","type":"function","function":{"name":"lookup","arguments":"{}"},"extra_content":{"google":{"thought_signature":"c2ln"}}}]},"logprobs":null,"finish_reason":"tool_calls"}]}"""));

        ShouldBeSameJson(completion, JsonNode.Parse("""
            {
              "id": "g", "object": "chat.completion", "created": 9, "model": "gemini-2.5-pro",
              "choices": [
                {
                  "index": 0,
                  "message": {
                    "role": "assistant", "content": null, "refusal": null, "reasoning_content": "Let me think.",
                    "tool_calls": [ { "id": "call_g", "type": "function", "function": { "name": "lookup", "arguments": "{}" }, "extra_content": { "google": { "thought_signature": "c2ln" } } } ],
                    "annotations": [ { "type": "url_citation", "url_citation": { "url": "https://a" } }, { "type": "url_citation", "url_citation": { "url": "https://b" } } ]
                  },
                  "logprobs": null,
                  "finish_reason": "tool_calls"
                }
              ]
            }
            """));
    }

    [Fact]
    public void ToChunks_ChunksEntryWithUsage_ReturnsTheStoredChunks()
    {
        var entry = ChunksEntry(s_stream);

        var chunks = CachedResponseConverter.ToChunks(entry, includeUsage: true);

        chunks.Should().Equal(entry.Chunks);
        chunks.Select(c => Encoding.UTF8.GetString(c.Span)).Should().Equal(s_stream);
    }

    [Fact]
    public void ToChunks_ChunksEntryWithoutUsage_LeavesOutOnlyTheUsageChunk()
    {
        var entry = ChunksEntry(s_stream);

        var chunks = CachedResponseConverter.ToChunks(entry, includeUsage: false);

        // The same memory, not copies: every chunk but the last (the usage-only one) is sent byte for byte.
        chunks.Should().Equal(entry.Chunks.Take(s_stream.Length - 1));
        chunks.Select(c => Encoding.UTF8.GetString(c.Span)).Should().Equal(s_stream[..^1]);
    }

    [Fact]
    public void ToChunks_ChunksEntryWithoutUsageChunk_ReturnsTheStoredChunks()
    {
        var entry = ChunksEntry(s_stream[..^1]);

        CachedResponseConverter.ToChunks(entry, includeUsage: false).Should().Equal(entry.Chunks);
    }

    [Fact]
    public void ToChunks_EmbeddingsEntry_Throws()
    {
        var entry = new CachedResponse { Kind = CachedResponseKind.Embeddings, Model = "e", Provider = "p", CreatedAt = s_created, Body = Utf8("{}") };

        var act = () => CachedResponseConverter.ToChunks(entry, includeUsage: false);

        act.Should().Throw<InvalidOperationException>();
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    public void ToChunks_CompletionEntryNotAJsonObject_ThrowsInvalidOperation(string body)
    {
        var act = () => CachedResponseConverter.ToChunks(CompletionEntry(body), includeUsage: true);

        act.Should().Throw<InvalidOperationException>();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ToChunks_Completion_ChunksHaveOpenAIShape(bool includeUsage)
    {
        var chunks = CachedResponseConverter.ToChunks(CompletionEntry(Completion), includeUsage)
            .Select(c => JsonNode.Parse(c.Span)!.AsObject())
            .ToList();

        var content = new Dictionary<int, StringBuilder> { [0] = new(), [1] = new() };
        var deltas = new Dictionary<int, List<JsonObject>> { [0] = [], [1] = [] };
        var finishes = new Dictionary<int, List<string?>> { [0] = [], [1] = [] };
        foreach (var chunk in chunks)
        {
            chunk["id"]!.GetValue<string>().Should().Be("chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG");
            chunk["object"]!.GetValue<string>().Should().Be("chat.completion.chunk");
            chunk["created"]!.GetValue<long>().Should().Be(1741570283);
            chunk["model"]!.GetValue<string>().Should().Be("gpt-4o-2024-08-06");
            chunk["system_fingerprint"]!.GetValue<string>().Should().Be("fp_fc9f1d7035");
            chunk["service_tier"]!.GetValue<string>().Should().Be("default");
            var choices = chunk["choices"]!.AsArray();
            if (choices.Count == 0)
            {
                continue;
            }

            choices.Should().ContainSingle();
            var choice = choices[0]!.AsObject();
            choice.Select(p => p.Key).Should().BeEquivalentTo("index", "delta", "logprobs", "finish_reason");
            var index = choice["index"]!.GetValue<int>();
            var delta = choice["delta"]!.AsObject();
            deltas[index].Add(delta);
            finishes[index].Add(choice["finish_reason"]?.GetValue<string>());
            if (delta["content"] is { } text)
            {
                content[index].Append(text.GetValue<string>());
            }
        }

        if (includeUsage)
        {
            chunks.SkipLast(1).Should().OnlyContain(c => c.ContainsKey("usage") && c["usage"] == null);
            var last = chunks[^1];
            last["choices"]!.AsArray().Should().BeEmpty();
            JsonNode.DeepEquals(last["usage"], JsonNode.Parse(Completion)!["usage"]).Should().BeTrue();
        }
        else
        {
            chunks.Should().OnlyContain(c => !c.ContainsKey("usage"), "a request that did not ask for usage gets none");
            chunks.Should().OnlyContain(c => c["choices"]!.AsArray().Count == 1);
        }

        foreach (var index in new[] { 0, 1 })
        {
            deltas[index][0].ToJsonString().Should().Be("""{"role":"assistant","content":"","refusal":null}""");
            deltas[index][^1].Should().BeEmpty("the finish chunk's delta is empty");
            finishes[index].SkipLast(1).Should().OnlyContain(f => f == null);
        }

        finishes[0][^1].Should().Be("tool_calls");
        finishes[1][^1].Should().Be("length");
        content[0].ToString().Should().Be("Je regarde la météo à Zürich et l'heure à Paris.");
        content[1].ToString().Should().Be("Bonjour");
        var toolCalls = new JsonArray([.. deltas[0].Where(d => d.ContainsKey("tool_calls")).Select(d => d["tool_calls"]!.AsArray().Single()!.DeepClone())]);
        JsonNode.DeepEquals(toolCalls, JsonNode.Parse("""
            [
              { "index": 0, "id": "call_1", "type": "function", "function": { "name": "get_weather", "arguments": "{\"city\":\"Zürich\",\"unit\":\"c\"}" } },
              { "index": 1, "id": "call_2", "type": "function", "function": { "name": "get_time", "arguments": "{\"tz\":\"Europe/Paris\"}" } }
            ]
            """)).Should().BeTrue(toolCalls.ToJsonString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ToChunks_CompletionThenToCompletion_KeepsTheCompletion(bool includeUsage)
    {
        var chunks = CachedResponseConverter.ToChunks(CompletionEntry(Completion), includeUsage);

        var assembled = CachedResponseConverter.ToCompletion(ChunksEntry([.. chunks.Select(c => Encoding.UTF8.GetString(c.Span))]));

        // Everything but the empty annotations (nothing to stream) and, when not asked for, the usage.
        var expected = JsonNode.Parse(Completion)!.AsObject();
        foreach (var choice in expected["choices"]!.AsArray())
        {
            choice!["message"]!.AsObject().Remove("annotations");
        }

        if (!includeUsage)
        {
            expected.Remove("usage");
        }

        ShouldBeSameJson(assembled, expected);
    }

    [Fact]
    public void ToChunks_ToolCallsOnlyCompletion_OpensWithNullContentAndRoundTrips()
    {
        const string body = """
            {"id":"chatcmpl-t","object":"chat.completion","created":7,"model":"gpt-4.1","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]},"logprobs":null,"finish_reason":"tool_calls"}]}
            """;
        var chunks = CachedResponseConverter.ToChunks(CompletionEntry(body), includeUsage: false);

        var first = JsonNode.Parse(chunks[0].Span)!;
        first["choices"]![0]!["delta"]!.ToJsonString().Should().Be("""{"role":"assistant","content":null,"refusal":null}""");
        first.AsObject().ContainsKey("system_fingerprint").Should().BeFalse("the completion had none");
        var assembled = CachedResponseConverter.ToCompletion(ChunksEntry([.. chunks.Select(c => Encoding.UTF8.GetString(c.Span))]));
        ShouldBeSameJson(assembled, JsonNode.Parse(body));
    }

    [Fact]
    public void ToChunks_CompletionWithoutUsageInBody_ReportsTheEntryUsage()
    {
        const string body = """{"id":"x","object":"chat.completion","created":7,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"logprobs":null,"finish_reason":"stop"}]}""";

        var chunks = CachedResponseConverter.ToChunks(CompletionEntry(body, new UsageCounts(10, 2, 4, 1)), includeUsage: true);

        var usage = UsageReader.FromChunk(chunks[^1].Span, out var usageOnly);
        usageOnly.Should().BeTrue();
        usage.Should().Be(new UsageCounts(10, 2, 4, 1));
        using var document = JsonDocument.Parse(chunks[^1]);
        document.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt64().Should().Be(12);
    }
}
