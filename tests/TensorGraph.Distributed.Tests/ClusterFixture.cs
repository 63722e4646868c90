using Orleans.TestingHost;

namespace TensorGraph.Distributed.Tests;

/// <summary>Two Orleans silos on loopback TCP, shared by the tests of this assembly; shards are placed on either.</summary>
[SetUpFixture]
public sealed class ClusterFixture
{
    private static TestCluster? _cluster;

    /// <summary>The running cluster.</summary>
    public static TestCluster Cluster => _cluster ?? throw new InvalidOperationException("the test cluster is not running");

    [OneTimeSetUp]
    public async Task Start()
    {
        var builder = new TestClusterBuilder(2);
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        _cluster = null;
    }

    /// <summary>A job name no other test uses, so each test gets fresh shard grains.</summary>
    public static string NewJob() => "job-" + Guid.NewGuid().ToString("N")[..12];
}
