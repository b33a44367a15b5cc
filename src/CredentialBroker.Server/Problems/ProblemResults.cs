namespace CredentialBroker.Server.Problems;

/// <summary>RFC 9457 problem details for the REST endpoints. Never a stack trace, never token material.</summary>
internal static class ProblemResults
{
    public const string TypePrefix = "urn:credentialbroker:problem:";

    public static IResult Validation(Abstractions.FieldErrors errors) => Validation(errors.ToDictionary().ToDictionary());

    public static IResult Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: "One or more fields are invalid; 'errors' lists every one.",
            title: "The request is invalid", type: TypePrefix + "validation");

    public static IResult BadRequest(string detail) => Create(StatusCodes.Status400BadRequest, "bad-request", "The request is invalid", detail);

    public static IResult NotFound(string detail) => Create(StatusCodes.Status404NotFound, "not-found", "Not found", detail);

    public static IResult Conflict(string detail, IDictionary<string, object?>? extensions = null) =>
        Create(StatusCodes.Status409Conflict, "conflict", "Conflict", detail, extensions);

    public static IResult UnsupportedMediaType(string detail) =>
        Create(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported media type", detail);

    public static IResult IdempotencyKeyReused() =>
        Create(StatusCodes.Status422UnprocessableEntity, "idempotency-key-reused", "Idempotency-Key reused",
            "This Idempotency-Key was already used for a different request; use a new key for a new request.");

    public static IResult Forbidden(string detail) => Create(StatusCodes.Status403Forbidden, "forbidden", "Forbidden", detail);

    public static IResult Create(int status, string type, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: status, title: title, type: TypePrefix + type, extensions: extensions);
}
