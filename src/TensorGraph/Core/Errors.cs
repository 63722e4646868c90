namespace TensorGraph;

/// <summary>TensorFlow's canonical error codes (same numbers as <c>tensorflow::error::Code</c>).</summary>
public enum ErrorCode
{
    /// <summary>The operation was cancelled (a cancelled token, or the session was closed while it ran).</summary>
    Cancelled = 1,
    /// <summary>Unknown error.</summary>
    Unknown = 2,
    /// <summary>The caller passed a bad value (wrong dtype, shape, index…).</summary>
    InvalidArgument = 3,
    /// <summary>The deadline expired before the operation could complete (a run's timeout).</summary>
    DeadlineExceeded = 4,
    /// <summary>Something named was not found.</summary>
    NotFound = 5,
    /// <summary>Something being created already exists.</summary>
    AlreadyExists = 6,
    /// <summary>A resource (memory, file space) ran out.</summary>
    ResourceExhausted = 8,
    /// <summary>The system is not in a state the operation needs (e.g. uninitialized variable).</summary>
    FailedPrecondition = 9,
    /// <summary>A value was outside the valid range, or input ended.</summary>
    OutOfRange = 11,
    /// <summary>The operation is not implemented or supported.</summary>
    Unimplemented = 12,
    /// <summary>An invariant of the runtime was broken.</summary>
    Internal = 13,
    /// <summary>Data was lost or corrupted.</summary>
    DataLoss = 15,
}

/// <summary>
/// Base class of every error TensorGraph raises for bad input or state. The message names the
/// graph node involved and the source line where the user built it, when known.
/// </summary>
public class TensorGraphException : Exception
{
    /// <summary>Creates an error with a TensorFlow error code.</summary>
    public TensorGraphException(ErrorCode code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    /// <summary>The TensorFlow error code.</summary>
    public ErrorCode Code { get; }

    /// <summary>The name of the node involved, if any.</summary>
    public string? NodeName { get; init; }
}

/// <summary>An argument (feed, attr, input shape or value) is invalid.</summary>
public sealed class InvalidArgumentException(string message, Exception? inner = null)
    : TensorGraphException(ErrorCode.InvalidArgument, message, inner);

/// <summary>A name (op, tensor, file, key) was not found.</summary>
public sealed class NotFoundException(string message, Exception? inner = null)
    : TensorGraphException(ErrorCode.NotFound, message, inner);

/// <summary>The operation was cancelled: its token was cancelled, or its session was closed while it ran.</summary>
public sealed class CancelledException(string message, Exception? inner = null)
    : TensorGraphException(ErrorCode.Cancelled, message, inner);

/// <summary>The operation ran past its deadline (a run's <c>TimeoutInMs</c>).</summary>
public sealed class DeadlineExceededException(string message, Exception? inner = null)
    : TensorGraphException(ErrorCode.DeadlineExceeded, message, inner);

/// <summary>Something being created already exists.</summary>
public sealed class AlreadyExistsException(string message, Exception? inner = null)
    : TensorGraphException(ErrorCode.AlreadyExists, message, inner);

/// <summary>The operation needs a state the system is not in (e.g. an uninitialized variable).</summary>
public sealed class FailedPreconditionException(string message, Exception? inner = null)
    : TensorGraphException(ErrorCode.FailedPrecondition, message, inner);

/// <summary>A value is out of its valid range, or a sequence ended.</summary>
public sealed class OutOfRangeException(string message, Exception? inner = null)
    : TensorGraphException(ErrorCode.OutOfRange, message, inner);

/// <summary>The op, dtype or feature is not implemented.</summary>
public sealed class UnimplementedException(string message, Exception? inner = null)
    : TensorGraphException(ErrorCode.Unimplemented, message, inner);

/// <summary>A runtime invariant was broken (a bug in TensorGraph).</summary>
public sealed class InternalException(string message, Exception? inner = null)
    : TensorGraphException(ErrorCode.Internal, message, inner);

/// <summary>Memory or another resource ran out.</summary>
public sealed class ResourceExhaustedException(string message, Exception? inner = null)
    : TensorGraphException(ErrorCode.ResourceExhausted, message, inner);

/// <summary>Stored data is corrupt or truncated.</summary>
public sealed class DataLossException(string message, Exception? inner = null)
    : TensorGraphException(ErrorCode.DataLoss, message, inner);

/// <summary>Creates typed errors from codes.</summary>
internal static class Errors
{
    public static TensorGraphException Make(ErrorCode code, string message, Exception? inner = null, string? node = null) => code switch
    {
        ErrorCode.Cancelled => new CancelledException(message, inner) { NodeName = node },
        ErrorCode.InvalidArgument => new InvalidArgumentException(message, inner) { NodeName = node },
        ErrorCode.DeadlineExceeded => new DeadlineExceededException(message, inner) { NodeName = node },
        ErrorCode.NotFound => new NotFoundException(message, inner) { NodeName = node },
        ErrorCode.AlreadyExists => new AlreadyExistsException(message, inner) { NodeName = node },
        ErrorCode.FailedPrecondition => new FailedPreconditionException(message, inner) { NodeName = node },
        ErrorCode.OutOfRange => new OutOfRangeException(message, inner) { NodeName = node },
        ErrorCode.Unimplemented => new UnimplementedException(message, inner) { NodeName = node },
        ErrorCode.ResourceExhausted => new ResourceExhaustedException(message, inner) { NodeName = node },
        ErrorCode.DataLoss => new DataLossException(message, inner) { NodeName = node },
        ErrorCode.Internal => new InternalException(message, inner) { NodeName = node },
        _ => new TensorGraphException(code, message, inner) { NodeName = node },
    };
}
