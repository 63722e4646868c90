using TensorGraph.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Distributed.Tests;

public class TrainingSessionTests
{
    private static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "tg-dist-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }

    private static float Loss(Mlp m, Session s, Data data) => s.Run(m.Loss, m.Feed(data, 0, data.N)).Scalar<float>();

    [Test]
    public async Task AsyncReplicasConverge()
    {
        const int b = 8, steps = 40;
        var data = new Data(2 * b * steps);
        using var cluster = new Replicas(new DistributedOptimizer(OptimizerSpec.GradientDescent(0.5), 2, ReplicationMode.Async), shards: 2);
        await cluster.InitializeAsync();
        await cluster.Chief.PullIntoSessionAsync();
        float before = Loss(cluster.Models[0], cluster.Chief.Session, data);
        await cluster.TrainAsync(data, steps * 2, b);
        await cluster.Chief.PullIntoSessionAsync();
        float after = Loss(cluster.Models[0], cluster.Chief.Session, data);
        Assert.That(after, Is.LessThan(before * 0.6), $"loss {before} → {after}");
        var status = await cluster.Chief.StatusAsync();
        Assert.That(status.Select(s => s.AppliedUpdates), Is.All.GreaterThanOrEqualTo(steps * 2L), "every push is applied on arrival");
        Assert.That(status.Select(s => s.DroppedGradients), Is.All.Zero);
    }

    [Test]
    public async Task SmallChunksGiveTheSameTraining()
    {
        // 64-byte chunks split every variable's values and gradients into many messages.
        var spec = OptimizerSpec.MomentumOf(0.3, 0.9);
        const int b = 4, steps = 4;
        var data = new Data(2 * b * steps);
        using var chunked = new Replicas(new DistributedOptimizer(spec, 2), shards: 1, chunkBytes: 64);
        await chunked.InitializeAsync();
        await chunked.TrainAsync(data, steps, b);
        using var local = new LocalReference(spec);
        local.Run(data, 0, steps, 2, b);
        var got = await chunked.ValuesAsync(includeSlots: true);
        foreach (var v in local.Model.Variables)
        {
            Assert.That(got[v.Name], Is.EqualTo(local.Value(v)).Within(1e-5), v.Name);
            Assert.That(got[v.Name + "/Momentum"], Is.EqualTo(local.Value(local.Optimizer.GetSlot(v, "momentum"))).Within(1e-5));
        }
    }

    [Test]
    public async Task TheChiefsCheckpointRestoresInTheCoresSaver()
    {
        var spec = OptimizerSpec.Adam(0.05);
        var dir = TempDir();
        const int b = 4, steps = 4;
        var data = new Data(2 * b * steps);
        using var cluster = new Replicas(new DistributedOptimizer(spec, 2), shards: 2, checkpointDir: dir, saveCheckpointSteps: 2);
        await cluster.InitializeAsync();
        await cluster.TrainAsync(data, steps, b);
        Assert.That(Saver.AllCheckpointPaths(dir).Select(Path.GetFileName), Is.EqualTo(new[] { "model.ckpt-2", "model.ckpt-4" }), "the chief saved at steps 2 and 4");
        var latest = Saver.LatestCheckpoint(dir)!;
        Assert.That(latest, Does.EndWith("model.ckpt-4"));
        var onShards = await cluster.ValuesAsync(includeSlots: true);

        // A single-process TF1 program restores it: variables, Adam slots, beta powers and global_step.
        var m = new Mlp();
        var adam = new AdamOptimizer(0.05);
        var gs = m.G.Variable(Tensor.Scalar(0L), "global_step", trainable: false);
        adam.Minimize(m.Loss, gs);
        using var s = new Session(m.G);
        s.Run(m.G.GlobalVariablesInitializer());
        new Saver(m.G).Restore(s, latest);
        Assert.That(s.Run(gs.Value).Scalar<long>(), Is.EqualTo(steps));
        foreach (var v in m.Variables)
        {
            Assert.That(s.Run(v.Value).ToArray<float>(), Is.EqualTo(onShards[v.Name]), v.Name);
            Assert.That(s.Run(adam.GetSlot(v, "m").Value).ToArray<float>(), Is.EqualTo(onShards[v.Name + "/Adam"]));
        }
        Assert.That(s.Run(adam.Beta2Power!.Value).Scalar<float>(), Is.EqualTo(onShards["beta2_power"][0]));
        using var reader = new CheckpointReader(latest);
        Assert.That(reader.TensorNames, Does.Contain("W2/Adam_1").And.Contain("global_step"));
    }

