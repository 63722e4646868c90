using System.Diagnostics;
using System.Globalization;
using TensorGraph.Keras;
using TensorGraph.Keras.Layers;

namespace TensorGraph.Examples;

/// <summary>
/// keras.io's MNIST convnet: Conv2D(32, 3, relu) → MaxPooling2D(2) → Conv2D(64, 3, relu) →
/// MaxPooling2D(2) → Flatten → Dropout(0.5) → Dense(10, softmax), compiled with "adam" and
/// "sparse_categorical_crossentropy", trained with Keras's progress bar, evaluated, saved as a
/// Keras .h5 file, loaded back with <see cref="Models.LoadModel"/> and evaluated again.
/// </summary>
public static class MnistConvNet
{
    /// <summary>Test accuracy of the trained model and of the model loaded from the .h5 file, and the training time.</summary>
    public sealed record Result(double TestAccuracy, double ReloadedTestAccuracy, TimeSpan TrainingTime);

    /// <summary>The network, uncompiled.</summary>
    public static Sequential Build() => new(
        new Conv2D(32, kernelSize: 3, activation: "relu", inputShape: [28, 28, 1]),
        new MaxPooling2D(poolSize: (2, 2)),
        new Conv2D(64, kernelSize: 3, activation: "relu"),
        new MaxPooling2D(poolSize: (2, 2)),
        new Flatten(),
        new Dropout(0.5),
        new Dense(10, activation: "softmax"));

    /// <summary>Trains, evaluates, saves to <paramref name="path"/>, reloads and evaluates the reloaded model.</summary>
    /// <param name="trainImages">[N, 784] pixels in [0, 1].</param>
    /// <param name="trainLabels">Class ids.</param>
    /// <param name="testImages">[M, 784] pixels in [0, 1].</param>
    /// <param name="testLabels">Class ids.</param>
    /// <param name="epochs">Epochs of fit.</param>
    /// <param name="batchSize">Batch size of fit.</param>
    /// <param name="path">The .h5 file written and read back.</param>
    /// <param name="log">Where the progress bar and results go.</param>
    /// <param name="interactive">Redraw the bar in place (a terminal).</param>
    /// <param name="seed">Graph-level seed of the initializers and dropout, and the shuffle's seed.</param>
    public static Result Run(Tensor trainImages, int[] trainLabels, Tensor testImages, int[] testLabels, int epochs, int batchSize, string path,
        TextWriter log, bool interactive = false, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(trainImages);
        ArgumentNullException.ThrowIfNull(testImages);
        ArgumentNullException.ThrowIfNull(log);
        Backend.ClearSession(seed);
        var x = AsImages(trainImages);
        var xTest = AsImages(testImages);

        var model = Build();
        model.Compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);
        model.Writer = log;
        model.DynamicDisplay = interactive;
        if (seed is { } s) model.Random = new Random(s);
        model.Summary();

        var clock = Stopwatch.StartNew();
        model.Fit(x, trainLabels, batchSize: batchSize, epochs: epochs);
        var trainingTime = clock.Elapsed;
        double[] score = model.Evaluate(xTest, testLabels, verbose: 0);
        log.WriteLine(string.Format(CultureInfo.InvariantCulture, "Test loss: {0:F4}", score[0]));
        log.WriteLine(string.Format(CultureInfo.InvariantCulture, "Test accuracy: {0:F4}", score[1]));
        log.WriteLine(string.Format(CultureInfo.InvariantCulture, "Training time: {0:F0}s", trainingTime.TotalSeconds));

        model.Save(path);
        var again = Models.LoadModel(path);
        again.Compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);
        double[] reloaded = again.Evaluate(xTest, testLabels, verbose: 0);
        log.WriteLine(string.Format(CultureInfo.InvariantCulture, "Reloaded from {0}: test loss {1:F4}, test accuracy {2:F4}", path, reloaded[0], reloaded[1]));
        return new Result(score[1], reloaded[1], trainingTime);
    }

    /// <summary>[N, 784] pixels as [N, 28, 28, 1] images (channels last).</summary>
    public static Tensor AsImages(Tensor flat)
    {
        ArgumentNullException.ThrowIfNull(flat);
        return Tensor.Create(flat.ToArray<float>(), flat.Dims[0], 28, 28, 1);
    }
}
