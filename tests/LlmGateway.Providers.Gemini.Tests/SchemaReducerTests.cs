using System.Buffers;
using System.Text.Json;
using LlmGateway.Gemini.Internal;

namespace LlmGateway.Providers.Gemini.Tests;

/// <summary>JSON Schema (as OpenAI tools and structured output carry it) → the OpenAPI subset Gemini's Schema accepts.</summary>
public sealed class SchemaReducerTests
{
    [Fact]
    public void Write_KeywordsGeminiRejects_AreDropped()
    {
        var reduced = Reduce("""
            {"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"urn:person","type":"object","strict":true,
             "additionalProperties":false,"title":"Person","description":"A person",
             "properties":{
               "email":{"type":"string","format":"email","examples":["a@b.c"]},
               "age":{"type":"integer","exclusiveMinimum":0,"minimum":1,"maximum":150},
               "tags":{"type":"array","items":{"type":"string","minLength":1,"maxLength":20,"pattern":"^[a-z]+$"},"minItems":1,"maxItems":5,"uniqueItems":true},
               "extra":{"allOf":[{"type":"string"}],"not":{"const":"x"},"if":{"type":"string"},"then":{"minLength":2}}},
             "required":["email"],"minProperties":1,"maxProperties":4,"default":{},"example":{"email":"a@b.c"}}
            """);

        reduced.ShouldEqualJson("""
            {"type":"object","title":"Person","description":"A person",
             "properties":{
               "email":{"type":"string"},
               "age":{"type":"integer","minimum":1,"maximum":150},
               "tags":{"type":"array","items":{"type":"string","minLength":1,"maxLength":20,"pattern":"^[a-z]+$"},"minItems":1,"maxItems":5},
               "extra":{}},
             "required":["email"],"minProperties":1,"maxProperties":4,"default":{},"example":{"email":"a@b.c"}}
            """);
    }

    [Fact]
    public void Write_NestedObjects_AreReducedAtEveryDepth()
    {
        var reduced = Reduce("""
            {"type":"object","additionalProperties":false,"properties":{
              "items":{"type":"array","items":{"type":"object","additionalProperties":false,"properties":{
                "sku":{"type":"string","$comment":"internal"},"qty":{"type":"integer"}},"required":["sku"]}}}}
            """);

        reduced.ShouldEqualJson("""
            {"type":"object","properties":{
              "items":{"type":"array","items":{"type":"object","properties":{"sku":{"type":"string"},"qty":{"type":"integer"}},"required":["sku"]}}}}
            """);
        reduced.FindAll("additionalProperties").Should().BeEmpty();
    }

    [Theory]
    [InlineData("$defs")]
    [InlineData("definitions")]
    public void Write_LocalRefs_AreInlinedAndTheDefinitionsDropped(string keyword)
    {
        var reduced = Reduce("""
            {"type":"object","properties":{
               "home":{"$ref":"#/@defs/address"},
               "others":{"type":"array","items":{"$ref":"#/@defs/address"}}},
             "@defs":{"address":{"type":"object","additionalProperties":false,"properties":{"street":{"type":"string"},"zip":{"$ref":"#/@defs/zip"}}},
                      "zip":{"type":"string","pattern":"^[0-9]{5}$"}}}
            """.Replace("@defs", keyword, StringComparison.Ordinal));

        const string Address = """{"type":"object","properties":{"street":{"type":"string"},"zip":{"type":"string","pattern":"^[0-9]{5}$"}}}""";
        reduced.ShouldEqualJson("""{"type":"object","properties":{"home":@address,"others":{"type":"array","items":@address}}}""".Replace("@address", Address, StringComparison.Ordinal));
        reduced.FindAll("$ref").Should().BeEmpty();
    }

    [Fact]
    public void Write_RootRef_IsInlined()
    {
        var reduced = Reduce("""{"$ref":"#/$defs/args","$defs":{"args":{"type":"object","properties":{"q":{"type":"string"}}}}}""");

        reduced.ShouldEqualJson("""{"type":"object","properties":{"q":{"type":"string"}}}""");
    }

    [Fact]
    public void Write_RecursiveRef_IsCutToAnUnconstrainedObjectAfterAFewLevels()
    {
        var reduced = Reduce("""
            {"type":"object","properties":{"root":{"$ref":"#/$defs/node"}},
             "$defs":{"node":{"type":"object","properties":{"name":{"type":"string"},"child":{"$ref":"#/$defs/node"}}}}}
            """);

        var depth = 0;
        var node = reduced.Path("properties", "root");
        while (node.Has("properties"))
        {
            node.Path("properties", "name").ShouldEqualJson("""{"type":"string"}""");
            node = node.Path("properties", "child");
            depth++;
        }

        depth.Should().BeInRange(2, 16, "recursion is followed a few levels, then stopped");
        node.ShouldEqualJson("""{"type":"object"}""");
    }

    [Theory]
    [InlineData("""{"$ref":"https://example.com/schemas/address.json"}""")]
    [InlineData("""{"$ref":"#/$defs/missing","$defs":{}}""")]
    [InlineData("""{"$ref":"#/components/schemas/Address"}""")]
    public void Write_UnresolvableRef_IsAnUnconstrainedObject(string schema)
    {
        Reduce(schema).ShouldEqualJson("""{"type":"object"}""");
    }

