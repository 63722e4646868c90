using TensorGraph.Training;

namespace TensorGraph.Distributed.Tests;

/// <summary>
/// What a replica sends besides dense gradients: a learning rate that is a schedule of the global
/// step, the changes a step makes to hosted variables the optimizer does not train (moving
/// averages, counters), and sparse gradients of gathered variables as rows. Each against the
/// single-process run with the combined batch.
/// </summary>
public class ScheduleStateSparseTests
{
    /// <summary>Trains one graph per replica with <paramref name="options"/>'s extras until the global step reaches <paramref name="steps"/>.</summary>
    private static async Task<DistributedTrainingSession[]> Train<TModel>(TModel[] models, Func<TModel, Output> loss, Func<TModel, Output?> learningRate,
        Func<TModel, Output[]> fetches, Func<TModel, long, int, FeedDict> feed, DistributedOptimizer optimizer, long steps, int shards = 2)
    {
        var job = ClusterFixture.NewJob();
        var sessions = models.Select((m, r) => new DistributedTrainingSession(ClusterFixture.Cluster.GrainFactory, loss(m), optimizer, new DistributedSessionOptions
        {
            Job = job, NumShards = shards, ReplicaIndex = r, IsChief = r == 0, LearningRate = learningRate(m), AttachTimeout = TimeSpan.FromSeconds(20),
        })).ToArray();
        await Task.WhenAll(sessions.Select(s => s.InitializeAsync()));
        await Task.WhenAll(sessions.Select((s, r) => Task.Run(async () =>
        {
            while (s.GlobalStep < steps) await s.RunStepAsync(step => feed(models[r], step, r), fetches(models[r]));
        })));
        return sessions;
    }

    private static async Task<Dictionary<string, Tensor>> Values(DistributedTrainingSession chief, bool slots = false) =>
        (await chief.PullAsync(slots)).Values.ToDictionary(kv => kv.Key, kv => kv.Value);

    private static void DisposeAll(IEnumerable<DistributedTrainingSession> sessions)
    {
        foreach (var s in sessions) s.Dispose();
    }

    /// <summary>The MLP with tf.train.exponential_decay(0.5, global_step, 2, 0.5) as its learning rate.</summary>
    private sealed class Scheduled
    {
        public Scheduled()
        {
            Step = M.G.GetOrCreateGlobalStep();
            Rate = LearningRates.ExponentialDecay(M.G, 0.5, Step, 2, 0.5);
        }

        public Mlp M { get; } = new();
        public Variable Step { get; }
        public Output Rate { get; }
    }

    [TestCase(ReplicationMode.Sync, 2)]
    [TestCase(ReplicationMode.Async, 1)]
    public async Task ALearningRateScheduleOfTheGlobalStepReachesTheShards(ReplicationMode mode, int replicas)
    {
        const int b = 4, steps = 6;
        var data = new Data(replicas * b * steps);
        var spec = OptimizerSpec.MomentumOf(123.0, 0.9); // the constant rate is not used: the schedule is
        var models = Enumerable.Range(0, replicas).Select(_ => new Scheduled()).ToArray();
        var sessions = await Train(models, m => m.M.Loss, m => m.Rate, _ => [], (m, s, r) => m.M.Feed(data, (int)((s * replicas + r) * b % data.N), b),
            new DistributedOptimizer(spec, replicas, mode), steps);
        try
        {
            var got = await Values(sessions[0]);
            // Single process: the same schedule on the same global step, batch replicas·b.
            var local = new Scheduled();
            var train = new MomentumOptimizer(local.Rate, 0.9).Minimize(local.M.Loss, local.Step);
            var constant = new Mlp();
            var trainConstant = new MomentumOptimizer(0.5, 0.9).Minimize(constant.Loss);
            using var s = new Session(local.M.G);
            using var c = new Session(constant.G);
            s.Run(local.M.G.GlobalVariablesInitializer());
            c.Run(constant.G.GlobalVariablesInitializer());
            for (int k = 0; k < steps; k++)
            {
                s.Run(train, local.M.Feed(data, k * replicas * b % data.N, replicas * b));
                c.Run(trainConstant, constant.Feed(data, k * replicas * b % data.N, replicas * b));
            }
            Assert.That(s.Run(local.Step.Value).Scalar<long>(), Is.EqualTo(steps));
            for (int i = 0; i < local.M.Variables.Length; i++)
            {
                var v = local.M.Variables[i];
                var want = s.Run(v.Value).ToArray<float>();
                Assert.That(got[v.Name].ToArray<float>(), Is.EqualTo(want).Within(1e-5), v.Name);
                Assert.That(c.Run(constant.Variables[i].Value).ToArray<float>(), Is.Not.EqualTo(want).Within(1e-3), "a constant rate would train differently");
            }
            // The replicas' own graphs see the shards' step, so the schedule they evaluate is at 0.5·0.5^(step/2).
            Assert.That(sessions[0].Session.Run(models[0].Rate).Scalar<float>(), Is.EqualTo((float)(0.5 * Math.Pow(0.5, (steps - 1) / 2.0))).Within(1e-6));
        }
        finally
        {
            DisposeAll(sessions);
        }
    }

