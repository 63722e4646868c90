using TensorGraph.Examples;

namespace TensorGraph.Tests.Examples;

public class CharRnnExampleTests
{
    [Test]
    public void AShortRunLowersTheLossSavesAndSamples()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tg-charrnn-" + Guid.NewGuid().ToString("N"));
        try
        {
            var log = new StringWriter();
            var options = new CharRnnOptions { Epochs = 3, StepsPerEpoch = 6, BatchSize = 8, SeqLength = 20, Units = 32, SampleLength = 40, OutputDir = dir };
            var r = CharRnnExample.Run(options, log);
            // Untrained, the loss is about ln(vocabulary); training brings it down.
            Assert.That(r.EpochLosses[0], Is.LessThan(Math.Log(r.VocabularySize) + 0.3));
            Assert.That(r.EpochLosses[^1], Is.LessThan(r.EpochLosses[0] - 0.3));
            Assert.That(File.Exists(r.CheckpointPath + ".index"), Is.True);
            Assert.That(File.Exists(Path.Combine(dir, "checkpoint")), Is.True);
            Assert.That(r.Sample, Has.Length.EqualTo(3 + 40));
            Assert.That(r.Sample.All(c => CharRnnExample.LoadText().Contains(c)), Is.True);
            var lines = log.ToString().Split('\n');
            Assert.That(lines.Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)), Is.EqualTo(3));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
