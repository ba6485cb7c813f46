namespace LlmGateway;

/// <summary>
/// A gateway key just created or rotated by <see cref="GatewayKeyAdministration"/>: the key itself, shown this once
/// (only its hash is kept), and its stored record.
/// </summary>
public sealed class CreatedGatewayKey
{
    /// <summary>Initializes a new instance of the <see cref="CreatedGatewayKey"/> class.</summary>
    /// <param name="key">The key (<c>lgw-…</c>).</param>
    /// <param name="record">The key's stored record.</param>
    public CreatedGatewayKey(string key, StoredKey record)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(record);
        Key = key;
        Record = record;
    }

    /// <summary>Gets the key a caller presents (<c>Authorization: Bearer …</c>): it cannot be read again later.</summary>
    public string Key { get; }

    /// <summary>Gets the key's stored record (its hash, never the key).</summary>
    public StoredKey Record { get; }

    /// <summary>Returns the key id only, so that logging this object never shows the key.</summary>
    /// <returns>The key id.</returns>
    public override string ToString() => Record.Id;
}