    /// <summary>A linear classifier plus batch-norm-style state: a moving mean of x (decay 0.9) and a step counter, both updated by the step's fetches.</summary>
    private sealed class WithState
    {
        public WithState()
        {
            X = G.Placeholder(DType.Float32, new Shape(-1, Mlp.D), "x");
            Y = G.Placeholder(DType.Float32, new Shape(-1, Mlp.C), "y");
            var r = new Random(3);
            W = G.Variable(Tensor.Create([.. Enumerable.Range(0, Mlp.D * Mlp.C).Select(_ => (float)(r.NextDouble() - 0.5))], Mlp.D, Mlp.C), "W");
            MovingMean = G.Variable(Tensor.Create(new float[Mlp.D], Mlp.D), "moving_mean", trainable: false);
            Count = G.Variable(Tensor.Scalar(0L), "count", trainable: false);
            Loss = G.ReduceMean(G.SoftmaxCrossEntropyWithLogits(Y, G.MatMul(X, W)));
            // TF's assign_moving_average: v -= (v - value) · (1 - decay).
            Update = G.AssignSub(MovingMean, G.Multiply(G.Subtract(MovingMean.Value, G.ReduceMean(X, [0])), G.Constant(0.1f)));
            Counted = G.AssignAdd(Count, G.Constant(1L));
        }

        public Graph G { get; } = new();
        public Output X { get; }
        public Output Y { get; }
        public Variable W { get; }
        public Variable MovingMean { get; }
        public Variable Count { get; }
        public Output Loss { get; }
        public Output Update { get; }
        public Output Counted { get; }

        public FeedDict Feed(Data data, int start, int count) => new()
        {
            { X, Tensor.Create(data.X.AsSpan(start * Mlp.D, count * Mlp.D).ToArray(), count, Mlp.D) },
            { Y, Tensor.Create(data.Y.AsSpan(start * Mlp.C, count * Mlp.C).ToArray(), count, Mlp.C) },
        };
    }

