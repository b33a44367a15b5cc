using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace CredentialBroker.Client;

/// <summary>
/// Why the broker (or the way to it) refused a request: the RFC's coarse error, the broker's stable <see cref="Code"/>
/// (docs/errors.md lists them; match on it, not on <see cref="Description"/>), and when to try again.
/// </summary>
public sealed record BrokerError
{
    /// <summary>The client-side <see cref="Code"/> when the broker could not be reached or did not answer in time.</summary>
    public const string BrokerUnreachable = "broker-unreachable";

    /// <summary>The client-side <see cref="Code"/> when this workload's SVID could not be read (the description says why).</summary>
    public const string SvidUnavailable = "svid-unavailable";

    /// <summary>The client-side <see cref="Code"/> when the broker answered something that is not its documented shape.</summary>
    public const string UnexpectedResponse = "unexpected-response";

    /// <summary>The HTTP status, or <see langword="null"/> when no response arrived.</summary>
    public int? Status { get; init; }

    /// <summary>The OAuth <c>error</c> (RFC 6749 §5.2, RFC 8693, RFC 7009), e.g. <c>invalid_grant</c>; <see langword="null"/> for REST endpoints.</summary>
    public string? Error { get; init; }

    /// <summary>The broker's stable error code, e.g. <c>subject-inactive</c>, or one of this class's client-side codes.</summary>
    public required string Code { get; init; }

    /// <summary>A human description: <c>error_description</c>, the problem's <c>detail</c> (or <c>title</c>), or what went wrong on the way.</summary>
    public string? Description { get; init; }

    /// <summary>The problem type of a REST error (RFC 9457), e.g. <c>urn:credentialbroker:problem:conflict</c>.</summary>
    public string? ProblemType { get; init; }

    /// <summary>Field errors of a <c>validation</c> problem: field path → messages.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> FieldErrors { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>When to try again (<c>Retry-After</c>), if the broker said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Whether trying the same request later may succeed: the broker was unreachable, unavailable or busy.</summary>
    public bool IsTransient => Status is null or (int)HttpStatusCode.ServiceUnavailable or (int)HttpStatusCode.TooManyRequests;

    /// <inheritdoc />
    public override string ToString() =>
        $"{(Status is { } status ? status.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " : string.Empty)}{Error ?? Code}{(Error is null ? string.Empty : $" ({Code})")}: {Description}";

    internal static BrokerError Unreachable(string description) => new() { Code = BrokerUnreachable, Description = description };

    internal static async Task<BrokerError> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var retryAfter = RetryAfterOf(response.Headers.RetryAfter, response.Headers.Date);
        var fallback = new BrokerError { Status = status, Code = UnexpectedResponse, Description = $"The broker answered {status} {response.ReasonPhrase}.", RetryAfter = retryAfter };
        try
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(body))
            {
                return fallback;
            }

            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return fallback;
            }

            var code = String(root, "code");
            if (String(root, "error") is { } error)
            {
                return fallback with { Error = error, Code = code ?? error, Description = String(root, "error_description") ?? fallback.Description };
            }

            return fallback with
            {
                Code = code ?? fallback.Code,
                ProblemType = String(root, "type"),
                Description = String(root, "detail") ?? String(root, "title") ?? fallback.Description,
                FieldErrors = FieldErrorsOf(root),
            };
        }
        catch (JsonException)
        {
            return fallback;
        }
    }

    private static Dictionary<string, IReadOnlyList<string>> FieldErrorsOf(JsonElement root)
    {
        var errors = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (root.TryGetProperty("errors", out var map) && map.ValueKind == JsonValueKind.Object)
        {
            foreach (var field in map.EnumerateObject())
            {
                errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                    ? [.. field.Value.EnumerateArray().Where(m => m.ValueKind == JsonValueKind.String).Select(m => m.GetString()!)]
                    : [];
            }
        }

        return errors;
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static TimeSpan? RetryAfterOf(RetryConditionHeaderValue? header, DateTimeOffset? date) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } at } when date is { } now => at - now,
        _ => null,
    };
}
