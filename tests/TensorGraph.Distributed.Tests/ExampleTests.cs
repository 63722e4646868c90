using TensorGraph.Examples;

namespace TensorGraph.Distributed.Tests;

/// <summary>examples/DistributedMnist on the real MNIST (obtained as the examples do), shortened.</summary>
[Category("Network"), NonParallelizable]
public class ExampleTests
{
    [Test]
    public async Task MnistReplicaLearnsWithTwoSyncWorkersOnLoopback()
    {
        using var log = new StringWriter();
        float acc = await DistributedMnistExample.RunLocalAsync(new DistributedMnistOptions { TrainSteps = 100 }, log);
        var lines = log.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.That(acc, Is.GreaterThan(0.85f), log.ToString());
        Assert.That(lines.Count(l => l.StartsWith("Training ends at global step 100;", StringComparison.Ordinal)), Is.EqualTo(2), "both workers finish at the same global step");
        Assert.That(lines.Count(l => l.Contains("(chief)", StringComparison.Ordinal)), Is.EqualTo(1));
    }
}
