using TensorGraph.Keras.Layers;
using TensorGraph.Keras.Optimizers;

namespace TensorGraph.Keras.Tests;

/// <summary>The progress text, byte for byte, with a clock that advances a fixed step per reading.</summary>
public class ProgressTests
{
    [SetUp]
    public void SetUp() => Backend.ClearSession(seed: 9);

    /// <summary>Prediction 0 (kernel 0, learning rate 0) with mae: batch losses are the targets' means.</summary>
    private static (Sequential Model, StringWriter Out) Probe(double clockStep, bool dynamic, ProgressUnit unit = ProgressUnit.Steps)
    {
        var model = new Sequential(new Dense(1, useBias: false, kernelInitializer: "zeros", inputShape: [1]));
        model.Compile(new SGD(0), "mae", ["mae"]);
        var w = new StringWriter();
        model.Writer = w;
        model.Clock = new StepClock(clockStep);
        model.DynamicDisplay = dynamic;
        model.ProgressUnit = unit;
        return (model, w);
    }

    private static readonly Tensor X = Tensor.Create(new[] { 1f, 1, 1, 1 }, 4, 1);
    private static readonly Tensor Y = Tensor.Create(new[] { 1f, 2, 3, 4 }, 4);

    [Test]
    public void RedirectedOutputWritesOneLinePerEpoch()
    {
        var (model, w) = Probe(0.01, dynamic: false);
        model.Fit(X, Y, batchSize: 2, epochs: 2, shuffle: false);
        // Batch 1: loss 1.5; batch 2: loss 3.5; the epoch: loss 2.5, mae (running) 2.5. The
        // clock reads 0.00 at the bar's start and 0.02 at its end: 10ms per step.
        const string line = "2/2 [==============================] - 0s 10ms/step - loss: 2.5000 - mae: 2.5000\n";
        Assert.That(w.ToString().ReplaceLineEndings("\n"), Is.EqualTo("Epoch 1/2\n" + line + "Epoch 2/2\n" + line));
    }

    [Test]
    public void TerminalRedrawsInPlace()
    {
        var (model, w) = Probe(0.1, dynamic: true);
        model.Fit(X, Y, batchSize: 2, epochs: 1, shuffle: false);
        const string first = "1/2 [==============>...............] - ETA: 0s - loss: 1.5000 - mae: 1.5000";
        // The last batch's loss (3.5) and the epoch's (2.5) both enter the running mean with
        // weight 1, as in Keras: (1.5 + 3.5 + 2.5) / 3 = 2.5.
        const string last = "2/2 [==============================] - 0s 100ms/step - loss: 2.5000 - mae: 2.5000";
        Assert.That(w.ToString(), Is.EqualTo("\r" + first + new string('\b', first.Length) + "\r" + last + "\n"));
    }

    [Test]
    public void VerboseTwoAndZero()
    {
        var (model, w) = Probe(0.5, dynamic: false);
        model.Fit(X, Y, batchSize: 2, epochs: 1, verbose: 2, shuffle: false);
        Assert.That(w.ToString(), Is.EqualTo("2/2 - 1s - loss: 2.5000 - mae: 2.5000\n"));
        w.GetStringBuilder().Clear();
        model.Fit(X, Y, batchSize: 2, epochs: 3, verbose: 0);
        Assert.That(w.ToString(), Is.Empty);
    }

    [Test]
    public void SamplesModeAsTf115WithValidation()
    {
        var (model, w) = Probe(0.001, dynamic: false, ProgressUnit.Samples);
        model.Fit(X, Y, batchSize: 2, epochs: 1, shuffle: false, validationData: (X, Y));
        // 4 samples in 0.002 s: 500us per sample.
        Assert.That(w.ToString().ReplaceLineEndings("\n"), Is.EqualTo(
            "Train on 4 samples, validate on 4 samples\n" +
            "4/4 [==============================] - 0s 500us/sample - loss: 2.5000 - mae: 2.5000 - val_loss: 2.5000 - val_mae: 2.5000\n"));
    }

    [Test]
    public void EvaluatePrintsOneBarWithItsResults()
    {
        var (model, w) = Probe(0.01, dynamic: false);
        var r = model.Evaluate(X, Y, batchSize: 2);
        Assert.That(r, Is.EqualTo(new[] { 2.5, 2.5 }).Within(1e-6));
        Assert.That(w.ToString(), Is.EqualTo("2/2 [==============================] - 0s 10ms/step - loss: 2.5000 - mae: 2.5000\n"));
    }

    [Test]
    public void SmallValuesUseExponentAndLongEtas()
    {
        var w = new StringWriter();
        var clock = new ManualClock();
        var bar = new Progbar(60000, w, clock, dynamicDisplay: true, unitName: "sample");
        clock.Time = 1;
        bar.Update(128, [new("loss", 0.0004)]);
        Assert.That(w.ToString(), Is.EqualTo("\r  128/60000 [..............................] - ETA: 7:47 - loss: 4.0000e-04"));
        w.GetStringBuilder().Clear();
        clock.Time = 100;
        bar.Update(1000, [new("loss", 0.5)]);
        // ETA 0.1 s/sample x 59000 = 5900 s; the running loss is (0.0004·128 + 0.5·872) / 1000.
        Assert.That(w.ToString(), Is.EqualTo(new string('\b', 75) + "\r 1000/60000 [..............................] - ETA: 1:38:20 - loss: 0.4361 "));
    }

    [Test]
    public void SummaryIsKerasTable()
    {
        var model = new Sequential(new Dense(512, activation: "relu", inputShape: [784]), new Dense(10, activation: "softmax"));
        var w = new StringWriter();
        model.Writer = w;
        model.Summary();
        var expected = string.Join("\n",
            "Model: \"sequential\"",
            new string('_', 65),
            "Layer (type)                 Output Shape              Param #   ",
            new string('=', 65),
            "dense (Dense)                (None, 512)               401920    ",
            new string('_', 65),
            "dense_1 (Dense)              (None, 10)                5130      ",
            new string('=', 65),
            "Total params: 407,050",
            "Trainable params: 407,050",
            "Non-trainable params: 0",
            new string('_', 65)) + "\n";
        Assert.That(w.ToString().ReplaceLineEndings("\n"), Is.EqualTo(expected));
    }

    [Test]
    public void FunctionalSummaryHasConnections()
    {
        var a = Keras.Input([3]);
        var b = Keras.Input([3]);
        var s = new Add().Apply(a, b);
        var d = new Dense(2).Apply(s);
        var model = new Model([a, b], [d]);
        var lines = new List<string>();
        model.Summary(printFn: lines.Add);
        Assert.That(lines[0], Is.EqualTo("Model: \"model\""));
        Assert.That(lines[1], Has.Length.EqualTo(98));
        Assert.That(lines[2], Is.EqualTo("Layer (type)                    Output Shape         Param #     Connected to                     "));
        Assert.That(lines, Has.Some.EqualTo("input_1 (InputLayer)            [(None, 3)]          0                                            "));
        Assert.That(lines, Has.Some.EqualTo("add (Add)                       (None, 3)            0           input_1[0][0]                    "));
        Assert.That(lines, Has.Some.EqualTo("                                                                 input_2[0][0]                    "));
        Assert.That(lines, Has.Some.EqualTo("dense (Dense)                   (None, 2)            8           add[0][0]                        "));
    }
}
