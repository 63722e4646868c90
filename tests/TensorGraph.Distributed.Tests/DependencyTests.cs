using System.Reflection;

namespace TensorGraph.Distributed.Tests;

/// <summary>The distributed room depends on the core, never the reverse.</summary>
public class DependencyTests
{
    private static string[] References(Assembly a) => [.. a.GetReferencedAssemblies().Select(n => n.Name!)];

    [Test]
    public void TheCoreKnowsNothingOfOrleansOrTheDistributedLibrary()
    {
        var core = References(typeof(Graph).Assembly);
        Assert.That(core, Has.None.StartsWith("Orleans").And.None.StartsWith("Microsoft.Orleans").And.None.EqualTo("TensorGraph.Distributed"));
    }

    [Test]
    public void TheDistributedLibraryReferencesOnlyTheCoreOfTensorGraph()
    {
        var refs = References(typeof(DistributedTrainingSession).Assembly);
        Assert.That(refs, Does.Contain("TensorGraph"));
        Assert.That(refs.Where(r => r.StartsWith("TensorGraph", StringComparison.Ordinal)), Is.EqualTo(new[] { "TensorGraph" }));
    }

    [Test]
    public async Task AShardWithoutTrainableVariablesCountsTheStepsToo()
    {
        // Three shards for three variables: round-robin puts the non-trainable "frozen" alone on shard 2.
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(-1), "x");
        var w = g.Variable(Tensor.Create(new[] { 1f }, 1), "w");
        var b = g.Variable(Tensor.Create(new[] { 0f }, 1), "b");
        var frozen = g.Variable(Tensor.Create(new[] { 5f }, 1), "frozen", trainable: false);
        var loss = g.ReduceMean(g.Square(x * w + b - frozen.Value));
        using var s = new DistributedTrainingSession(ClusterFixture.Cluster.GrainFactory, loss, new DistributedOptimizer(OptimizerSpec.GradientDescent(0.1), 1),
            new DistributedSessionOptions { Job = ClusterFixture.NewJob(), NumShards = 3, IsChief = true });
        Assert.That(s.ShardOf["frozen"], Is.EqualTo(2));
        await s.InitializeAsync();
        for (int i = 0; i < 3; i++) await s.RunStepAsync(new FeedDict { { x, Tensor.Create(new[] { 1f, 2f }, 2) } });
        var status = await s.StatusAsync();
        Assert.That(status.Select(st => st.Step), Is.All.EqualTo(3L));
        var (values, step) = await s.PullAsync(false);
        Assert.That(step, Is.EqualTo(3L));
        Assert.That(values.Single(kv => kv.Key == "frozen").Value.ToArray<float>(), Is.EqualTo(new[] { 5f }), "a non-trainable variable is hosted, not trained");
    }

    [Test]
    public async Task AJobsShardsSpreadOverTheSilos()
    {
        var job = ClusterFixture.NewJob();
        var hosts = await Task.WhenAll(Enumerable.Range(0, 4).Select(k =>
            ClusterFixture.Cluster.GrainFactory.GetGrain<IParameterShardGrain>($"{job}/ps/{k}").GetStatus()));
        var silos = ClusterFixture.Cluster.GetActiveSilos().Select(s => s.SiloAddress).Order().Select(a => a.ToString()).ToArray();
        Assert.That(silos, Has.Length.EqualTo(2));
        // Shard k on silo k mod 2, in address order.
        Assert.That(hosts.Select(h => h.Host), Is.EqualTo(new[] { silos[0], silos[1], silos[0], silos[1] }));
    }
}

