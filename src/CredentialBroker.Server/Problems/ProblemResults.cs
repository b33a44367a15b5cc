using CredentialBroker.Abstractions;

namespace CredentialBroker.Server.Problems;

/// <summary>RFC 9457 problem details for the REST endpoints. Never a stack trace, never token material.</summary>
internal static class ProblemResults
{
    public const string TypePrefix = "urn:credentialbroker:problem:";

    public static IResult Validation(Abstractions.FieldErrors errors) => Validation(errors.ToDictionary().ToDictionary());

    public static IResult Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: "One or more fields are invalid; 'errors' lists every one.",
            title: "The request is invalid", type: TypePrefix + ErrorCodes.Validation, extensions: new Dictionary<string, object?> { ["code"] = ErrorCodes.Validation });

    public static IResult BadRequest(string detail) => Create(StatusCodes.Status400BadRequest, ErrorCodes.BadRequest, "The request is invalid", detail);

    public static IResult NotFound(string detail) => Create(StatusCodes.Status404NotFound, ErrorCodes.NotFound, "Not found", detail);

    public static IResult Conflict(string detail, IDictionary<string, object?>? extensions = null) =>
        Create(StatusCodes.Status409Conflict, ErrorCodes.Conflict, "Conflict", detail, extensions);

    public static IResult UnsupportedMediaType(string detail) =>
        Create(StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Unsupported media type", detail);

    public static IResult IdempotencyKeyReused() =>
        Create(StatusCodes.Status422UnprocessableEntity, ErrorCodes.IdempotencyKeyReused, "Idempotency-Key reused",
            "This Idempotency-Key was already used for a different request; use a new key for a new request.");

    public static IResult Forbidden(string detail) => Create(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "Forbidden", detail);

    /// <summary>A problem whose <c>type</c> is <c>urn:credentialbroker:problem:&lt;code&gt;</c> and whose <c>code</c> member is the same stable identifier.</summary>
    public static IResult Create(int status, string code, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        var members = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>(), StringComparer.Ordinal) { ["code"] = code };
        return TypedResults.Problem(detail, statusCode: status, title: title, type: TypePrefix + code, extensions: members);
    }
}