    [Theory]
    [InlineData("""{"type":["string","null"]}""", """{"type":"string","nullable":true}""")]
    [InlineData("""{"type":["null","integer"],"minimum":0}""", """{"type":"integer","nullable":true,"minimum":0}""")]
    [InlineData("""{"type":["array","null"],"items":{"type":"number"}}""", """{"type":"array","nullable":true,"items":{"type":"number"}}""")]
    [InlineData("""{"type":["string","null"],"nullable":true}""", """{"type":"string","nullable":true}""")]
    [InlineData("""{"type":"null"}""", "{}")]
    public void Write_TypeArrayWithNull_BecomesOneTypeAndNullable(string schema, string expected)
    {
        Reduce(schema).ShouldEqualJson(expected);
    }

    [Fact]
    public void Write_OneOf_BecomesAnyOf()
    {
        var reduced = Reduce("""{"oneOf":[{"type":"string","format":"date-time"},{"type":"object","additionalProperties":false,"properties":{"days":{"type":"integer"}}}]}""");

        reduced.ShouldEqualJson("""{"anyOf":[{"type":"string","format":"date-time"},{"type":"object","properties":{"days":{"type":"integer"}}}]}""");
    }

    [Fact]
    public void Write_OneOfBesideAnyOf_KeepsOnlyTheAnyOf()
    {
        var reduced = Reduce("""{"anyOf":[{"type":"string"}],"oneOf":[{"type":"integer"}]}""");

        reduced.ShouldEqualJson("""{"anyOf":[{"type":"string"}]}""");
    }

    [Fact]
    public void Write_StringConst_BecomesASingleValueEnum()
    {
        Reduce("""{"type":"string","const":"insert_text"}""").ShouldEqualJson("""{"type":"string","enum":["insert_text"]}""");
    }

    [Fact]
    public void Write_ConstBesideEnum_KeepsTheEnum()
    {
        Reduce("""{"type":"string","enum":["a","b"],"const":"a"}""").ShouldEqualJson("""{"type":"string","enum":["a","b"]}""");
    }

    [Theory]
    [InlineData("""{"type":"integer","const":5}""")]
    [InlineData("""{"type":"integer","enum":[0,2,4,8]}""")]
    [InlineData("""{"type":"boolean","const":true}""")]
    public void Write_NonStringEnumOrConst_SendsNoNonStringEnumValues(string schema)
    {
        // Gemini's Schema.enum is a list of strings: a number in it is a 400 ("Invalid value at
        // '…parameters.properties[2].value.enum[0]' (TYPE_STRING), 0"). The reducer's own contract says const becomes
        // an enum "for strings"; dropping (or stringifying) other values only widens what is valid, as it does for
        // the other narrowing keywords it drops.
        var reduced = Reduce(schema);

        reduced.FindAll("enum").SelectMany(e => e.EnumerateArray()).Where(v => v.ValueKind != JsonValueKind.String).Should()
            .BeEmpty($"Gemini rejects non-string enum values; sent {reduced.GetRawText()}");
        reduced.GetProperty("type").GetString().Should().NotBeNullOrEmpty();
    }

    [Fact]
    public void Write_AnyOfWithNull_BecomesTheOtherSchemaNullable()
    {
        Reduce("""{"type":"object","properties":{"nick":{"anyOf":[{"type":"string","maxLength":10},{"type":"null"}],"description":"optional"}}}""")
            .ShouldEqualJson("""{"type":"object","properties":{"nick":{"description":"optional","type":"string","nullable":true,"maxLength":10}}}""");
    }

    [Theory]
    [InlineData("date-time", true)]
    [InlineData("enum", true)]
    [InlineData("int32", true)]
    [InlineData("int64", true)]
    [InlineData("float", true)]
    [InlineData("double", true)]
    [InlineData("email", false)]
    [InlineData("uri", false)]
    [InlineData("uuid", false)]
    public void Write_Format_KeepsOnlyFormatsGeminiKnows(string format, bool kept)
    {
        var reduced = Reduce($$"""{"type":"string","format":"{{format}}"}""");

        reduced.Has("format").Should().Be(kept);
        reduced.GetProperty("type").GetString().Should().Be("string");
    }

    [Fact]
    public void Write_TupleItems_UseTheFirstSchema()
    {
        Reduce("""{"type":"array","items":[{"type":"number"},{"type":"string"}]}""").ShouldEqualJson("""{"type":"array","items":{"type":"number"}}""");
    }

    [Fact]
    public void Write_BooleanSubschema_IsAnEmptySchema()
    {
        Reduce("""{"type":"object","properties":{"anything":true}}""").ShouldEqualJson("""{"type":"object","properties":{"anything":{}}}""");
    }

    private static JsonElement Reduce(string schema)
    {
        var input = Json.Parse(schema);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            SchemaReducer.Write(writer, input);
        }

        return Json.Parse(buffer.WrittenMemory);
    }
}
