using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace TensorGraph.Serving;

/// <summary>
/// What both servers (the model server and the master) read from their listening options before
/// they start: the address to bind, the bearer token and the TLS certificate, each checked with
/// an INVALID_ARGUMENT naming the option or file at fault.
/// </summary>
internal sealed record EndpointSettings(IPAddress Address, BearerToken? Token, X509Certificate2? Certificate)
{
    public static async Task<EndpointSettings> ReadAsync(string host, string? sslCert, string? sslKey, string? authTokenFile, CancellationToken cancellationToken)
    {
        if (sslCert is null != (sslKey is null)) throw ServingException.InvalidArgument("--ssl_cert and --ssl_key go together");
        if (!IPAddress.TryParse(host == "localhost" ? "127.0.0.1" : host, out var address))
            throw ServingException.InvalidArgument($"--host '{host}' is not an IP address");
        BearerToken? token = null;
        if (authTokenFile is { } tf)
        {
            try
            {
                token = new BearerToken(await File.ReadAllTextAsync(tf, cancellationToken).ConfigureAwait(false));
            }
            catch (ArgumentException e)
            {
                throw ServingException.InvalidArgument($"{tf}: {e.Message}");
            }
        }
        X509Certificate2? cert = null;
        if (sslCert is not null)
        {
            using var pem = X509Certificate2.CreateFromPemFile(sslCert, sslKey);
            cert = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        return new EndpointSettings(address, token, cert);
    }
}
