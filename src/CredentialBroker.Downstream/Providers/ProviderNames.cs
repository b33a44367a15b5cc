namespace CredentialBroker.Downstream.Providers;

/// <summary>Provider names: they appear in records and metrics, so they are short and plain.</summary>
internal static class ProviderNames
{
    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