    [Test]
    public async Task CheckpointsWithABackupReplicaAreTakenAtOneGlobalStep()
    {
        var dir = TempDir();
        const int b = 4, steps = 24;
        var data = new Data(3 * b * steps);
        // Two of three replicas complete a step, so the others move the shards on while the chief saves.
        using var cluster = new Replicas(new DistributedOptimizer(OptimizerSpec.Adam(0.05), 3, ReplicationMode.Sync, replicasToAggregate: 2), shards: 2,
            checkpointDir: dir, saveCheckpointSteps: 1, lastStep: steps);
        await cluster.InitializeAsync();
        await cluster.TrainAsync(data, steps, b);
        Assert.That(cluster.Sessions.Select(s => s.ShouldStop), Is.All.True, "every replica, the slow chief too, stopped at the last step");
        Assert.That(await cluster.Chief.SaveCheckpointAsync(), Does.EndWith("model.ckpt-" + steps), "the final checkpoint (CheckpointSaverHook.end)");
        var paths = Saver.AllCheckpointPaths(dir);
        Assert.That(paths, Has.Count.GreaterThanOrEqualTo(2));
        foreach (var p in paths)
        {
            using var r = new CheckpointReader(Path.Combine(dir, p));
            long gs = r.GetTensor("global_step").Scalar<long>();
            // Every shard's Adam multiplies its beta powers once per global step: the saved one matches the saved step.
            Assert.That(r.GetTensor("beta1_power").Scalar<float>(), Is.EqualTo((float)Math.Pow(0.9, gs + 1)).Within(1e-6), p);
        }
    }

    [Test]
    public async Task OnlyTheChiefWritesCheckpointsAndSummaries()
    {
        var dir = TempDir();
        var logs = TempDir();
        var job = ClusterFixture.NewJob();
        var opt = new DistributedOptimizer(OptimizerSpec.GradientDescent(0.1), 2);
        var data = new Data(32);
        var models = new[] { new Mlp(), new Mlp() };
        var sessions = models.Select((m, r) => new DistributedTrainingSession(ClusterFixture.Cluster.GrainFactory, m.Loss, opt, new DistributedSessionOptions
        {
            Job = job, ReplicaIndex = r, IsChief = r == 0, CheckpointDir = dir, SaveCheckpointSteps = 1,
            SummaryOp = m.G.ScalarSummary("loss", m.Loss), SummaryDir = Path.Combine(logs, r.ToString(System.Globalization.CultureInfo.InvariantCulture)), SaveSummariesSteps = 1,
        })).ToArray();
        try
        {
            await Task.WhenAll(sessions.Select(s => s.InitializeAsync()));
            await Task.WhenAll(sessions.Select((s, r) => s.RunStepAsync(models[r].Feed(data, r * 4, 4))));
            Assert.That(sessions[1].IsChief, Is.False);
            Assert.ThrowsAsync<InvalidOperationException>(() => sessions[1].SaveCheckpointAsync());
            Assert.That(Saver.AllCheckpointPaths(dir), Has.Count.EqualTo(1));
            Assert.That(Directory.GetFiles(Path.Combine(logs, "0"), "events.out.tfevents.*"), Has.Length.EqualTo(1));
            Assert.That(Directory.Exists(Path.Combine(logs, "1")), Is.False, "a non-chief replica writes no summaries");
        }
        finally
        {
            foreach (var s in sessions) s.Dispose();
        }
    }

