namespace TensorGraph.Distributed.Tests;

/// <summary>The shard grain's protocol, called directly: staleness, duplicates, incarnations and chunked transfers.</summary>
public class ShardTests
{
    private static readonly float[] W0 = [1f, 2f, 3f];

    private static async Task<(IParameterShardGrain Shard, Guid Incarnation)> NewShard(ReplicationMode mode, int replicas, int aggregate, double lr = 1.0,
        Dictionary<string, Tensor>? values = null, int chunkBytes = DistributedSessionOptions.DefaultChunkBytes)
    {
        var shard = ClusterFixture.Cluster.GrainFactory.GetGrain<IParameterShardGrain>(ClusterFixture.NewJob() + "/ps/0");
        var inc = Guid.NewGuid();
        values ??= new() { ["w"] = Tensor.Create(W0, 3) };
        var config = new ShardConfig
        {
            Incarnation = inc, Variables = [.. values.Keys], Trainable = [.. values.Keys], Optimizer = OptimizerSpec.GradientDescent(lr),
            Mode = mode, Replicas = replicas, ReplicasToAggregate = aggregate, ChunkBytes = chunkBytes,
        };
        var status = await shard.Initialize(config, new Payload { Inline = TensorSet.Encode(values) });
        Assert.That(status.Initialized, Is.True);
        return (shard, inc);
    }

    private static Payload Grad(params float[] g) => new() { Inline = TensorSet.Encode([new("grad:w", Tensor.Create(g, g.Length))]) };

    private static async Task<float[]> Values(IParameterShardGrain shard, Guid inc)
    {
        var r = await shard.Pull(inc, false);
        Assert.That(r.Status, Is.EqualTo(ShardCallStatus.Ok), r.Message);
        return TensorSet.Decode(r.Inline!).Single().Value.ToArray<float>();
    }

    [Test]
    public async Task StaleGradientsAreDroppedAndDoNotTouchTheParameters()
    {
        // Three replicas, two to aggregate (one backup worker), as SyncReplicasOptimizer(replicas_to_aggregate=2, total_num_replicas=3).
        var (shard, inc) = await NewShard(ReplicationMode.Sync, replicas: 3, aggregate: 2);
        var first = shard.Push(inc, 0, 0, Grad(1, 0, 0));
        Assert.That(first.IsCompleted, Is.False, "replica 0 waits at the barrier");
        var second = await shard.Push(inc, 1, 0, Grad(0, 1, 0));
        Assert.That((second.Status, second.Step), Is.EqualTo((ShardCallStatus.Ok, 1L)));
        Assert.That((await first).Step, Is.EqualTo(1L));
        var late = await shard.Push(inc, 2, 0, Grad(100, 100, 100));
        Assert.That(late.Status, Is.EqualTo(ShardCallStatus.Stale), late.Message);
        // w − lr·mean(g0, g1) = [1 − 0.5, 2 − 0.5, 3]; the late gradient changed nothing.
        Assert.That(await Values(shard, inc), Is.EqualTo(new[] { 0.5f, 1.5f, 3f }));
        var status = await shard.GetStatus();
        Assert.That((status.Step, status.DroppedGradients, status.AppliedUpdates), Is.EqualTo((1L, 1L, 1L)));
        var ahead = await shard.Push(inc, 2, 5, Grad(1, 1, 1));
        Assert.That(ahead.Status, Is.EqualTo(ShardCallStatus.AheadOfShard));
    }

    [Test]
    public async Task ARepeatedPushOfOneReplicaCountsOnce()
    {
        var (shard, inc) = await NewShard(ReplicationMode.Sync, replicas: 2, aggregate: 2);
        var a = shard.Push(inc, 0, 0, Grad(2, 0, 0));
        while ((await shard.GetStatus()).PendingReplicas == 0) await Task.Delay(5);
        var again = shard.Push(inc, 0, 0, Grad(50, 50, 50)); // a restarted replica 0 re-sending step 0
        await Task.Delay(50);
        Assert.That(a.IsCompleted || again.IsCompleted, Is.False, "one replica alone does not complete the step");
        var b = await shard.Push(inc, 1, 0, Grad(0, 2, 0));
        Assert.That((await a).Status, Is.EqualTo(ShardCallStatus.Ok));
        Assert.That((await again).Step, Is.EqualTo(1L));
        Assert.That(b.Step, Is.EqualTo(1L));
        Assert.That(await Values(shard, inc), Is.EqualTo(new[] { 0f, 1f, 3f }));
    }

