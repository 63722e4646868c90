using TensorGraph.Data;
using TensorGraph.Examples;

namespace TensorGraph.Tests.Examples;

/// <summary>
/// examples/DatasetPipeline: the MnistFeed network trained from feed_dict, a tf.data pipeline and
/// TF1 queue runners, shortened; on the real MNIST each path must learn it.
/// </summary>
[Category("Network")]
[CancelAfter(600_000)]
public class DatasetPipelineTests
{
    private static Datasets? s_data;

    private static Datasets Data => s_data ??= Mnist.ReadDataSets(null, seed: 5);

    [TestCase(InputKind.Feed)]
    [TestCase(InputKind.Dataset)]
    [TestCase(InputKind.Queue)]
    public void EveryInputPathLearnsMnist(InputKind kind)
    {
        var log = new StringWriter();
        var r = Pipelines.Run(kind, new PipelineOptions { MaxSteps = 600, LearningRate = 0.1, Seed = 7 }, log, Data);
        Assert.That(r.Kind, Is.EqualTo(kind));
        Assert.That(r.TestPrecision, Is.GreaterThan(0.90), log.ToString());
        Assert.That(r.LastLoss, Is.LessThan(0.6f));
        Assert.That(r.StepsPerSecond, Is.GreaterThan(0));
        Assert.That(log.ToString(), Does.Contain($"[{Pipelines.Name(kind)}] Test precision @ 1: "));
    }

    [TestCase(InputKind.Dataset)]
    [TestCase(InputKind.Queue)]
    public void ThePipelinesRunOnFakeData(InputKind kind)
    {
        // TF's fake data: every image all ones (bytes 255 here, normalized in the graph), every label 0.
        var fake = Mnist.ReadDataSets(null, fakeData: true);
        var r = Pipelines.Run(kind, new PipelineOptions { MaxSteps = 60, Seed = 1 }, TextWriter.Null, fake);
        Assert.That(r.TestPrecision, Is.EqualTo(1.0));
        Assert.That(r.LastLoss, Is.LessThan(0.5f));
    }
}
