using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TensorGraph.Serving;

/// <summary>The settings of <c>tensorgraph serve</c>, named after TF Serving's flags.</summary>
public sealed class ServingOptions
{
    /// <summary>The model's name (<c>--model_name</c>), with <see cref="ModelBasePath"/>.</summary>
    public string? ModelName { get; init; }

    /// <summary>The folder of numbered version folders (<c>--model_base_path</c>).</summary>
    public string? ModelBasePath { get; init; }

    /// <summary>A text-format ModelServerConfig listing several models (<c>--model_config_file</c>); excludes name and base path.</summary>
    public string? ModelConfigFile { get; init; }

    /// <summary>The address to listen on (<c>--host</c>); loopback unless told otherwise.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The gRPC port (<c>--port</c>, TF Serving's 8500); 0 picks a free one.</summary>
    public int Port { get; init; } = 8500;

    /// <summary>The REST port (<c>--rest_api_port</c>, 8501 as in TF Serving's Docker image); 0 picks a free one, negative turns REST off.</summary>
    public int RestApiPort { get; init; } = 8501;

    /// <summary>Seconds between file-system polls for new versions (<c>--file_system_poll_wait_seconds</c>); 0 polls once at start.</summary>
    public int FileSystemPollWaitSeconds { get; init; } = 1;

    /// <summary>Batching of concurrent Predict requests (<c>--enable_batching</c>), or null.</summary>
    public BatchingOptions? Batching { get; init; }

    /// <summary>PEM certificate for TLS (<c>--ssl_cert</c>), with <see cref="SslKey"/>.</summary>
    public string? SslCert { get; init; }

    /// <summary>PEM private key for TLS (<c>--ssl_key</c>).</summary>
    public string? SslKey { get; init; }

    /// <summary>A file holding the bearer token every call must carry (<c>--auth_token_file</c>), or null for none.</summary>
    public string? AuthTokenFile { get; init; }

    /// <summary>
    /// The largest request (gRPC message or REST body) accepted, in bytes. TF's servers allow
    /// INT32_MAX; the .NET defaults (4 MB gRPC, 30 MB Kestrel) are too small for TF feeds.
    /// </summary>
    public int MaxMessageBytes { get; init; } = int.MaxValue;

    /// <summary>How long shutdown waits for in-flight requests to finish.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// A running TF Serving-compatible server: gRPC (PredictionService, ModelService, health checking,
/// reflection) on an HTTP/2 endpoint and the REST API on an HTTP/1.1 endpoint of one ASP.NET Core
/// host, over a <see cref="ModelManager"/> that follows the model folders.
/// </summary>
public sealed class ModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ModelServer(WebApplication app, ModelManager models, InferenceCore core, int grpcPort, int restPort)
    {
        _app = app;
        Models = models;
        Core = core;
        GrpcPort = grpcPort;
        RestPort = restPort;
    }

    /// <summary>The models served.</summary>
    public ModelManager Models { get; }

    /// <summary>The request handling shared by gRPC and REST.</summary>
    public InferenceCore Core { get; }

    /// <summary>The bound gRPC port.</summary>
    public int GrpcPort { get; }

    /// <summary>The bound REST port, or -1 when REST is off.</summary>
    public int RestPort { get; }

