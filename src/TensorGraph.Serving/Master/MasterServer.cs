using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TensorGraph.Serving.Master;

/// <summary>The settings of <c>tensorgraph server</c>.</summary>
public sealed class MasterServerOptions
{
    /// <summary>The address to listen on (<c>--host</c>); loopback unless told otherwise.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The gRPC port (<c>--port</c>, TF's 2222 by convention); 0 picks a free one.</summary>
    public int Port { get; init; } = 2222;

    /// <summary>PEM certificate for TLS (<c>--ssl_cert</c>), with <see cref="SslKey"/>.</summary>
    public string? SslCert { get; init; }

    /// <summary>PEM private key for TLS (<c>--ssl_key</c>).</summary>
    public string? SslKey { get; init; }

    /// <summary>A file holding the bearer token every call must carry (<c>--auth_token_file</c>).</summary>
    public string? AuthTokenFile { get; init; }

    /// <summary>The largest request accepted, in bytes (TF's servers allow INT32_MAX).</summary>
    public int MaxMessageBytes { get; init; } = int.MaxValue;

    /// <summary>How long shutdown waits for in-flight calls.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>A running TF 1.x master (<c>tensorflow.MasterService</c>) on an HTTP/2 gRPC endpoint.</summary>
public sealed class MasterServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MasterServiceImpl _master;

    private MasterServer(WebApplication app, MasterServiceImpl master, int port)
    {
        _app = app;
        _master = master;
        Port = port;
    }

    /// <summary>The bound port.</summary>
    public int Port { get; }

    /// <summary>The number of open sessions.</summary>
    public int SessionCount => _master.SessionCount;

    /// <summary>Starts listening; <paramref name="log"/> receives a line naming the address.</summary>
    public static async Task<MasterServer> StartAsync(MasterServerOptions options, TextWriter? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (address, token, cert) = await EndpointSettings.ReadAsync(options.Host, options.SslCert, options.SslKey, options.AuthTokenFile, cancellationToken).ConfigureAwait(false);

        var master = new MasterServiceImpl();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        ListenOptions? listen = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxMessageBytes;
            k.Listen(address, options.Port, lo =>
            {
                lo.Protocols = HttpProtocols.Http2;
                if (cert is not null) lo.UseHttps(cert);
                listen = lo;
            });
        });
        if (token is not null) builder.Services.AddSingleton(token);
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = options.MaxMessageBytes;
            o.MaxSendMessageSize = null;
            if (token is not null) o.Interceptors.Add<AuthInterceptor>();
        });
        builder.Services.AddSingleton<Grpc.AspNetCore.Server.Model.IServiceMethodProvider<MasterServiceImpl>, MasterMethods>();
        builder.Services.AddSingleton(master);
        var app = builder.Build();
        app.MapGrpcService<MasterServiceImpl>();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            master.Dispose();
            throw;
        }
        int port = listen!.IPEndPoint!.Port;
        log?.WriteLine($"Started server with target: grpc://{address}:{port}{(cert is null ? "" : " (TLS)")}");
        return new MasterServer(app, master, port);
    }

    /// <summary>Completes when the host is asked to stop.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops the server, letting in-flight calls finish, and closes every session.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _master.Dispose();
    }
}
