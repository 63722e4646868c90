using System.Globalization;
using TensorGraph.Keras;
using TensorGraph.Keras.Callbacks;
using TensorGraph.Keras.Layers;

namespace TensorGraph.Examples;

/// <summary>
/// Seed 003: the 784→512 (ReLU)→10 (softmax) network of "Deep Learning with Python" chapter 2,
/// line by line on TensorGraph.Keras: Sequential, compile("rmsprop",
/// "sparse_categorical_crossentropy", ["accuracy"]), fit(epochs, batch_size=128) with Keras's
/// progress bar, evaluate, predict.
/// </summary>
public static class KerasStyleMlp
{
    /// <summary>Per-epoch averages, the final test accuracy and the first test digits' predicted classes.</summary>
    public sealed record Result(double[] EpochLoss, double[] EpochAccuracy, double TestAccuracy, int[] FirstPredictions);

    /// <summary>Trains for <paramref name="epochs"/> epochs, evaluates on the test set and predicts the first test digits.</summary>
    /// <param name="trainImages">[N, 784] pixels in [0, 1].</param>
    /// <param name="trainLabels">Class ids.</param>
    /// <param name="testImages">[M, 784] pixels in [0, 1].</param>
    /// <param name="testLabels">Class ids.</param>
    /// <param name="epochs">Epochs of fit.</param>
    /// <param name="log">Where the progress bar and results go.</param>
    /// <param name="interactive">Redraw the bar in place (a terminal).</param>
    /// <param name="batchSize">Batch size of fit.</param>
    /// <param name="seed">Graph-level seed of the weight initializers and the shuffle, for reproducible runs.</param>
    public static Result Run(Tensor trainImages, int[] trainLabels, Tensor testImages, int[] testLabels, int epochs, TextWriter log,
        bool interactive = false, int batchSize = 128, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(trainImages);
        ArgumentNullException.ThrowIfNull(log);
        Backend.ClearSession(seed);

        var model = new Sequential(
            new Dense(512, activation: "relu"),
            new Dense(10, activation: "softmax"));
        model.Compile(optimizer: "rmsprop", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);
        model.Writer = log;
        model.DynamicDisplay = interactive;
        if (seed is { } s) model.Random = new Random(s);

        History history = model.Fit(trainImages, trainLabels, epochs: epochs, batchSize: batchSize);

        double[] testLossAndAcc = model.Evaluate(testImages, testLabels, verbose: 0);
        log.WriteLine(string.Format(CultureInfo.InvariantCulture, "test_acc: {0:F4}", testLossAndAcc[1]));

        int first = Math.Min(10, testLabels.Length);
        var testDigits = Tensor.Create(testImages.AsSpan<float>()[..(first * 784)].ToArray(), first, 784);
        Tensor predictions = model.Predict(testDigits);
        var p = predictions.ToArray<float>();
        var predicted = Enumerable.Range(0, first).Select(i => Array.IndexOf(p, p.AsSpan(i * 10, 10).ToArray().Max(), i * 10) - i * 10).ToArray();
        log.WriteLine($"predictions[0].argmax(): {predicted[0]}  (label {testLabels[0]}); first {first}: {string.Join(" ", predicted)}");

        return new Result([.. history["loss"]], [.. history["accuracy"]], testLossAndAcc[1], predicted);
    }
}
