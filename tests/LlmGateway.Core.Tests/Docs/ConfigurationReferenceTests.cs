using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using LlmGateway.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Core.Tests.Docs;

/// <summary>
/// Keeps <c>docs/configuration.md</c> in step with the options: every setting the gateway binds appears there with
/// its full key and its environment-variable form, and every key the page names is one the gateway's own strict
/// configuration check accepts.
/// </summary>
public partial class ConfigurationReferenceTests
{
    private const string ReferencePath = "docs/configuration.md";

    private static readonly Lazy<string> s_reference = new(() => File.ReadAllText(Path.Combine(RepositoryRoot(), ReferencePath)));

    [Fact]
    public void OptionKeys_Reflection_FindsTheKnownSettings()
    {
        // The walk below is what the other tests trust: it must see nested sections, lists and dictionaries.
        var keys = OptionKeys();

        keys.Should().Contain(
        [
            "LlmGateway:Auth:Mode",
            "LlmGateway:Providers:*:ApiKey",
            "LlmGateway:Providers:*:Models:*",
            "LlmGateway:Models:*:Targets:*:Weight",
            "LlmGateway:Auth:Keys:*:ModelLimits:*:TokensPerMinute",
            "LlmGateway:Auth:Keys:*:Budget:MonthlyCost",
            "LlmGateway:Cache:Semantic:Threshold",
        ]);
        keys.Should().NotContain("LlmGateway:Auth:Keys", "a list is a section, not a setting");
    }

    [Fact]
    public void Reference_EveryOptionsKey_IsDocumentedWithItsEnvironmentVariable()
    {
        var documented = DocumentedKeys(s_reference.Value);

        var missing = OptionKeys()
            .SelectMany(key => new[] { key, EnvironmentForm(key) })
            .Where(key => !documented.Contains(key))
            .ToList();

        string.Join(Environment.NewLine, missing).Should().BeEmpty(
            "{0} must name every setting as a full key and as an environment variable (placeholders such as <name> or <i> for dictionary keys and list indexes)",
            ReferencePath);
    }

    [Fact]
    public void Reference_EveryDocumentedKey_IsAcceptedByTheStrictConfigurationCheck()
    {
        // The keys the page names, made concrete ("0" for every placeholder: a dictionary key and a list index alike),
        // go through the same check that stops the gateway on an unknown key. A provider instance is the one named
        // openai, so its OpenAI settings are checked against the OpenAI type's options.
        var values = DocumentedKeys(s_reference.Value)
            .Where(static key => key.StartsWith(LlmGatewayOptions.SectionName + ":", StringComparison.Ordinal))
            .Select(static key => key.Replace("LlmGateway:Providers:*:", "LlmGateway:Providers:openai:", StringComparison.Ordinal))
            .Distinct()
            .ToDictionary(static key => key.Replace("*", "0", StringComparison.Ordinal), static key => (string?)(key.EndsWith(":Providers:openai:Type", StringComparison.Ordinal) ? ProviderTypes.OpenAI : "x"));
        values.Should().NotBeEmpty();
        var section = new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection(LlmGatewayOptions.SectionName);
        var services = new ServiceCollection();
        services.AddLlmGateway().AddOpenAI();
        using var provider = services.BuildServiceProvider();

        var result = new UnknownKeysValidator(section, provider.GetServices<ILlmProviderFactory>()).Validate(null, new LlmGatewayOptions());

        string.Join(Environment.NewLine, result.Failures ?? []).Should().BeEmpty("{0} must name only settings that exist", ReferencePath);
    }

    [Fact]
    public void Reference_EnvironmentFallbacks_AreDocumented()
    {
        string[] variables =
        [
            EnvironmentFallbackPostConfigure.OpenAIApiKey,
            EnvironmentFallbackPostConfigure.OpenAIBaseUrl,
            EnvironmentFallbackPostConfigure.GeminiApiKey,
            EnvironmentFallbackPostConfigure.GoogleApiKey,
        ];

        string.Join(", ", variables.Where(static v => !s_reference.Value.Contains($"`{v}`", StringComparison.Ordinal)))
            .Should().BeEmpty("{0} must name every environment variable the gateway reads", ReferencePath);
    }

    /// <summary>Every setting under <c>LlmGateway</c>, as the binder sees the options' shape; <c>*</c> stands for a
    /// dictionary key or a list index.</summary>
    private static List<string> OptionKeys()
    {
        var keys = new List<string>();
        Walk(typeof(LlmGatewayOptions), LlmGatewayOptions.SectionName, keys);

        // A provider type's own settings live in its options class (ILlmProviderFactory.OptionsType).
        Walk(typeof(OpenAIProviderOptions), LlmGatewayOptions.SectionName + ":Providers:*", keys);
        return [.. keys.Distinct()];
    }

    private static void Walk(Type type, string path, List<string> keys)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.CanWrite)
            {
                Visit(property.PropertyType, path + ":" + property.Name, keys);
            }
        }
    }

    private static void Visit(Type type, string path, List<string> keys)
    {
        if (type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Dictionary<,>) || type.GetGenericTypeDefinition() == typeof(List<>)))
        {
            Visit(type.GetGenericArguments()[^1], path + ":*", keys);
        }
        else if (IsLeaf(type))
        {
            keys.Add(path);
        }
        else
        {
            Walk(type, path, keys);
        }
    }

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal)
        || Nullable.GetUnderlyingType(type) is not null || (!typeof(IEnumerable).IsAssignableFrom(type) && !type.IsClass);

    /// <summary><c>LlmGateway:Providers:*:ApiKey</c> → <c>LlmGateway__Providers__*__ApiKey</c>.</summary>
    private static string EnvironmentForm(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    /// <summary>Every key in backticks that starts with <c>LlmGateway:</c> or <c>LlmGateway__</c>, with each
    /// placeholder segment (<c>&lt;name&gt;</c>, <c>&lt;i&gt;</c>…) written as <c>*</c>.</summary>
    private static HashSet<string> DocumentedKeys(string markdown)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match match in KeyInBackticks().Matches(markdown))
        {
            var key = match.Groups["key"].Value;
            var separator = key.StartsWith(LlmGatewayOptions.SectionName + "__", StringComparison.Ordinal) ? "__" : ":";
            var segments = key.Split(separator).Select(static s => Placeholder().IsMatch(s) ? "*" : s);
            keys.Add(string.Join(separator, segments));
        }

        return keys;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "LlmGateway.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No directory above {AppContext.BaseDirectory} holds LlmGateway.sln.");
    }

    [GeneratedRegex(@"`(?<key>LlmGateway(?::|__)[^`\s]+)`")]
    private static partial Regex KeyInBackticks();

    [GeneratedRegex(@"^<[^>]+>$")]
    private static partial Regex Placeholder();
}