    [Test]
    public async Task AsyncModeAppliesEachPushAtOnce()
    {
        var (shard, inc) = await NewShard(ReplicationMode.Async, replicas: 2, aggregate: 2, lr: 0.5);
        Assert.That((await shard.Push(inc, 1, 0, Grad(2, 0, 0))).Step, Is.EqualTo(1L));
        Assert.That((await shard.Push(inc, 0, 0, Grad(0, 2, 0))).Step, Is.EqualTo(2L), "async mode has no staleness check");
        Assert.That(await Values(shard, inc), Is.EqualTo(new[] { 0f, 1f, 3f }));
    }

    [Test]
    public async Task CallsOfAnotherIncarnationOrAfterALossAreRefused()
    {
        var (shard, inc) = await NewShard(ReplicationMode.Sync, 1, 1);
        Assert.That((await shard.Push(Guid.NewGuid(), 0, 0, Grad(1, 1, 1))).Status, Is.EqualTo(ShardCallStatus.WrongIncarnation));
        Assert.That(await Values(shard, inc), Is.EqualTo(W0), "a refused push changes nothing");
        await shard.Reset();
        Assert.That((await shard.GetStatus()).Initialized, Is.False);
        Assert.That((await shard.Pull(inc, false)).Status, Is.EqualTo(ShardCallStatus.NotInitialized));
        Assert.That((await shard.Push(inc, 0, 0, Grad(1, 1, 1))).Status, Is.EqualTo(ShardCallStatus.NotInitialized));
    }

    [Test]
    public async Task MalformedGradientsAreRefusedWithTheVariableNamed()
    {
        var (shard, inc) = await NewShard(ReplicationMode.Async, 1, 1);
        var r = await shard.Push(inc, 0, 0, Grad(1, 2));
        Assert.That(r.Status, Is.EqualTo(ShardCallStatus.BadRequest));
        Assert.That(r.Message, Does.Contain("'w'"));
        r = await shard.Push(inc, 1, 0, Grad(1, 2, 3));
        Assert.That(r.Status, Is.EqualTo(ShardCallStatus.BadRequest), "a one-replica job has no replica 1");
        Assert.That(r.Message, Does.Contain("replica 1"));
        r = await shard.Push(inc, 0, 0, new Payload { Inline = [1, 2, 3] });
        Assert.That(r.Status, Is.EqualTo(ShardCallStatus.BadRequest));
        r = await shard.Push(inc, 0, 0, new Payload { Inline = TensorSet.Encode([new("w", Tensor.Create(W0, 3))]) });
        Assert.That(r.Message, Does.Contain("unknown entry 'w'"));
        r = await shard.Push(inc, 0, 0, new Payload { Inline = TensorSet.Encode([new("values:w", Tensor.Create(W0, 3)), new("indices:w", Tensor.Create(new[] { 0, 1, 2 }, 3))]) });
        Assert.That(r.Message, Does.Contain("'w' must be dense"));
        r = await shard.Push(inc, 0, 0, new Payload { Inline = TensorSet.Encode([new("grad:w", Tensor.Create(W0, 3)), new(":learning_rate", Tensor.Scalar(0.5))]) });
        Assert.That(r.Message, Does.Contain("learning rate is a constant"));
        Assert.That(await Values(shard, inc), Is.EqualTo(W0), "no refused push changes a value");
    }

