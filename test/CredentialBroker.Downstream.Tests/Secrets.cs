using CredentialBroker.Downstream.Providers;

namespace CredentialBroker.Downstream.Tests;

/// <summary>Helpers shared by the provider tests.</summary>
internal static class Secrets
{
    /// <summary>An expiry ten minutes ahead, in whole seconds as the broker plans them.</summary>
    public static DateTimeOffset ExpiresAt(int minutes = 10) =>
        DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + (minutes * 60));

    /// <summary>A fresh record id.</summary>
    public static string NewId() => "jti-" + Guid.NewGuid().ToString("N");

    /// <summary>The generated password generator, wrapped to remember what it made (to prove it never leaks).</summary>
    public sealed class RecordingPasswords
    {
        private readonly List<string> _made = [];

        public IReadOnlyList<string> Made
        {
            get
            {
                lock (_made)
                {
                    return [.. _made];
                }
            }
        }

        public string Next()
        {
            var password = GeneratedCredentials.NewPassword();
            lock (_made)
            {
                _made.Add(password);
            }

            return password;
        }
    }
}