    [Test]
    public async Task ALostShardFailsTheStepAndTrainingResumesFromTheLastCheckpoint()
    {
        var spec = OptimizerSpec.MomentumOf(0.2, 0.9);
        var dir = TempDir();
        const int b = 4, steps = 6;
        var data = new Data(2 * b * steps);
        var opt = new DistributedOptimizer(spec, 2);
        var job = ClusterFixture.NewJob();
        using (var cluster = new Replicas(opt, shards: 2, job: job, checkpointDir: dir, saveCheckpointSteps: 3))
        {
            await cluster.InitializeAsync();
            await cluster.TrainAsync(data, 4, b);
            // Shard 1 loses its state, as when its silo dies and the grain is activated afresh elsewhere.
            await ClusterFixture.Cluster.GrainFactory.GetGrain<IParameterShardGrain>(job + "/ps/1").Reset();
            var e = Assert.ThrowsAsync<ShardLostException>(() => cluster.TrainAsync(data, steps, b));
            Assert.That(e!.Shard, Is.EqualTo(job + "/ps/1"));
            Assert.That(e.Status, Is.EqualTo(ShardCallStatus.NotInitialized));
        }
        // Shard 0 still holds step 4: a fresh chief must not mix it with a fresh shard 1; it restores both from model.ckpt-3.
        using (var resumed = new Replicas(opt, shards: 2, job: job, checkpointDir: dir, saveCheckpointSteps: 3))
        {
            await resumed.InitializeAsync();
            Assert.That(resumed.Sessions.Select(s => s.GlobalStep), Is.All.EqualTo(3L));
            Assert.That(resumed.Chief.LastCheckpoint, Does.EndWith("model.ckpt-3"));
            await resumed.TrainAsync(data, steps, b);
            using var local = new LocalReference(spec);
            local.Run(data, 0, steps, 2, b);
            var got = await resumed.ValuesAsync(includeSlots: true);
            foreach (var v in local.Model.Variables)
            {
                Assert.That(got[v.Name], Is.EqualTo(local.Value(v)).Within(1e-5), v.Name + ": resuming from the checkpoint gives the uninterrupted run");
                Assert.That(got[v.Name + "/Momentum"], Is.EqualTo(local.Value(local.Optimizer.GetSlot(v, "momentum"))).Within(1e-5));
            }
        }
    }

    [Test]
    public async Task ARestartedReplicaRejoinsAtTheCurrentStep()
    {
        var spec = OptimizerSpec.GradientDescent(0.5);
        const int b = 4, steps = 6;
        var data = new Data(2 * b * steps);
        var opt = new DistributedOptimizer(spec, 2);
        using var cluster = new Replicas(opt, shards: 2);
        await cluster.InitializeAsync();
        await cluster.TrainAsync(data, 3, b);
        // Replica 1 goes away and comes back as a new process would: new graph, new session, same index.
        cluster.Sessions[1].Dispose();
        var m = new Mlp();
        using var again = new DistributedTrainingSession(ClusterFixture.Cluster.GrainFactory, m.Loss, opt, new DistributedSessionOptions { Job = cluster.Job, NumShards = 2, ReplicaIndex = 1 });
        await again.InitializeAsync();
        Assert.That(again.GlobalStep, Is.EqualTo(3L));
        cluster.Sessions[1] = again;
        cluster.Models[1] = m;
        await cluster.TrainAsync(data, steps, b);
        using var local = new LocalReference(spec);
        local.Run(data, 0, steps, 2, b);
        var got = await cluster.ValuesAsync();
        foreach (var v in local.Model.Variables) Assert.That(got[v.Name], Is.EqualTo(local.Value(v)).Within(1e-5), v.Name);
    }

    [Test]
    public async Task ANonChiefReplicaWaitsForTheChiefThenGivesUpWithATypedError()
    {
        var m = new Mlp();
        using var s = new DistributedTrainingSession(ClusterFixture.Cluster.GrainFactory, m.Loss, new DistributedOptimizer(OptimizerSpec.GradientDescent(0.1), 2),
            new DistributedSessionOptions { Job = ClusterFixture.NewJob(), ReplicaIndex = 1, AttachTimeout = TimeSpan.FromMilliseconds(300) });
        var e = Assert.ThrowsAsync<DistributedTrainingException>(() => s.InitializeAsync());
        Assert.That(e!.Message, Does.Contain("not initialized by the chief"));
        await Task.CompletedTask;
    }

