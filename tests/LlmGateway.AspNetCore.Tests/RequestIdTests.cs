using System.Text.RegularExpressions;
using LlmGateway.AspNetCore.Internal;

namespace LlmGateway.AspNetCore.Tests;

public sealed partial class RequestIdTests
{
    [Fact]
    public void NewId_IsReqAnd32LowercaseHexDigits()
    {
        RequestIds.NewId().Should().MatchRegex(OpenAIStyle());
    }

    [Fact]
    public void NewId_ManyInParallel_AreAllDifferent()
    {
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 10_000, _ => ids.Add(RequestIds.NewId()));

        ids.Distinct(StringComparer.Ordinal).Should().HaveCount(10_000);
    }

    [GeneratedRegex("^req_[0-9a-f]{32}$")]
    private static partial Regex OpenAIStyle();
}