    /// <summary>Loads the models and starts listening; <paramref name="log"/> receives TF Serving-style progress lines.</summary>
    public static async Task<ModelServer> StartAsync(ServingOptions options, TextWriter? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var write = log is null ? (Action<string>)(_ => { }) : line => { lock (log) log.WriteLine(line); };
        var config = LoadConfig(options);
        var (address, token, cert) = await EndpointSettings.ReadAsync(options.Host, options.SslCert, options.SslKey, options.AuthTokenFile, cancellationToken).ConfigureAwait(false);

        var models = new ModelManager(config, write);
        models.Start(options.FileSystemPollWaitSeconds);
        var core = new InferenceCore(models, options.Batching);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        ListenOptions? grpcListen = null, restListen = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxMessageBytes;
            k.Listen(address, options.Port, lo =>
            {
                lo.Protocols = HttpProtocols.Http2;
                if (cert is not null) lo.UseHttps(cert);
                grpcListen = lo;
            });
            if (options.RestApiPort >= 0)
            {
                k.Listen(address, options.RestApiPort, lo =>
                {
                    lo.Protocols = cert is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                    if (cert is not null) lo.UseHttps(cert);
                    restListen = lo;
                });
            }
        });
        builder.Services.AddSingleton(core);
        if (token is not null) builder.Services.AddSingleton(token);
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = options.MaxMessageBytes;
            o.MaxSendMessageSize = null;
            if (token is not null) o.Interceptors.Add<AuthInterceptor>();
        });
        builder.Services.AddSingleton<Grpc.AspNetCore.Server.Model.IServiceMethodProvider<PredictionServiceImpl>, ServingMethods>();
        builder.Services.AddSingleton<Grpc.AspNetCore.Server.Model.IServiceMethodProvider<ModelServiceImpl>, ServingMethods>();
        builder.Services.AddSingleton<PredictionServiceImpl>();
        builder.Services.AddSingleton<ModelServiceImpl>();
        // Reflection lists the services from their descriptors (they are bound by ServingMethods, not generated binders).
        builder.Services.AddSingleton(new Grpc.Reflection.ReflectionServiceImpl(
            Tensorflow.Serving.PredictionService.Descriptor, Tensorflow.Serving.ModelService.Descriptor,
            Grpc.Health.V1.Health.Descriptor, Grpc.Reflection.V1Alpha.ServerReflection.Descriptor));
        builder.Services.AddGrpcHealthChecks().AddCheck("models", () =>
            models.AllAvailable ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("a configured model has no available version"));

        var app = builder.Build();
        var rest = new RestApi(core, token);
        int restPort = -2;
        app.Use(async (HttpContext ctx, RequestDelegate next) =>
        {
            if (ctx.Connection.LocalPort == restPort) await rest.HandleAsync(ctx).ConfigureAwait(false);
            else await next(ctx).ConfigureAwait(false);
        });
        app.MapGrpcService<PredictionServiceImpl>();
        app.MapGrpcService<ModelServiceImpl>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcService<Grpc.Reflection.ReflectionServiceImpl>();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            models.Dispose();
            throw;
        }
        int grpcPort = grpcListen!.IPEndPoint!.Port;
        restPort = restListen?.IPEndPoint?.Port ?? -1;
        var scheme = cert is null ? "" : " (TLS)";
        write($"Running gRPC ModelServer at {address}:{grpcPort}{scheme} ...");
        if (restPort >= 0) write($"Exporting HTTP/REST API at:{address}:{restPort}{scheme} ...");
        return new ModelServer(app, models, core, grpcPort, restPort);
    }

    private static Tensorflow.Serving.ModelServerConfig LoadConfig(ServingOptions o)
    {
        if (o.ModelConfigFile is { } f)
        {
            if (o.ModelName is not null || o.ModelBasePath is not null)
                throw ServingException.InvalidArgument("--model_config_file excludes --model_name and --model_base_path");
            return ModelManager.ReadConfigFile(f);
        }
        if (string.IsNullOrEmpty(o.ModelBasePath))
            throw ServingException.InvalidArgument("Both server_model_config_file and model_base_path are empty!");
        return ModelManager.SingleModel(string.IsNullOrEmpty(o.ModelName) ? "default" : o.ModelName, Path.GetFullPath(o.ModelBasePath));
    }

    /// <summary>Completes when the host is asked to stop (Ctrl+C, SIGTERM, or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops accepting connections, lets in-flight requests finish (up to the shutdown timeout), then unloads the models.</summary>
    public async Task StopAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        Models.Dispose();
    }

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