    [Test]
    public async Task SyncStateUpdatesAreAveragedLikeOneStepOnTheCombinedBatch()
    {
        const int replicas = 2, b = 5, steps = 6;
        var data = new Data(replicas * b * steps);
        var models = Enumerable.Range(0, replicas).Select(_ => new WithState()).ToArray();
        var sessions = await Train(models, m => m.Loss, _ => null, m => [m.Update, m.Counted], (m, s, r) => m.Feed(data, (int)((s * replicas + r) * b % data.N), b),
            new DistributedOptimizer(OptimizerSpec.GradientDescent(0.5), replicas), steps);
        try
        {
            var got = await Values(sessions[0]);
            var local = new WithState();
            var train = new GradientDescentOptimizer(0.5).Minimize(local.Loss);
            using var s = new Session(local.G);
            s.Run(local.G.GlobalVariablesInitializer());
            for (int k = 0; k < steps; k++) s.Run([train, local.Update, local.Counted], local.Feed(data, k * replicas * b % data.N, replicas * b));
            var mean = s.Run(local.MovingMean.Value).ToArray<float>();
            Assert.That(mean, Is.Not.EqualTo(new float[Mlp.D]).Within(1e-3), "the moving mean moved");
            Assert.That(got["moving_mean"].ToArray<float>(), Is.EqualTo(mean).Within(1e-6), "the moving mean of the combined batch's means");
            Assert.That(got["count"].Scalar<long>(), Is.EqualTo(steps), "one count per global step, as one process would count");
            Assert.That(got["W"].ToArray<float>(), Is.EqualTo(s.Run(local.W.Value).ToArray<float>()).Within(1e-5));
        }
        finally
        {
            DisposeAll(sessions);
        }
    }

    [Test]
    public async Task AsyncStateUpdatesLandOnArrival()
    {
        const int replicas = 2, b = 5, steps = 8;
        var data = new Data(replicas * b * steps);
        var models = Enumerable.Range(0, replicas).Select(_ => new WithState()).ToArray();
        var sessions = await Train(models, m => m.Loss, _ => null, m => [m.Update, m.Counted], (m, s, r) => m.Feed(data, (int)((s * replicas + r) * b % data.N), b),
            new DistributedOptimizer(OptimizerSpec.GradientDescent(0.1), replicas, ReplicationMode.Async), steps);
        try
        {
            var got = await Values(sessions[0]);
            var status = await sessions[0].StatusAsync();
            Assert.That(got["count"].Scalar<long>(), Is.EqualTo(status[0].AppliedUpdates), "every replica step's increment is applied (TF's async assign_add)");
            // Every moving-mean update pulls toward a batch mean of x, whose components lie in (-1, 1); it moved from zero.
            var mm = got["moving_mean"].ToArray<float>();
            Assert.That(mm.Any(v => Math.Abs(v) > 1e-3), Is.True);
            Assert.That(mm.All(v => Math.Abs(v) < 1), Is.True);
        }
        finally
        {
            DisposeAll(sessions);
        }
    }

    /// <summary>An embedding table looked up by ids (its gradient is IndexedSlices) and a dense readout.</summary>
    private sealed class Embedding
    {
        public const int V = 1000, E = 8;

        public Embedding()
        {
            var r = new Random(5);
            Table = G.Variable(Tensor.Create([.. Enumerable.Range(0, V * E).Select(_ => (float)(r.NextDouble() - 0.5))], V, E), "embedding");
            W = G.Variable(Tensor.Create([.. Enumerable.Range(0, E).Select(_ => (float)(r.NextDouble() - 0.5))], E, 1), "readout");
            Ids = G.Placeholder(DType.Int32, new Shape(-1), "ids");
            Target = G.Placeholder(DType.Float32, new Shape(-1, 1), "target");
            Loss = G.ReduceMean(G.Square(G.Subtract(G.MatMul(G.Gather(Table, Ids), W), Target)));
        }

        public Graph G { get; } = new();
        public Variable Table { get; }
        public Variable W { get; }
        public Output Ids { get; }
        public Output Target { get; }
        public Output Loss { get; }

        /// <summary>Rows [start, start+count) of the id/target data (ids repeat within and across batches).</summary>
        public FeedDict Feed(int[] ids, float[] targets, int start, int count) => new()
        {
            { Ids, Tensor.Create(ids.AsSpan(start, count).ToArray(), count) },
            { Target, Tensor.Create(targets.AsSpan(start, count).ToArray(), count, 1) },
        };
    }

