using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace LlmGateway.Internal;

/// <summary>
/// Walks the <c>LlmGateway</c> configuration section against the shape of <see cref="LlmGatewayOptions"/> and reports,
/// each with its full path, every key that binds to nothing (a typo such as <c>ApiKeyy</c>) and every value that cannot
/// be bound (<c>TokensPerMinute: abc</c>, a number beyond its type's range, a word where a list is expected).
/// </summary>
/// <remarks>
/// The configuration binder drops an element of a list or dictionary whose value fails to convert without a word, so
/// a configured key with a mistyped limit would silently disappear; and for any other property it stops at the first
/// bad value. Walking the section first names them all. Values are converted the way the binder converts them (the
/// type's <see cref="TypeConverter"/> with the invariant culture, an empty value meaning "not set").
/// </remarks>
internal static class ConfigurationShape
{
    /// <summary>Checks <paramref name="section"/>, bound to <see cref="LlmGatewayOptions"/>.</summary>
    /// <param name="section">The section.</param>
    /// <param name="unknownKeys">Receives a line per key that binds to nothing.</param>
    /// <param name="badValues">Receives a line per value that cannot be bound.</param>
    /// <param name="factories">The registered provider types: an instance under <c>Providers</c> is checked against its
    /// type's <see cref="ILlmProviderFactory.OptionsType"/>.</param>
    public static void Check(IConfiguration section, List<string> unknownKeys, List<string> badValues, IEnumerable<ILlmProviderFactory>? factories = null)
    {
        var path = section is IConfigurationSection s ? s.Path : LlmGatewayOptions.SectionName;
        Walk(section, typeof(LlmGatewayOptions), path, new Context(unknownKeys, badValues, factories ?? []));
    }

    private static void Walk(IConfiguration configuration, Type type, string path, Context context)
    {
        var (unknownKeys, badValues, _) = context;
        foreach (var child in configuration.GetChildren())
        {
            var childPath = path + ":" + child.Key;
            if (ElementType(type, out var isList) is { } element)
            {
                if (isList && !int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    unknownKeys.Add($"{childPath}: '{child.Key}' is not a list index; {path} is a list.");
                    continue;
                }

                if (element == typeof(ProviderOptions))
                {
                    element = ProviderOptionsBinding.OptionsTypeOf(child, context.Factories);
                }

                Visit(child, element, childPath, context);
                continue;
            }

            if (IsLeaf(type))
            {
                unknownKeys.Add($"{childPath} is not a setting: {path} takes a single value.");
                continue;
            }

            var property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                var known = string.Join(", ", type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(static p => p.Name));
                unknownKeys.Add($"{childPath} is not a known setting (known under {path}: {known}).");
                continue;
            }

            Visit(child, property.PropertyType, childPath, context);
        }
    }

    /// <summary>One key: its value, when it has one, must convert to <paramref name="type"/> (a section or a list takes
    /// none: the binder would ignore it); its children are walked.</summary>
    private static void Visit(IConfigurationSection section, Type type, string path, Context context)
    {
        var badValues = context.BadValues;
        if (!string.IsNullOrEmpty(section.Value))
        {
            if (IsLeaf(type))
            {
                if (ConversionError(section.Value, type) is { } reason)
                {
                    badValues.Add($"{path}: '{Shown(section.Value)}' {reason}");
                }
            }
            else
            {
                badValues.Add(ElementType(type, out var isList) is not null
                    ? $"{path} is {(isList ? "a list" : "a section of named entries")}, not a single value: give its entries as {path}:{(isList ? "0" : "<name>")}:…"
                    : $"{path} is a section, not a single value: give its settings as {path}:<setting>.");
            }
        }

        Walk(section, type, path, context);
    }

    /// <summary>Why <paramref name="value"/> does not bind to <paramref name="type"/>, or null when it does.</summary>
    private static string? ConversionError(string value, Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(string) || target == typeof(object))
        {
            return null;
        }

        try
        {
            var converter = TypeDescriptor.GetConverter(target);
            if (converter.CanConvertFrom(typeof(string)) && converter.ConvertFromInvariantString(value) is not null)
            {
                return null;
            }
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException or NotSupportedException or InvalidCastException)
        {
        }

        return "is not " + Describe(target) + ".";
    }

    private static string Describe(Type type)
    {
        if (type.IsEnum)
        {
            return "one of " + string.Join(", ", Enum.GetNames(type));
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => "true or false",
            TypeCode.Int32 => $"a whole number from {int.MinValue} to {int.MaxValue}",
            TypeCode.Int64 => $"a whole number from {long.MinValue} to {long.MaxValue}",
            TypeCode.Double => "a number",
            TypeCode.Decimal => "a decimal number",
            _ when type == typeof(TimeSpan) => "a duration such as 00:00:30 (hh:mm:ss) or 1.00:00:00 (d.hh:mm:ss)",
            _ when type == typeof(DateTimeOffset) => "a date and time such as 2027-01-31T00:00:00Z",
            _ => "a valid " + type.Name,
        };
    }

    /// <summary>The value as shown in an error: short, with control characters escaped. Only values of settings that
    /// are not strings are shown, so never a key.</summary>
    private static string Shown(string value)
    {
        var text = value.Length > 64 ? value[..64] + "…" : value;
        return text.Any(char.IsControl)
            ? string.Concat(text.Select(static c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()))
            : text;
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

    private sealed record Context(List<string> UnknownKeys, List<string> BadValues, IEnumerable<ILlmProviderFactory> Factories);
}
