namespace TensorGraph.Distributed.Tests;

public class SyncTrainingTests
{
    private static IEnumerable<TestCaseData> Optimizers()
    {
        yield return new TestCaseData(OptimizerSpec.GradientDescent(0.5), 2, 1e-5).SetName("SyncGradientDescent2Replicas");
        yield return new TestCaseData(OptimizerSpec.MomentumOf(0.2, 0.9), 2, 1e-5).SetName("SyncMomentum2Replicas");
        yield return new TestCaseData(OptimizerSpec.Adam(0.05), 3, 1e-4).SetName("SyncAdam3Replicas");
        yield return new TestCaseData(OptimizerSpec.RMSProp(0.02, momentum: 0.5), 2, 1e-4).SetName("SyncRMSProp2Replicas");
    }

    /// <summary>
    /// SyncReplicasOptimizer's contract: N replicas on batch b give the parameters of one process
    /// on batch N·b, and the optimizer slots on the shards equal the local optimizer's.
    /// </summary>
    [TestCaseSource(nameof(Optimizers))]
    public async Task MatchesASingleProcessWithTheCombinedBatch(OptimizerSpec spec, int replicas, double tol)
    {
        const int b = 4, steps = 6;
        var data = new Data(replicas * b * steps);
        using var cluster = new Replicas(new DistributedOptimizer(spec, replicas), shards: 2);
        await cluster.InitializeAsync();
        await cluster.TrainAsync(data, steps, b);
        using var local = new LocalReference(spec);
        local.Run(data, 0, steps, replicas, b);

        var got = await cluster.ValuesAsync(includeSlots: true);
        var m = local.Model;
        foreach (var v in m.Variables)
        {
            Assert.That(got[v.Name], Is.EqualTo(local.Value(v)).Within(tol), v.Name);
            foreach (var slot in local.Optimizer.SlotNames)
            {
                var sv = local.Optimizer.GetSlot(v, slot);
                Assert.That(got.ContainsKey(sv.Name), Is.True, $"slot {sv.Name} on the shard");
                Assert.That(got[sv.Name], Is.EqualTo(local.Value(sv)).Within(tol), sv.Name);
            }
        }
        if (local.Optimizer is TensorGraph.Training.AdamOptimizer adam)
            Assert.That(got["beta1_power"], Is.EqualTo(local.Value(adam.Beta1Power!)).Within(1e-7), "beta1_power advances once per global step");
        var status = await cluster.Chief.StatusAsync();
        Assert.That(status.Select(s => s.Step), Is.All.EqualTo(steps));
        Assert.That(status.Select(s => s.AppliedUpdates), Is.All.EqualTo(steps), "one averaged update per step, not one per replica");
        // The trained values differ from the initial ones (the comparison is not vacuous).
        var fresh = new Mlp();
        using var untrained = new Session(fresh.G);
        untrained.Run(fresh.G.GlobalVariablesInitializer());
        Assert.That(got["W1"], Is.Not.EqualTo(untrained.Run(fresh.W1.Value).ToArray<float>()).Within(1e-3));
    }

    [Test]
    public async Task ASingleReplicaEqualsLocalTrainingBitForBit()
    {
        var spec = OptimizerSpec.Adam(0.05);
        const int b = 8, steps = 5;
        var data = new Data(b * steps);
        using var cluster = new Replicas(new DistributedOptimizer(spec, 1), shards: 2);
        await cluster.InitializeAsync();
        await cluster.TrainAsync(data, steps, b);
        using var local = new LocalReference(spec);
        local.Run(data, 0, steps, 1, b);
        var got = await cluster.ValuesAsync(includeSlots: true);
        foreach (var v in local.Model.Variables)
        {
            Assert.That(got[v.Name], Is.EqualTo(local.Value(v)), v.Name);
            Assert.That(got[local.Optimizer.GetSlot(v, "v").Name], Is.EqualTo(local.Value(local.Optimizer.GetSlot(v, "v"))));
        }
    }

    [Test]
    public void PlacementIsRoundRobinOrBySize()
    {
        var m = new Mlp();
        var rr = ShardPlacement.Assign(m.Variables, 2, VariablePlacement.RoundRobin);
        Assert.That(rr, Is.EqualTo(new[] { 0, 1, 0, 1 }));
        // Sizes: W1 30, b1 5, W2 15, b2 3 floats → W1→0, b1→1, W2→1 (5 < 30), b2→1 (20 < 30).
        var bySize = ShardPlacement.Assign(m.Variables, 2, VariablePlacement.BySize);
        Assert.That(bySize, Is.EqualTo(new[] { 0, 1, 1, 1 }));
        using var s = new DistributedTrainingSession(ClusterFixture.Cluster.GrainFactory, m.Loss,
            new DistributedOptimizer(OptimizerSpec.GradientDescent(0.1), 1), new DistributedSessionOptions { NumShards = 3 });
        Assert.That(s.ShardOf["W1"], Is.Zero);
        Assert.That(s.ShardOf["b2"], Is.Zero);
        Assert.That(s.ShardOf["W2"], Is.EqualTo(2));
    }

    [Test]
    public async Task WithABackupReplicaEveryPushIsAggregatedOrDropped()
    {
        // SyncReplicasOptimizer(replicas_to_aggregate=2, total_num_replicas=3): each step averages the first two gradients.
        const int b = 4, steps = 8;
        var data = new Data(3 * b * steps);
        using var cluster = new Replicas(new DistributedOptimizer(OptimizerSpec.GradientDescent(0.2), 3, ReplicationMode.Sync, replicasToAggregate: 2), shards: 1);
        await cluster.InitializeAsync();
        int pushes = 0, dropped = 0;
        await Task.WhenAll(cluster.Sessions.Select((s, r) => Task.Run(async () =>
        {
            while (s.GlobalStep < steps)
            {
                var res = await s.RunStepAsync(step => cluster.Models[r].Feed(data, (int)((step * 3 + r) * b % data.N), b));
                Interlocked.Increment(ref pushes);
                if (res.Dropped) Interlocked.Increment(ref dropped);
            }
        })));
        var status = (await cluster.Chief.StatusAsync()).Single();
        Assert.That(status.Step, Is.EqualTo(steps));
        Assert.That(status.AppliedUpdates, Is.EqualTo(steps));
        Assert.That(status.DroppedGradients, Is.EqualTo(dropped));
        Assert.That(pushes, Is.EqualTo(2 * steps + dropped), "every gradient is either one of the two averaged for its step or dropped as stale");
        Assert.That(cluster.Sessions.Select(s => s.GlobalStep), Is.All.EqualTo(steps));
    }
}

