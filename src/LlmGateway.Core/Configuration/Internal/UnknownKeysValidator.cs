using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace LlmGateway.Internal;

/// <summary>
/// Reports every configuration key under the <c>LlmGateway</c> section that binds to nothing (a typo such as
/// <c>ApiKeyy</c>), each with its full path, alongside the other validation errors.
/// </summary>
/// <remarks>
/// The binder's own <c>ErrorOnUnknownConfiguration</c> stops at the first unknown key with a message that does not
/// name it; this walks the section against the options' shape instead: properties of classes, any key of a
/// dictionary, numeric keys of a list.
/// </remarks>
internal sealed class UnknownKeysValidator(IConfiguration section) : IValidateOptions<LlmGatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, LlmGatewayOptions options)
    {
        var errors = new List<string>();
        var path = section is IConfigurationSection s ? s.Path : LlmGatewayOptions.SectionName;
        Walk(section, typeof(LlmGatewayOptions), path, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Walk(IConfiguration configuration, Type type, string path, List<string> errors)
    {
        foreach (var child in configuration.GetChildren())
        {
            var childPath = path + ":" + child.Key;
            if (ElementType(type, out var isList) is { } element)
            {
                if (isList && !int.TryParse(child.Key, out _))
                {
                    errors.Add($"{childPath}: '{child.Key}' is not a list index; {path} is a list.");
                    continue;
                }

                Walk(child, element, childPath, errors);
                continue;
            }

            if (IsLeaf(type))
            {
                errors.Add($"{childPath} is not a setting: {path} takes a single value.");
                continue;
            }

            var property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                var known = string.Join(", ", type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(static p => p.Name));
                errors.Add($"{childPath} is not a known setting (known under {path}: {known}).");
                continue;
            }

            Walk(child, property.PropertyType, childPath, errors);
        }
    }

    private static Type? ElementType(Type type, out bool isList)
    {
        isList = false;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            return type.GetGenericArguments()[1];
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            isList = true;
            return type.GetGenericArguments()[0];
        }

        return null;
    }

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal)
        || Nullable.GetUnderlyingType(type) is not null || !typeof(IEnumerable).IsAssignableFrom(type) && !type.IsClass;
}
