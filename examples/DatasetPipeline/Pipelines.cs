using System.Diagnostics;
using System.Globalization;
using TensorGraph.Data;
using TensorGraph.Training;

namespace TensorGraph.Examples;

/// <summary>How the training steps get their batches.</summary>
public enum InputKind
{
    /// <summary>feed_dict: each step copies a batch from host arrays into placeholders.</summary>
    Feed,

    /// <summary>tf.data: from_tensor_slices → shuffle → repeat → batch → map (normalize) → prefetch, an initializable iterator.</summary>
    Dataset,

    /// <summary>TF1 queues: slice_input_producer (shuffled) → tf.train.batch, filled by queue runner threads.</summary>
    Queue,
}

/// <summary>Settings of one pipeline run (the MnistFeed network and defaults).</summary>
public sealed record PipelineOptions
{
    /// <summary>Learning rate of gradient descent.</summary>
    public double LearningRate { get; init; } = 0.01;
    /// <summary>Training steps.</summary>
    public int MaxSteps { get; init; } = 2000;
    /// <summary>Examples per step.</summary>
    public int BatchSize { get; init; } = 100;
    /// <summary>Units in hidden layer 1.</summary>
    public int Hidden1 { get; init; } = 128;
    /// <summary>Units in hidden layer 2.</summary>
    public int Hidden2 { get; init; } = 32;
    /// <summary>Where the MNIST files are (null: the user cache directory).</summary>
    public string? InputDataDir { get; init; }
    /// <summary>Use fake data (for tests).</summary>
    public bool FakeData { get; init; }
    /// <summary>Graph-level random seed (null: nondeterministic).</summary>
    public int? Seed { get; init; }
}

/// <summary>
/// The MNIST network of TensorFlow Mechanics 101 trained three ways: with feed_dict, with a
/// tf.data pipeline and with TF1 input queues. The pipelines start from the raw uint8 pixels and
/// normalize in the graph (x / 255), so they do the work the feed path does on the host.
/// </summary>
public static class Pipelines
{
    /// <summary>The outcome of one run.</summary>
    /// <param name="Kind">The input path.</param>
    /// <param name="TestPrecision">Precision @ 1 on the test set after training.</param>
    /// <param name="LastLoss">The loss of the last step.</param>
    /// <param name="StepsPerSecond">Training steps per second (the first 50 steps excluded as warm-up).</param>
    public sealed record Result(InputKind Kind, double TestPrecision, float LastLoss, double StepsPerSecond);

