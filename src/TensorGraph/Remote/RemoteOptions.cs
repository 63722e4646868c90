namespace TensorGraph;

/// <summary>How a session with a <c>grpc://host:port</c> target reaches its server.</summary>
public sealed class RemoteOptions
{
    /// <summary>Speak TLS (https) to the server, checking its certificate against the system's trusted roots (default false: plaintext h2c, as TF's grpc:// is).</summary>
    public bool UseTls { get; init; }

    /// <summary>Sent as <c>authorization: Bearer …</c> with every call, for a server started with <c>--auth_token_file</c>; null sends none.</summary>
    public string? BearerToken { get; init; }
}