    [Test]
    public async Task AStepReportsItsBytesAndTimes()
    {
        var m = new Mlp();
        using var s = new DistributedTrainingSession(ClusterFixture.Cluster.GrainFactory, m.Loss, new DistributedOptimizer(OptimizerSpec.GradientDescent(0.1), 1),
            new DistributedSessionOptions { Job = ClusterFixture.NewJob(), IsChief = true });
        await s.InitializeAsync();
        var r = await s.RunStepAsync(m.Feed(new Data(8), 0, 8));
        // 53 float parameters: 212 bytes of gradients out and of values in, plus names, shapes and framing.
        const int raw = (Mlp.D * Mlp.H + Mlp.H + Mlp.H * Mlp.C + Mlp.C) * 4;
        Assert.That(r.BytesSent, Is.InRange(raw, raw + 200));
        Assert.That(r.BytesReceived, Is.InRange(raw, raw + 200));
        Assert.That(s.BytesSent, Is.GreaterThan(r.BytesSent), "the initial values were sent too");
        Assert.That(r.PullTime + r.ComputeTime + r.PushTime, Is.GreaterThan(TimeSpan.Zero));
    }

    [Test]
    public async Task TheGraphsGlobalStepIsTheShardsStep()
    {
        var dir = TempDir();
        var m = new Mlp();
        var gs = m.G.CreateGlobalStep();
        using var s = new DistributedTrainingSession(ClusterFixture.Cluster.GrainFactory, m.Loss, new DistributedOptimizer(OptimizerSpec.GradientDescent(0.1), 1),
            new DistributedSessionOptions { Job = ClusterFixture.NewJob(), IsChief = true, CheckpointDir = dir });
        Assert.That(s.ShardOf.ContainsKey("global_step"), Is.False, "the global step is not a hosted variable");
        await s.InitializeAsync();
        var data = new Data(8);
        for (int i = 0; i < 3; i++) await s.RunStepAsync(m.Feed(data, 0, 8));
        await s.PullIntoSessionAsync();
        Assert.That(s.Session.Run(gs.Value).Scalar<long>(), Is.EqualTo(3L));
        using var r = new CheckpointReader(await s.SaveCheckpointAsync());
        Assert.That(r.TensorNames.Count(n => n == "global_step"), Is.EqualTo(1));
        Assert.That(r.GetTensor("global_step").Scalar<long>(), Is.EqualTo(3L));
        await s.ReleaseShardsAsync();
        Assert.That((await s.StatusAsync()).Select(st => st.Initialized), Is.All.False);
        Assert.ThrowsAsync<ShardLostException>(() => s.RunStepAsync(m.Feed(data, 0, 8)));
    }

    [Test]
    public async Task AnEmbeddingTrainsLikeLocalGradientDescent()
    {
        // Gather's gradient is sparse locally (GradientDescent's ScatterSub); it travels dense to the shard, with the same result.
        static (Graph G, Output Ids, Variable Table, Output Loss) Build()
        {
            var g = new Graph();
            var ids = g.Placeholder(DType.Int32, new Shape(-1), "ids");
            var table = g.Variable(Tensor.Create(Enumerable.Range(0, 12).Select(i => i * 0.1f).ToArray(), 4, 3), "embedding");
            var loss = g.ReduceSum(g.Square(g.Gather(table, ids)));
            return (g, ids, table, loss);
        }
        var feeds = new[] { new[] { 0, 2 }, new[] { 2, 2 }, new[] { 1, 3 } };
        var (g, ids, table, loss) = Build();
        using var s = new DistributedTrainingSession(ClusterFixture.Cluster.GrainFactory, loss, new DistributedOptimizer(OptimizerSpec.GradientDescent(0.1), 1),
            new DistributedSessionOptions { Job = ClusterFixture.NewJob(), IsChief = true });
        await s.InitializeAsync();
        foreach (var f in feeds) await s.RunStepAsync(new FeedDict { { ids, Tensor.Create(f, f.Length) } });
        var (lg, lids, ltable, lloss) = Build();
        var train = new GradientDescentOptimizer(0.1).Minimize(lloss);
        using var local = new Session(lg);
        local.Run(lg.GlobalVariablesInitializer());
        foreach (var f in feeds) local.Run(train, new FeedDict { { lids, Tensor.Create(f, f.Length) } });
        var (values, _) = await s.PullAsync(false);
        Assert.That(values.Single().Value.ToArray<float>(), Is.EqualTo(local.Run(ltable.Value).ToArray<float>()).Within(1e-6));
    }
}

