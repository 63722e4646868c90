using Orleans.TestingHost;

namespace TensorGraph.Distributed.Tests;

/// <summary>A silo hosting a parameter shard goes away mid-training (its own two-silo cluster, so the shared one is untouched).</summary>
[NonParallelizable]
public class SiloFailureTests
{
    [TestCase(false)]
    [TestCase(true)]
    public async Task LosingTheSiloOfAShardFailsTheStepAndTheChiefResumesFromTheCheckpoint(bool kill)
    {
        await using var cluster = ClusterFixture.NewCluster(2);
        await cluster.DeployAsync();
        var secondary = cluster.SecondarySilos[0];
        var job = ClusterFixture.NewJob();
        var shard1 = cluster.GrainFactory.GetGrain<IParameterShardGrain>(job + "/ps/1");
        // Put shard 1 on the secondary silo before it holds anything, so the test always loses a shard.
        if ((await shard1.GetStatus()).Host != secondary.SiloAddress.ToString())
        {
            await cluster.MigrateAsync(shard1, secondary.SiloAddress);
            for (int i = 0; i < 100 && (await shard1.GetStatus()).Host != secondary.SiloAddress.ToString(); i++) await Task.Delay(20);
        }
        Assert.That((await shard1.GetStatus()).Host, Is.EqualTo(secondary.SiloAddress.ToString()));

        var spec = OptimizerSpec.Adam(0.05);
        var opt = new DistributedOptimizer(spec, 2);
        var dir = Path.Combine(Path.GetTempPath(), "tg-dist-" + Guid.NewGuid().ToString("N")[..8]);
        const int b = 4, steps = 6;
        var data = new Data(2 * b * steps);
        using var local = new LocalReference(spec);
        local.Run(data, 0, steps, 2, b);

        Replicas Make() => new(opt, shards: 2, job: job, checkpointDir: dir, saveCheckpointSteps: 2, grains: cluster.GrainFactory);
        using (var first = Make())
        {
            await first.InitializeAsync();
            await first.TrainAsync(data, 3, b);
            if (kill) await cluster.KillSiloAsync(secondary);
            else await cluster.StopSiloAsync(secondary);
            var e = Assert.CatchAsync<DistributedTrainingException>(() => first.TrainAsync(data, steps, b));
            TestContext.Out.WriteLine($"{e!.GetType().Name}: {e.Message}");
        }
        using var resumed = Make();
        DistributedTrainingException? last = null;
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                await resumed.InitializeAsync();
                last = null;
                break;
            }
            catch (DistributedTrainingException e)
            {
                // Until membership has declared the killed silo dead, calls to its grains fail.
                last = e;
                await Task.Delay(200);
            }
        }
        Assert.That(last, Is.Null, last?.Message);
        Assert.That(resumed.Chief.GlobalStep, Is.EqualTo(2L), "restored from model.ckpt-2");
        await resumed.TrainAsync(data, steps, b);
        var got = await resumed.ValuesAsync(includeSlots: true);
        foreach (var v in local.Model.Variables)
        {
            Assert.That(got[v.Name], Is.EqualTo(local.Value(v)).Within(1e-4), v.Name);
            Assert.That(got[v.Name + "/Adam_1"], Is.EqualTo(local.Value(local.Optimizer.GetSlot(v, "v"))).Within(1e-4));
        }
        var hosts = (await resumed.Chief.StatusAsync()).Select(s => s.Host).Distinct().ToArray();
        Assert.That(hosts, Is.EqualTo(new[] { cluster.Primary!.SiloAddress.ToString() }), "both shards now live on the surviving silo");
    }
}
