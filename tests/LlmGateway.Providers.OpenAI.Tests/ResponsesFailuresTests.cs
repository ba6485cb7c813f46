using System.Text;
using LlmGateway.OpenAI.Internal;

namespace LlmGateway.Providers.OpenAI.Tests;

public class ResponsesFailuresTests
{
    [Fact]
    public void Rebuild_ErrorEvent_KeepsKnownFieldsAndMasksTheMessage()
    {
        var data = Encoding.UTF8.GetBytes("""{"type":"error","code":"server_error","message":"failed with key sk-abcdef0123456789","param":null,"sequence_number":4,"node":"lb-7"}""");

        var rebuilt = ResponsesFailures.Rebuild(data, "error");

        Encoding.UTF8.GetString(rebuilt.Span).Should().Be("""{"type":"error","code":"server_error","message":"failed with key sk-***","param":null,"sequence_number":4}""");
    }

    [Fact]
    public void Rebuild_ResponseFailed_MasksTheErrorMessageOnly()
    {
        var data = Encoding.UTF8.GetBytes("""{"type":"response.failed","sequence_number":2,"response":{"id":"resp_f","status":"failed","error":{"code":"server_error","message":"Bearer abc.def-ghi refused"}}}""");

        var rebuilt = ResponsesFailures.Rebuild(data, "response.failed");

        Encoding.UTF8.GetString(rebuilt.Span).Should().Be("""{"type":"response.failed","sequence_number":2,"response":{"id":"resp_f","status":"failed","error":{"code":"server_error","message":"Bearer *** refused"}}}""");
    }

    [Fact]
    public void Rebuild_OtherEvents_AreUnchanged()
    {
        var data = Encoding.UTF8.GetBytes("""{"type":"response.completed","response":{"id":"r"}}""");

        ResponsesFailures.Rebuild(data, "response.completed").ToArray().Should().Equal(data);
    }
}
