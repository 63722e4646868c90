using System.Security.Cryptography.X509Certificates;

namespace TensorGraph;

/// <summary>How a session with a <c>grpc://host:port</c> target reaches its server.</summary>
public sealed class RemoteOptions
{
    /// <summary>Speak TLS (https) to the server, checking its certificate against the system's trusted roots (default false: plaintext h2c, as TF's grpc:// is).</summary>
    public bool UseTls { get; init; }

    /// <summary>
    /// With <see cref="UseTls"/>: trust exactly these root certificates (a private CA, or a
    /// self-signed server certificate) instead of the system's roots, as gRPC's
    /// <c>root_certificates</c> does; the server's chain and host name are still checked. Null uses
    /// the system's trusted roots.
    /// </summary>
    public X509Certificate2Collection? TrustedRootCertificates { get; init; }

    /// <summary>Sent as <c>authorization: Bearer …</c> with every call, for a server started with <c>--auth_token_file</c>; null sends none.</summary>
    public string? BearerToken { get; init; }
}
