namespace ModernMail.Server.Http;

/// <summary>An RFC 9457 problem: thrown inside the API and written as application/problem+json.</summary>
/// <remarks>Extends <see cref="Exception"/> so that deep validation code can stop a request with one throw; the endpoint turns it into the answer.</remarks>
internal sealed class ApiProblem : Exception
{
    public ApiProblem(int status, string title, string detail, string? field = null)
        : base(detail)
    {
        Status = status;
        Title = title;
        Field = field;
    }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }

    /// <summary>A short summary that is the same for every problem of this kind.</summary>
    public string Title { get; }

    /// <summary>The request member at fault ("to[1]", "attachments[0].content"), as a JSON path; null when it is the whole request.</summary>
    public string? Field { get; }

    /// <summary>The problem object as it is serialized.</summary>
    public ProblemBody ToBody(string? instance = null) => new(Type(Status), Title, Status, Message, Field, instance);

    public static ApiProblem BadJson(string detail, string? field) => new(400, "Malformed JSON", detail, field);

    public static ApiProblem Invalid(string detail, string? field) => new(422, "Invalid message", detail, field);

    // URNs: stable names a client can switch on, without promising a documentation URL that may not resolve.
    private static string Type(int status) => status switch
    {
        400 => "urn:modernmail:problem:malformed-request",
        401 => "urn:modernmail:problem:unauthorized",
        403 => "urn:modernmail:problem:sender-domain-not-allowed",
        404 => "urn:modernmail:problem:not-found",
        409 => "urn:modernmail:problem:idempotency-conflict",
        413 => "urn:modernmail:problem:too-large",
        415 => "urn:modernmail:problem:unsupported-media-type",
        422 => "urn:modernmail:problem:invalid-message",
        503 => "urn:modernmail:problem:unavailable",
        _ => "about:blank",
    };
}

/// <summary>The serialized problem (RFC 9457 members plus "field").</summary>
internal sealed record ProblemBody(string Type, string Title, int Status, string Detail, string? Field, string? Instance);
