using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.Primitives;

namespace CredentialBroker.Server.Identity;

/// <summary>
/// Authenticates callers by their JWT-SVID: in <c>Authorization: Bearer</c> on every endpoint, or as an
/// RFC 7523 <c>client_assertion</c> on OAuth endpoints; or, where X.509 bundles are configured and the request came
/// over HTTPS with a client certificate and no other credential, by that X.509-SVID (whose thumbprint then binds the
/// access tokens the caller obtains, RFC 8705). Endpoints only see <see cref="CallerIdentity"/>.
/// </summary>
internal sealed partial class CallerAuthenticator(JwtSvidValidator validator, X509SvidValidator x509, RoleMap roles, ILogger<CallerAuthenticator> logger)
{
    public const string JwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    /// <summary>Authenticates the bearer JWT-SVID of a REST request.</summary>
    public ValueTask<CallerAuthentication> AuthenticateBearerAsync(HttpRequest request)
    {
        if (StringValues.IsNullOrEmpty(request.Headers.Authorization) && x509.Enabled && request.HttpContext.Connection.ClientCertificate is { } certificate)
        {
            return ValueTask.FromResult(AuthenticateCertificate(certificate));
        }

        return TryReadBearer(request.Headers.Authorization, out var token, out var failure)
            ? ValidateAsync(token, CallerAuthenticationMethod.JwtSvidBearer)
            : ValueTask.FromResult(CallerAuthentication.Fail(failure));
    }

    /// <summary>Authenticates an OAuth client: bearer JWT-SVID or <c>client_assertion</c>, never both.</summary>
    public async ValueTask<CallerAuthentication> AuthenticateClientAsync(HttpRequest request, IFormCollection form)
    {
        var hasHeader = !StringValues.IsNullOrEmpty(request.Headers.Authorization);
        var hasAssertion = form.ContainsKey("client_assertion") || form.ContainsKey("client_assertion_type");
        if (hasHeader && hasAssertion)
        {
            return CallerAuthentication.Fail(CallerAuthenticationFailure.Ambiguous);
        }

        if (!hasAssertion)
        {
            return await AuthenticateBearerAsync(request);
        }

        if (!string.Equals(form["client_assertion_type"], JwtBearerAssertionType, StringComparison.Ordinal))
        {
            return CallerAuthentication.Fail(CallerAuthenticationFailure.BadAssertionType);
        }

        var result = await ValidateAsync(form["client_assertion"], CallerAuthenticationMethod.JwtSvidClientAssertion);
        if (result.Succeeded && form.TryGetValue("client_id", out var clientId)
            && !string.Equals(clientId, result.Caller.Id.Value, StringComparison.Ordinal))
        {
            return CallerAuthentication.Fail(CallerAuthenticationFailure.ClientIdMismatch);
        }

        return result;
    }

    private CallerAuthentication AuthenticateCertificate(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        if (x509.Validate(certificate) is not { } id)
        {
            LogCertificateRejected(logger, certificate.Thumbprint);
            return CallerAuthentication.Fail(CallerAuthenticationFailure.BadCertificate);
        }

        return CallerAuthentication.Success(new CallerIdentity(id, roles.RolesOf(id), CallerAuthenticationMethod.X509Svid, new DateTimeOffset(certificate.NotAfter.ToUniversalTime()))
        {
            CertificateThumbprint = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(System.Security.Cryptography.SHA256.HashData(certificate.RawData)),
        });
    }

    private async ValueTask<CallerAuthentication> ValidateAsync(string? token, CallerAuthenticationMethod method)
    {
        var result = await validator.ValidateAsync(token);
        if (!result.IsValid)
        {
            LogRejected(logger, result.Failure.Value, method);
            return CallerAuthentication.Fail(CallerAuthenticationFailure.Invalid, result.Failure);
        }

        return CallerAuthentication.Success(new CallerIdentity(result.Id, roles.RolesOf(result.Id), method, result.ExpiresAt));
    }

    private static bool TryReadBearer(StringValues header, out string token, out CallerAuthenticationFailure failure)
    {
        token = string.Empty;
        if (StringValues.IsNullOrEmpty(header))
        {
            failure = CallerAuthenticationFailure.Missing;
            return false;
        }

        failure = CallerAuthenticationFailure.Invalid;
        if (header.Count != 1)
        {
            return false;
        }

        var value = header[0]!;
        const string scheme = "Bearer ";
        if (!value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            failure = CallerAuthenticationFailure.Missing;
            return false;
        }

        token = value[scheme.Length..].Trim();
        return token.Length > 0;
    }

    [LoggerMessage(EventId = 1400, EventName = "CallerRejected", Level = LogLevel.Information,
        Message = "Rejected a caller's JWT-SVID ({Failure}) presented as {Method}")]
    private static partial void LogRejected(ILogger logger, JwtValidationFailure failure, CallerAuthenticationMethod method);

    [LoggerMessage(EventId = 1401, EventName = "CallerCertificateRejected", Level = LogLevel.Information,
        Message = "Rejected a caller's TLS client certificate {Thumbprint}: not a valid X.509-SVID of a trusted trust domain")]
    private static partial void LogCertificateRejected(ILogger logger, string thumbprint);
}
