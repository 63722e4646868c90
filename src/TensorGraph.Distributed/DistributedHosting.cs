using System.Net;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace TensorGraph.Distributed;

/// <summary>
/// Hosts for the tasks of a <see cref="ClusterSpec"/>: a parameter-server task is an Orleans silo
/// (holding shard grains), a worker connects as an Orleans client. <c>ps</c> task k listens on its
/// address's port (silo) and port + <see cref="ClusterSpec.GatewayPortOffset"/> (gateway); task 0 is
/// the primary silo the others join.
/// </summary>
public static class DistributedHosting
{
    /// <summary>The Orleans service and cluster id used when none is given.</summary>
    public const string DefaultClusterId = "tensorgraph";

    /// <summary>
    /// A host running parameter-server task <paramref name="psIndex"/> of <paramref name="spec"/>;
    /// <paramref name="configure"/> adds silo settings (e.g. <c>UseKubernetesHosting()</c> in a pod).
    /// </summary>
    public static IHost BuildParameterServer(ClusterSpec spec, int psIndex, string clusterId = DefaultClusterId, Action<ISiloBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (host, port) = spec.Address("ps", psIndex);
        var (primaryHost, primaryPort) = spec.Address("ps", 0);
        var self = Resolve(host, $"cluster.ps[{psIndex}]");
        IPEndPoint? primary = psIndex == 0 ? null : new IPEndPoint(Resolve(primaryHost, "cluster.ps[0]"), primaryPort);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo =>
        {
            if (IPAddress.IsLoopback(self)) silo.UseLocalhostClustering(port, port + ClusterSpec.GatewayPortOffset, primary, clusterId, clusterId);
            else
            {
                silo.UseDevelopmentClustering(primary ?? new IPEndPoint(self, port));
                silo.Configure<EndpointOptions>(o =>
                {
                    o.AdvertisedIPAddress = self;
                    o.SiloPort = port;
                    o.GatewayPort = port + ClusterSpec.GatewayPortOffset;
                    o.SiloListeningEndpoint = new IPEndPoint(IPAddress.Any, port);
                    o.GatewayListeningEndpoint = new IPEndPoint(IPAddress.Any, port + ClusterSpec.GatewayPortOffset);
                });
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = clusterId;
                });
            }
            silo.AddParameterShards();
            configure?.Invoke(silo);
        });
        return builder.Build();
    }

    /// <summary>
    /// A host whose <see cref="IClusterClient"/> reaches the gateways of every ps task; it keeps
    /// retrying the first connection for <paramref name="connectTimeout"/> (the ps tasks may start later).
    /// <paramref name="responseTimeout"/> bounds every call, a sync barrier included.
    /// </summary>
    public static IHost BuildWorkerClient(ClusterSpec spec, TimeSpan? connectTimeout = null, TimeSpan? responseTimeout = null, string clusterId = DefaultClusterId)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.NumPs == 0) throw new ClusterSpecException("cluster.ps", "the cluster has no ps task to connect to");
        var gateways = Enumerable.Range(0, spec.NumPs).Select(k =>
        {
            var (h, p) = spec.Address("ps", k);
            return new IPEndPoint(Resolve(h, $"cluster.ps[{k}]"), p + ClusterSpec.GatewayPortOffset);
        }).ToArray();
        var deadline = DateTime.UtcNow + (connectTimeout ?? TimeSpan.FromSeconds(60));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering(gateways);
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = clusterId;
            });
            if (responseTimeout is { } rt) client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = rt);
            client.UseConnectionRetryFilter(async (_, ct) =>
            {
                if (DateTime.UtcNow > deadline) return false;
                await Task.Delay(250, ct).ConfigureAwait(false);
                return true;
            });
        });
        return builder.Build();
    }

    private static IPAddress Resolve(string host, string field)
    {
        if (IPAddress.TryParse(host, out var ip)) return ip;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        try
        {
            return Dns.GetHostAddresses(host).First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or InvalidOperationException)
        {
            throw new ClusterSpecException(field, $"cannot resolve host '{host}': {e.Message}");
        }
    }
}