    [Test]
    public async Task SparseRowsAndStateChangesAreCheckedAndApplied()
    {
        var shard = ClusterFixture.Cluster.GrainFactory.GetGrain<IParameterShardGrain>(ClusterFixture.NewJob() + "/ps/0");
        var inc = Guid.NewGuid();
        var config = new ShardConfig
        {
            Incarnation = inc, Variables = ["emb", "count"], Trainable = ["emb"], Sparse = ["emb"], SparseIndexTypes = [DType.Int64],
            Optimizer = OptimizerSpec.GradientDescent(0.5), Mode = ReplicationMode.Async, LearningRateFed = true,
        };
        var values = new Dictionary<string, Tensor> { ["emb"] = Tensor.Create(new float[] { 1, 1, 2, 2, 3, 3 }, 3, 2), ["count"] = Tensor.Scalar(10) };
        await shard.Initialize(config, new Payload { Inline = TensorSet.Encode(values) });
        Payload P(long[] idx, float[] rows, double? lr, int? delta)
        {
            List<KeyValuePair<string, Tensor>> e = [new("values:emb", Tensor.Create(rows, idx.Length, 2)), new("indices:emb", Tensor.Create(idx, idx.Length))];
            if (lr is { } l) e.Add(new(":learning_rate", Tensor.Scalar(l)));
            if (delta is { } d) e.Add(new("delta:count", Tensor.Scalar(d)));
            return new Payload { Inline = TensorSet.Encode(e) };
        }
        var bad = await shard.Push(inc, 0, 0, P([0, 3], [1, 1, 1, 1], 0.5, null));
        Assert.That(bad.Message, Does.Contain("out of range [0, 3)"));
        bad = await shard.Push(inc, 0, 0, P([0], [1, 1], null, null));
        Assert.That(bad.Message, Does.Contain("no learning rate"));
        var ok = await shard.Push(inc, 0, 0, P([2, 0, 2], [1, 2, 3, 4, 5, 6], 0.1, 5));
        Assert.That(ok.Status, Is.EqualTo(ShardCallStatus.Ok), ok.Message);
        var r = await shard.Pull(inc, false);
        var got = TensorSet.Decode(r.Inline!).ToDictionary(kv => kv.Key, kv => kv.Value);
        // Row 2 gets (1,2)+(5,6) = (6,8), row 0 gets (3,4); lr 0.1 as sent, not the constant 0.5; row 1 untouched.
        Assert.That(got["emb"].ToArray<float>(), Is.EqualTo(new[] { 1 - 0.3f, 1 - 0.4f, 2f, 2f, 3 - 0.6f, 3 - 0.8f }).Within(1e-6f));
        Assert.That(got["count"].Scalar<int>(), Is.EqualTo(15), "the replica's change of a state variable is added");
    }

