using TensorGraph.Keras.Callbacks;
using TensorGraph.Keras.Layers;
using TensorGraph.Keras.Optimizers;

namespace TensorGraph.Keras.Tests;

/// <summary>
/// Callbacks on y = w·x with one sample x = 1, target 1, mse and SGD: w ← w − lr·2(w − 1), so
/// from w = 0 with lr 0.1: 0.2, 0.36, 0.488, … Validation target −1: val_loss = (w + 1)² grows.
/// </summary>
public class CallbackTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        Backend.ClearSession(seed: 11);
        _dir = Path.Combine(Path.GetTempPath(), "tg-keras-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private static readonly Tensor X = Tensor.Create(new[] { 1f }, 1, 1);
    private static readonly Tensor Y = Tensor.Create(new[] { 1f }, 1);
    private static readonly Tensor VY = Tensor.Create(new[] { -1f }, 1);

    private static Sequential Line(double lr = 0.1)
    {
        var model = new Sequential(new Dense(1, useBias: false, kernelInitializer: "zeros", inputShape: [1]));
        model.Compile(new SGD(lr), "mse");
        model.Writer = new StringWriter();
        return model;
    }

    private static float W(Model m) => m.GetWeights()[0].ToArray<float>()[0];

    [Test]
    public void HistoryRecordsEveryEpoch()
    {
        var model = Line();
        var h = model.Fit(X, Y, epochs: 3, verbose: 0, validationData: (X, VY));
        Assert.That(h["loss"], Is.EqualTo(new[] { 1.0, 0.64, 0.4096 }).Within(1e-6));
        Assert.That(h["val_loss"], Is.EqualTo(new[] { 1.44, 1.36 * 1.36, 1.488 * 1.488 }).Within(1e-5));
        Assert.That(model.History, Is.SameAs(h));
        Assert.That(h.Values.Keys, Is.EquivalentTo(new[] { "loss", "val_loss" }));
    }

    [Test]
    public void EarlyStoppingRestoresBestWeights()
    {
        var model = Line();
        var es = new EarlyStopping(monitor: "val_loss", patience: 1, restoreBestWeights: true, verbose: 1);
        var h = model.Fit(X, Y, epochs: 10, verbose: 0, validationData: (X, VY), callbacks: [es]);
        Assert.That(h.Epoch, Is.EqualTo(new[] { 0, 1 }));
        Assert.That(es.StoppedEpoch, Is.EqualTo(1));
        Assert.That(W(model), Is.EqualTo(0.2f).Within(1e-6));
        Assert.That(model.Writer.ToString(), Does.Contain("Epoch 00002: early stopping"));
    }

    [Test]
    public void EarlyStoppingWithoutRestoreKeepsLastWeightsAndHonoursPatience()
    {
        var model = Line();
        var h = model.Fit(X, Y, epochs: 10, verbose: 0, validationData: (X, VY), callbacks: [new EarlyStopping(patience: 3)]);
        Assert.That(h.Epoch, Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(W(model), Is.EqualTo(1 - Math.Pow(0.8, 4)).Within(1e-6));
    }

    [Test]
    public void ModelCheckpointEpochNamesAndBestOnly()
    {
        var model = Line();
        var all = new ModelCheckpoint(Path.Combine(_dir, "w.{epoch:02d}-{loss:.2f}"), verbose: 1);
        var best = new ModelCheckpoint(Path.Combine(_dir, "best"), monitor: "val_loss", saveBestOnly: true, verbose: 1);
        model.Fit(X, Y, epochs: 3, verbose: 0, validationData: (X, VY), callbacks: [all, best]);
        Assert.That(all.Saved.Select(Path.GetFileName), Is.EqualTo(new[] { "w.01-1.00", "w.02-0.64", "w.03-0.41" }));
        Assert.That(best.Saved.Select(Path.GetFileName), Is.EqualTo(new[] { "best" }));
        var log = model.Writer.ToString()!;
        Assert.That(log, Does.Contain("Epoch 00001: val_loss improved from inf to 1.44000, saving model to "));
        Assert.That(log, Does.Contain("Epoch 00002: val_loss did not improve from 1.44000"));

        // The checkpoints hold the weights after their epoch.
        model.LoadWeights(all.Saved[1]);
        Assert.That(W(model), Is.EqualTo(0.36f).Within(1e-6));
        model.LoadWeights(best.Saved[0]);
        Assert.That(W(model), Is.EqualTo(0.2f).Within(1e-6));
    }

    [Test]
    public void LearningRateSchedulerSetsTheRateEachEpoch()
    {
        var model = Line();
        var h = model.Fit(X, Y, epochs: 2, verbose: 0, callbacks: [new LearningRateScheduler((epoch, lr) => 0.1 * (epoch + 1))]);
        // Epoch 0 at lr 0.1: w = 0.2; epoch 1 at lr 0.2: w = 0.2 + 0.2·2·0.8 = 0.52.
        Assert.That(W(model), Is.EqualTo(0.52f).Within(1e-6));
        Assert.That(h["lr"], Is.EqualTo(new[] { 0.1, 0.2 }).Within(1e-9));
    }

    [Test]
    public void CsvLoggerWritesHeaderAndRows()
    {
        var model = Line();
        var path = Path.Combine(_dir, "log.csv");
        using (var csv = new CSVLogger(path))
            model.Fit(X, Y, epochs: 2, verbose: 0, validationData: (X, VY), callbacks: [csv]);
        var lines = File.ReadAllLines(path);
        Assert.That(lines[0], Is.EqualTo("epoch,loss,val_loss"));
        Assert.That(lines, Has.Length.EqualTo(3));
        var row = lines[2].Split(',');
        Assert.That(row[0], Is.EqualTo("1"));
        Assert.That(double.Parse(row[1], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(0.64).Within(1e-6));
    }

    [Test]
    public void CallbackHooksRunInKerasOrder()
    {
        var model = Line();
        var rec = new Recorder();
        model.Fit(Tensor.Create(new[] { 1f, 1, 1 }, 3, 1), Tensor.Create(new[] { 1f, 1, 1 }, 3), batchSize: 2, epochs: 2, verbose: 0, callbacks: [rec]);
        Assert.That(rec.Events, Is.EqualTo(new[]
        {
            "train_begin", "epoch_begin 0", "batch_begin 0", "batch_end 0", "batch_begin 1", "batch_end 1", "epoch_end 0",
            "epoch_begin 1", "batch_begin 0", "batch_end 0", "batch_begin 1", "batch_end 1", "epoch_end 1", "train_end",
        }));
        Assert.That(rec.Model, Is.SameAs(model));
        Assert.That(rec.Params["steps"], Is.EqualTo(2));
        Assert.That(rec.Params["samples"], Is.EqualTo(3));
    }

    [Test]
    public void SaveAndLoadWeightsRoundTrip()
    {
        var model = new Sequential(new Dense(3, inputShape: [2]), new Dense(1));
        var before = model.GetWeights();
        var path = model.SaveWeights(Path.Combine(_dir, "ckpt"));
        model.SetWeights([.. before.Select(t => Tensor.Create(new float[t.Size], t.Dims.ToArray()))]);
        Assert.That(model.GetWeights()[0].ToArray<float>(), Is.All.EqualTo(0f));
        model.LoadWeights(path);
        var after = model.GetWeights();
        for (int i = 0; i < before.Length; i++) Assert.That(after[i].ToArray<float>(), Is.EqualTo(before[i].ToArray<float>()));
        Assert.That(File.Exists(Path.Combine(_dir, "checkpoint")), Is.True);
        Assert.Throws<ArgumentException>(() => model.SetWeights([before[0]]));
    }

    private sealed class Recorder : Callback
    {
        public List<string> Events { get; } = [];
        public override void OnTrainBegin(IDictionary<string, double> logs) => Events.Add("train_begin");
        public override void OnTrainEnd(IDictionary<string, double> logs) => Events.Add("train_end");
        public override void OnEpochBegin(int epoch, IDictionary<string, double> logs) => Events.Add($"epoch_begin {epoch}");
        public override void OnEpochEnd(int epoch, IDictionary<string, double> logs) => Events.Add($"epoch_end {epoch}");
        public override void OnTrainBatchBegin(int batch, IDictionary<string, double> logs) => Events.Add($"batch_begin {batch}");
        public override void OnTrainBatchEnd(int batch, IDictionary<string, double> logs) => Events.Add($"batch_end {batch}");
    }
}

public class MoreCallbackTests
{
    [SetUp]
    public void SetUp() => Backend.ClearSession(seed: 17);

    [Test]
    public void TensorBoardWritesEpochScalarsAndTheGraph()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tg-keras-tb-" + Guid.NewGuid().ToString("N"));
        try
        {
            var model = new Sequential(new Dense(1, useBias: false, kernelInitializer: "zeros", inputShape: [1]));
            model.Compile(new SGD(0.1), "mse", ["mae"]);
            var x = Tensor.Create(new[] { 1f }, 1, 1);
            var y = Tensor.Create(new[] { 1f }, 1);
            var tb = new TensorBoard(dir);
            model.Fit(x, y, epochs: 2, verbose: 0, validationData: (x, y), callbacks: [tb]);
            var events = TensorGraph.Serialization.EventFileReader.ReadEvents(Directory.GetFiles(dir, "events.out.tfevents.*").Single()).ToArray();
            Assert.That(events.Any(e => e.GraphDef.Length > 0), Is.True);
            var scalars = events.Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value.Select(v => (e.Step, v.Tag, (double)v.SimpleValue))).ToArray();
            Assert.That(scalars.Select(s => (s.Step, s.Tag)), Is.EquivalentTo(new[]
            {
                (0L, "epoch_loss"), (0L, "epoch_mae"), (0L, "epoch_val_loss"), (0L, "epoch_val_mae"),
                (1L, "epoch_loss"), (1L, "epoch_mae"), (1L, "epoch_val_loss"), (1L, "epoch_val_mae"),
            }));
            Assert.That(scalars.Single(s => s.Step == 1 && s.Tag == "epoch_loss").Item3, Is.EqualTo(0.64).Within(1e-6));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Test]
    public void ReduceLROnPlateauCutsTheRateAfterPatience()
    {
        var model = new Sequential(new Dense(1, useBias: false, kernelInitializer: "zeros", inputShape: [1]));
        model.Compile(new SGD(0.1), "mse");
        var x = Tensor.Create(new[] { 1f }, 1, 1);
        // Validation loss (w + 1)² only grows: the rate is cut at epochs 2 and 4 (patience 2).
        var h = model.Fit(x, Tensor.Create(new[] { 1f }, 1), epochs: 5, verbose: 0, validationData: (x, Tensor.Create(new[] { -1f }, 1)),
            callbacks: [new ReduceLROnPlateau(factor: 0.5, patience: 2)]);
        Assert.That(h["lr"], Is.EqualTo(new[] { 0.1, 0.1, 0.1, 0.05, 0.05 }).Within(1e-9));
        Assert.That(model.Optimizer!.LearningRate, Is.EqualTo(0.025).Within(1e-12));
    }
}
