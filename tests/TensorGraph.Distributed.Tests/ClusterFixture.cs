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
        _cluster = NewCluster(2);
        await _cluster.DeployAsync();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        _cluster = null;
    }

    /// <summary>A test cluster of <paramref name="silos"/> silos that can host parameter shards.</summary>
    public static TestCluster NewCluster(short silos) => new TestClusterBuilder(silos).AddSiloBuilderConfigurator<ShardSilo>().Build();

    private sealed class ShardSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder.AddParameterShards();
    }

    /// <summary>A job name no other test uses, so each test gets fresh shard grains.</summary>
    public static string NewJob() => "job-" + Guid.NewGuid().ToString("N")[..12];
}