    private static IEnumerable<TestCaseData> SparseOptimizers()
    {
        yield return new TestCaseData(OptimizerSpec.MomentumOf(0.5, 0.9)).SetName("SparseMomentumSync");
        yield return new TestCaseData(OptimizerSpec.Adagrad(0.5)).SetName("SparseAdagradSync");
        yield return new TestCaseData(OptimizerSpec.Adam(0.05)).SetName("SparseAdamSync");
    }

    [TestCaseSource(nameof(SparseOptimizers))]
    public async Task SparseGradientsTravelAsRowsAndApplyAsTheLocalSparseUpdate(OptimizerSpec spec)
    {
        const int replicas = 2, b = 4, steps = 6;
        var r = new Random(11);
        // A small id range so rows repeat within a batch, across replicas and across steps.
        var ids = Enumerable.Range(0, replicas * b * steps).Select(_ => r.Next(6)).ToArray();
        var targets = ids.Select(_ => (float)r.NextDouble()).ToArray();
        var models = Enumerable.Range(0, replicas).Select(_ => new Embedding()).ToArray();
        var job = ClusterFixture.NewJob();
        var sessions = models.Select((m, k) => new DistributedTrainingSession(ClusterFixture.Cluster.GrainFactory, m.Loss, new DistributedOptimizer(spec, replicas),
            new DistributedSessionOptions { Job = job, NumShards = 2, ReplicaIndex = k, IsChief = k == 0, AttachTimeout = TimeSpan.FromSeconds(20) })).ToArray();
        try
        {
            await Task.WhenAll(sessions.Select(s => s.InitializeAsync()));
            long maxSent = 0;
            await Task.WhenAll(sessions.Select((s, k) => Task.Run(async () =>
            {
                while (s.GlobalStep < steps)
                {
                    var res = await s.RunStepAsync(step => models[k].Feed(ids, targets, (int)(step * replicas + k) * b, b));
                    Interlocked.Exchange(ref maxSent, Math.Max(Interlocked.Read(ref maxSent), res.BytesSent));
                }
            })));
            Assert.That(maxSent, Is.LessThan(Embedding.V * Embedding.E * sizeof(float) / 20), "a step sends the looked-up rows, not the whole table");
            var got = await Values(sessions[0], slots: true);

            var local = new Embedding();
            var opt = spec.Create();
            var train = opt.Minimize(local.Loss);
            using var sess = new Session(local.G);
            sess.Run(local.G.GlobalVariablesInitializer());
            for (int k = 0; k < steps; k++) sess.Run(train, local.Feed(ids, targets, k * replicas * b, replicas * b));
            foreach (var v in new[] { local.Table, local.W })
            {
                Assert.That(got[v.Name].ToArray<float>(), Is.EqualTo(sess.Run(v.Value).ToArray<float>()).Within(1e-5), v.Name);
                foreach (var slot in opt.SlotNames)
                {
                    var sv = opt.GetSlot(v, slot);
                    Assert.That(got[sv.Name].ToArray<float>(), Is.EqualTo(sess.Run(sv.Value).ToArray<float>()).Within(1e-5), sv.Name);
                }
            }
            // Rows no batch looked up are untouched (a dense update of zeros would still move Momentum's and Adam's rows).
            var table = got["embedding"].ToArray<float>();
            var initial = new Embedding();
            using var fresh = new Session(initial.G);
            fresh.Run(initial.G.GlobalVariablesInitializer());
            var start = fresh.Run(initial.Table.Value).ToArray<float>();
            Assert.That(table.AsSpan(10 * Embedding.E).SequenceEqual(start.AsSpan(10 * Embedding.E)), Is.True);
            Assert.That(table.AsSpan(0, 6 * Embedding.E).SequenceEqual(start.AsSpan(0, 6 * Embedding.E)), Is.False);
        }
        finally
        {
            DisposeAll(sessions);
        }
    }
}
