namespace CredentialBroker.Abstractions;

/// <summary>
/// What is wrong with a request, field by field (a field may have several problems), collected by the domain services
/// that own the rules and returned as a value; the HTTP layer turns it into a 400 that lists every problem at once.
/// </summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    /// <summary>Whether any problem was found.</summary>
    public bool Any => _errors.Count > 0;

    /// <summary>Records a problem with <paramref name="field"/>.</summary>
    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
    }

    /// <summary>Whether <paramref name="field"/> has a problem already.</summary>
    public bool Has(string field) => _errors.ContainsKey(field);

    /// <summary>Every problem, field by field.</summary>
    public IReadOnlyDictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
}