    [Test]
    public void TensorSetsSplitAndJoinExactly()
    {
        var r = new Random(3);
        var big = Enumerable.Range(0, 100_003).Select(_ => (float)r.NextDouble() * 1e30f).ToArray();
        big[5] = float.NaN;
        big[6] = float.NegativeInfinity;
        big[7] = -0f;
        var data = TensorSet.Encode([new("big", Tensor.Create(big, big.Length)), new("d", Tensor.Create(new[] { Math.PI, 1e-300 }, 2))]);
        var chunks = TensorSet.Split(data, 7919);
        Assert.That(chunks, Has.Length.EqualTo((data.Length + 7918) / 7919));
        Assert.That(chunks.All(c => c.Length <= 7919), Is.True);
        var back = TensorSet.Decode(TensorSet.Join(chunks));
        Assert.That(back.Select(kv => kv.Key), Is.EqualTo(new[] { "big", "d" }));
        Assert.That(back[0].Value.AsSpan<float>().ToArray().Select(BitConverter.SingleToInt32Bits), Is.EqualTo(big.Select(BitConverter.SingleToInt32Bits)));
        Assert.That(back[1].Value.ToArray<double>(), Is.EqualTo(new[] { Math.PI, 1e-300 }));
        Assert.Throws<InvalidDataException>(() => TensorSet.Decode(data.AsSpan(0, data.Length - 3).ToArray()));
        // Names longer than 127 UTF-8 bytes take a two-byte length prefix.
        var longName = string.Concat(Enumerable.Repeat("scope_ä/", 30)) + "kernel";
        var named = TensorSet.Decode(TensorSet.Encode([new(longName, Tensor.Create(new[] { 1, 2 }, 2)), new("", Tensor.Scalar(3L))]));
        Assert.That(named.Select(kv => kv.Key), Is.EqualTo(new[] { longName, "" }));
        Assert.That(named[0].Value.ToArray<int>(), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(named[1].Value.Scalar<long>(), Is.EqualTo(3L));
    }

    [Test]
    public async Task ALargeVariableTravelsInChunksBothWays()
    {
        // 300,000 floats (1.2 MB) with 64 KiB chunks: initialization, pull and push are each about 19 messages.
        const int n = 300_000, chunk = 64 << 10;
        var r = new Random(11);
        var w = Enumerable.Range(0, n).Select(_ => (float)r.NextDouble()).ToArray();
        var g = Enumerable.Range(0, n).Select(_ => (float)r.NextDouble()).ToArray();
        var shard = ClusterFixture.Cluster.GrainFactory.GetGrain<IParameterShardGrain>(ClusterFixture.NewJob() + "/ps/0");
        var inc = Guid.NewGuid();
        var init = TensorSet.Encode([new("w", Tensor.Create(w, n))]);
        var id = Guid.NewGuid();
        var parts = TensorSet.Split(init, chunk);
        Assert.That(parts, Has.Length.GreaterThan(10));
        for (int i = 0; i < parts.Length; i++) await shard.UploadChunk(id, i, parts.Length, parts[i]);
        await shard.Initialize(new ShardConfig
        {
            Incarnation = inc, Variables = ["w"], Trainable = ["w"], Optimizer = OptimizerSpec.GradientDescent(1.0), Mode = ReplicationMode.Async,
            Replicas = 1, ReplicasToAggregate = 1, ChunkBytes = chunk,
        }, new Payload { Transfer = id, Chunks = parts.Length });

        async Task<float[]> PullChunked()
        {
            var p = await shard.Pull(inc, false);
            Assert.That(p.Inline, Is.Null, "too large to travel inline");
            Assert.That(p.Chunks, Is.EqualTo(parts.Length));
            var got = new byte[p.Chunks][];
            for (int c = 0; c < p.Chunks; c++) got[c] = await shard.ReadChunk(p.Snapshot, c);
            return TensorSet.Decode(TensorSet.Join(got)).Single().Value.ToArray<float>();
        }

        Assert.That(await PullChunked(), Is.EqualTo(w), "exact round trip");
        var gid = Guid.NewGuid();
        var gparts = TensorSet.Split(TensorSet.Encode([new("grad:w", Tensor.Create(g, n))]), chunk);
        for (int i = 0; i < gparts.Length; i++) await shard.UploadChunk(gid, i, gparts.Length, gparts[i]);
        var resp = await shard.Push(inc, 0, 0, new Payload { Transfer = gid, Chunks = gparts.Length });
        Assert.That(resp.Status, Is.EqualTo(ShardCallStatus.Ok), resp.Message);
        var after = await PullChunked();
        Assert.That(after, Is.EqualTo(w.Select((x, i) => x - g[i]).ToArray()), "w − 1·g, computed in float like the kernel");
    }

    [Test]
    public async Task AnIncompleteUploadIsRefused()
    {
        var (shard, inc) = await NewShard(ReplicationMode.Async, 1, 1);
        var id = Guid.NewGuid();
        await shard.UploadChunk(id, 0, 2, [1, 2]);
        var r = await shard.Push(inc, 0, 0, new Payload { Transfer = id, Chunks = 2 });
        Assert.That(r.Status, Is.EqualTo(ShardCallStatus.BadRequest));
        Assert.That(r.Message, Does.Contain("incomplete"));
    }
}
