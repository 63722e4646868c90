using Grpc.Core;

namespace TensorGraph.Serving;

/// <summary>
/// A request the server refuses or cannot complete, with TF Serving's status code and message.
/// gRPC answers it as that status; REST as <c>{"error": message}</c> with TF Serving's HTTP status.
/// </summary>
public sealed class ServingException : Exception
{
    /// <summary>An error with <paramref name="code"/> and <paramref name="message"/>.</summary>
    public ServingException(StatusCode code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    /// <summary>The status code (TF's error codes are gRPC's).</summary>
    public StatusCode Code { get; }

    internal static ServingException InvalidArgument(string message) => new(StatusCode.InvalidArgument, message);

    internal static ServingException NotFound(string message) => new(StatusCode.NotFound, message);

    internal static ServingException Aborted(string message) => new(StatusCode.Aborted, message);

    internal static ServingException FailedPrecondition(string message) => new(StatusCode.FailedPrecondition, message);

    /// <summary>
    /// The status a failure stands for: a <see cref="ServingException"/> keeps its own; a typed
    /// TensorGraph error keeps its TF code (the numbers are gRPC's); cancellation is CANCELLED;
    /// anything else is INTERNAL (a bug, reported without crashing the server).
    /// </summary>
    public static ServingException From(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e switch
        {
            ServingException s => s,
            TensorGraphException t => new ServingException((StatusCode)(int)t.Code, t.Message, t),
            OperationCanceledException => new ServingException(StatusCode.Cancelled, "Request was cancelled", e),
            OutOfMemoryException => new ServingException(StatusCode.ResourceExhausted, "Out of memory: " + e.Message, e),
            _ => new ServingException(StatusCode.Internal, $"{e.GetType().Name}: {e.Message}", e),
        };
    }

    /// <summary>TF Serving's HTTP status for a status code (<c>model_servers/http_server.cc</c> ToHTTPStatusCode).</summary>
    public static int HttpStatus(StatusCode code) => code switch
    {
        StatusCode.OK => 200,
        StatusCode.Cancelled => 499,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => 400,
        StatusCode.DeadlineExceeded => 504,
        StatusCode.NotFound => 404,
        StatusCode.AlreadyExists or StatusCode.Aborted => 409,
        StatusCode.PermissionDenied => 403,
        StatusCode.ResourceExhausted => 429,
        StatusCode.Unimplemented => 501,
        StatusCode.Unavailable => 503,
        StatusCode.Unauthenticated => 401,
        _ => 500,
    };
}