    /// <summary>Trains with <paramref name="kind"/> input and evaluates on the test set, printing progress to <paramref name="log"/>.</summary>
    public static Result Run(InputKind kind, PipelineOptions o, TextWriter log, Datasets? data = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(log);
        data ??= Mnist.ReadDataSets(o.InputDataDir, o.FakeData, seed: o.Seed);
        var train = data.Train;
        var (rawImages, labels) = Arrays(train);

        var g = new Graph { Seed = o.Seed };
        var imagesIn = g.Placeholder(DType.UInt8, new Shape(train.NumExamples, MnistModel.ImagePixels), "images_in");
        var labelsIn = g.Placeholder(DType.Int32, new Shape(train.NumExamples), "labels_in");
        Output batchImages, batchLabels;
        Operation? iteratorInit = null;
        switch (kind)
        {
            case InputKind.Feed:
                batchImages = g.Placeholder(DType.Float32, new Shape(-1, MnistModel.ImagePixels), "images");
                batchLabels = g.Placeholder(DType.Int32, new Shape(-1), "labels");
                break;
            case InputKind.Dataset:
            {
                // TF: tf.data.Dataset.from_tensor_slices((images_in, labels_in)).shuffle(10000).repeat()
                //       .batch(batch_size).map(normalize, num_parallel_calls=AUTOTUNE).prefetch(1)
                var it = Dataset.FromTensorSlices(g, imagesIn, labelsIn).Shuffle(10000, seed: o.Seed).Repeat().Batch(o.BatchSize)
                    .Map((f, e) => [f.RealDiv(f.Cast(e[0], DType.Float32), 255f), e[1]], Dataset.Autotune).Prefetch(1)
                    .MakeInitializableIterator();
                iteratorInit = it.Initializer;
                var next = it.GetNext();
                (batchImages, batchLabels) = (next[0], next[1]);
                break;
            }
            case InputKind.Queue:
            {
                // TF's fully_connected_preloaded.py: the arrays as constants of the graph,
                //     image, label = tf.train.slice_input_producer([images, labels], shuffle=True)
                //     images, labels = tf.train.batch([image / 255, label], batch_size, num_threads=2)
                var imagesConst = g.Constant(rawImages, name: "input_images");
                var labelsConst = g.Constant(labels, name: "input_labels");
                var one = g.SliceInputProducer([imagesConst, labelsConst], shuffle: true, seed: o.Seed);
                var image = g.RealDiv(g.Cast(one[0], DType.Float32), 255f);
                var batch = g.Batch([image, one[1]], o.BatchSize, numThreads: 2, capacity: 4 * o.BatchSize);
                (batchImages, batchLabels) = (batch[0], batch[1]);
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
        // Evaluation feeds the test set in place of the pipeline's batches.
        var images = kind == InputKind.Feed ? batchImages : g.PlaceholderWithDefault(batchImages, new Shape(-1, MnistModel.ImagePixels), "images");
        var evalLabels = kind == InputKind.Feed ? batchLabels : g.PlaceholderWithDefault(batchLabels, new Shape(-1), "labels");
        var logits = MnistModel.Inference(g, images, o.Hidden1, o.Hidden2);
        var loss = MnistModel.Loss(g, logits, evalLabels);
        var trainOp = MnistModel.Training(g, loss, o.LearningRate);
        var correct = MnistModel.Evaluation(g, logits, evalLabels);
        var init = g.GlobalVariablesInitializer();

        using var sess = new Session(g);
        var inputs = new FeedDict { [imagesIn] = rawImages, [labelsIn] = labels };
        sess.Run(init);
        if (iteratorInit is not null) sess.Run(iteratorInit, inputs);
        var coord = new Coordinator();
        var threads = kind == InputKind.Queue ? QueueRunner.StartQueueRunners(sess, coord) : [];
        float lossValue = 0;
        var sw = new Stopwatch();
        const int warmup = 50;
        try
        {
            var feedImages = Tensor.Zeros(DType.Float32, o.BatchSize, MnistModel.ImagePixels);
            var feedLabels = Tensor.Zeros(DType.Int32, o.BatchSize);
            var step = kind == InputKind.Feed ? sess.MakeCallable([images, evalLabels], [loss], trainOp) : sess.MakeCallable([], [loss], trainOp);
            for (int i = 0; i < o.MaxSteps; i++)
            {
                if (i == Math.Min(warmup, o.MaxSteps - 1)) sw.Start();
                if (kind == InputKind.Feed)
                {
                    train.NextBatch(feedImages, feedLabels);
                    lossValue = step.Run(feedImages, feedLabels)[0].Scalar<float>();
                }
                else
                {
                    lossValue = step.Run()[0].Scalar<float>();
                }
                if (i % 500 == 0)
                    log.WriteLine(string.Format(CultureInfo.InvariantCulture, "[{0}] Step {1}: loss = {2:F2}", Name(kind), i, lossValue));
            }
            sw.Stop();
        }
        finally
        {
            coord.RequestStop();
            coord.Join(threads);
        }
        int timed = o.MaxSteps - Math.Min(warmup, o.MaxSteps - 1);
        double stepsPerSecond = timed / Math.Max(sw.Elapsed.TotalSeconds, 1e-9);
        var test = data.Test;
        var (testRaw, testLabels) = Arrays(test);
        var testImages = testRaw.Cast(DType.Float32);
        for (int i = 0; i < testImages.Size; i++) testImages.AsSpan<float>()[i] /= 255f;
        var testCorrect = sess.Run(correct, new FeedDict { [images] = testImages, [evalLabels] = testLabels });
        double precision = (double)testCorrect.Scalar<int>() / test.NumExamples;
        log.WriteLine(string.Format(CultureInfo.InvariantCulture, "[{0}] Test precision @ 1: {1:F4}  ({2:F1} steps/s)", Name(kind), precision, stepsPerSecond));
        return new Result(kind, precision, lossValue, stepsPerSecond);
    }

    /// <summary>The input path as the printed lines name it.</summary>
    public static string Name(InputKind kind) => kind switch
    {
        InputKind.Feed => "feed_dict",
        InputKind.Dataset => "tf.data",
        _ => "queues",
    };

    // A split as the file's bytes and its class ids; a fake split (which holds no examples) as
    // what its batches are: all-255 images of class 0.
    private static (Tensor Images, Tensor Labels) Arrays(DataSet d)
    {
        int n = d.NumExamples;
        var bytes = new byte[n * d.ImageSize];
        if (d.IsFake)
        {
            Array.Fill(bytes, (byte)255);
            return (Tensor.Create(bytes, n, d.ImageSize), Tensor.Create(new int[n], n));
        }
        var src = d.Images.AsSpan<float>();
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)Math.Round(src[i] * 255f);
        return (Tensor.Create(bytes, n, d.ImageSize), Tensor.Create(d.ClassIds.ToArray(), n));
    }
}
