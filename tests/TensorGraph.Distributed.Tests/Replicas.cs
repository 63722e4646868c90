namespace TensorGraph.Distributed.Tests;

/// <summary>Replicas of <see cref="Mlp"/> training together on the test cluster, each with its own graph and session, as separate worker processes would.</summary>
internal sealed class Replicas : IDisposable
{
    public Replicas(DistributedOptimizer optimizer, int shards, string? job = null, string? checkpointDir = null, int saveCheckpointSteps = 0,
        VariablePlacement placement = VariablePlacement.RoundRobin, int chunkBytes = DistributedSessionOptions.DefaultChunkBytes, IGrainFactory? grains = null,
        long? lastStep = null)
    {
        Job = job ?? ClusterFixture.NewJob();
        Models = new Mlp[optimizer.Replicas];
        Sessions = new DistributedTrainingSession[optimizer.Replicas];
        for (int r = 0; r < optimizer.Replicas; r++)
        {
            Models[r] = new Mlp();
            Sessions[r] = new DistributedTrainingSession(grains ?? ClusterFixture.Cluster.GrainFactory, Models[r].Loss, optimizer, new DistributedSessionOptions
            {
                Job = Job, NumShards = shards, ReplicaIndex = r, IsChief = r == 0, Placement = placement, ChunkBytes = chunkBytes,
                CheckpointDir = checkpointDir, SaveCheckpointSteps = saveCheckpointSteps, AttachTimeout = TimeSpan.FromSeconds(20), LastStep = lastStep,
            });
        }
    }

    public string Job { get; }
    public Mlp[] Models { get; }
    public DistributedTrainingSession[] Sessions { get; }
    public DistributedTrainingSession Chief => Sessions[0];

    public async Task InitializeAsync() => await Task.WhenAll(Sessions.Select(s => s.InitializeAsync()));

    /// <summary>Every replica trains until the global step reaches <paramref name="steps"/>; replica r at step s feeds rows [(s·N + r)·b, +b).</summary>
    public async Task TrainAsync(Data data, long steps, int b)
    {
        int n = Sessions.Length;
        await Task.WhenAll(Sessions.Select((s, r) => Task.Run(async () =>
        {
            while (s.GlobalStep < steps)
                await s.RunStepAsync(step => Models[r].Feed(data, (int)((step * n + r) * b % data.N), b));
        })));
    }

    public async Task<Dictionary<string, float[]>> ValuesAsync(bool includeSlots = false)
    {
        var (values, _) = await Chief.PullAsync(includeSlots);
        return values.Where(kv => kv.Value.DType == DType.Float32).ToDictionary(kv => kv.Key, kv => kv.Value.ToArray<float>());
    }

    public void Dispose()
    {
        foreach (var s in Sessions) s.Dispose();
    }
}
