extern alias Broker;

using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;

namespace CredentialBroker.Cli.Tests;

/// <summary>
/// The production broker's own loaders and X.509-SVID validator, called as the host calls them. They are internal to
/// CredentialBroker.Server, whose internals are visible to its own tests only, so they are reached by reflection here:
/// the point is to judge brokerctl's files with the broker's code, not with a copy of it.
/// </summary>
internal static class ServerInternals
{
    private static readonly Assembly Server = typeof(Broker::Program).Assembly;

    /// <summary><c>KeyMaterialLoader.LoadTrustBundles</c>: the JWT bundles of <c>CredentialBroker:TrustBundles</c>.</summary>
    public static IReadOnlyList<TrustBundle> LoadTrustBundles(CredentialBrokerOptions options) =>
        (IReadOnlyList<TrustBundle>)Call("CredentialBroker.Server.Hosting.KeyMaterialLoader", "LoadTrustBundles", options)!;

    /// <summary><c>KeyMaterialLoader.LoadSigningKeys</c>: the keys of <c>CredentialBroker:SigningKeys</c>.</summary>
    public static IReadOnlyList<SigningKey> LoadSigningKeys(CredentialBrokerOptions options) =>
        (IReadOnlyList<SigningKey>)Call("CredentialBroker.Server.Hosting.KeyMaterialLoader", "LoadSigningKeys", options)!;

    /// <summary>The broker's <c>X509SvidValidator</c> over the bundles of <c>CredentialBroker:X509Bundles</c>, on <paramref name="time"/>.</summary>
    public static Func<X509Certificate2, SpiffeId?> X509SvidValidator(CredentialBrokerOptions options, TimeProvider time)
    {
        const string TypeName = "CredentialBroker.Server.Identity.X509SvidValidator";
        var bundles = Call(TypeName, "LoadBundles", options);
        var validator = Activator.CreateInstance(Server.GetType(TypeName, throwOnError: true)!, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, null, [bundles, time], null)!;
        var validate = validator.GetType().GetMethod("Validate")!;
        return certificate => (SpiffeId?)Invoke(validate, validator, certificate);
    }

    private static object? Call(string typeName, string method, params object[] arguments) =>
        Invoke(Server.GetType(typeName, throwOnError: true)!.GetMethod(method, BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)!, null, arguments);

    private static object? Invoke(MethodInfo method, object? target, params object[] arguments)
    {
        try
        {
            return method.Invoke(target, arguments);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }
}
