namespace TensorGraph.Examples.Classics;

/// <summary>nearest_neighbor.py: 1-NN on 5000 MNIST training images with the L1 distance, 200 test images.</summary>
public static class NearestNeighbor
{
    /// <summary>Runs the program; reports accuracy, and predictions (the neighbour indices) for checking.</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log) => Run(o, log, out _);

    /// <summary>As <see cref="Run(ClassicOptions, TextWriter)"/>, also giving the training/test batches and each test image's neighbour index.</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log, out (Tensor Xtr, Tensor Ytr, Tensor Xte, Tensor Yte, long[] Neighbours) detail)
    {
        var mnist = o.MnistOneHot();

        // In this example, we limit mnist data
        var (Xtr, Ytr) = mnist.Train.NextBatch(5000); // 5000 for training (nn candidates)
        var (Xte, Yte) = mnist.Test.NextBatch(o.Steps(200, 50)); // 200 for testing

        var g = new Graph();
        // tf Graph Input
        var xtr = g.Placeholder(DType.Float32, new Shape(-1, 784));
        var xte = g.Placeholder(DType.Float32, new Shape(784));

        // Nearest Neighbor calculation using L1 Distance
        var distance = g.ReduceSum(g.Abs(g.Add(xtr, g.Negative(xte))), [1]);
        // Prediction: Get min distance index (Nearest neighbor)
        var pred = g.ArgMin(distance, 0);

        double accuracy = 0;
        var init = g.GlobalVariablesInitializer();
        using var sess = new Session(g);
        sess.Run(init);

        int n = Xte.Dims[0];
        var neighbours = new long[n];
        var ytr = Ytr.ToArray<float>();
        var yte = Yte.ToArray<float>();
        for (int i = 0; i < n; i++)
        {
            // Get nearest neighbor
            long nnIndex = sess.Run(pred, new FeedDict { [xtr] = Xtr, [xte] = Xte[i..(i + 1)].Reshape(784) }).Scalar<long>();
            neighbours[i] = nnIndex;
            int predicted = ArgMax(ytr.AsSpan((int)nnIndex * 10, 10)), truth = ArgMax(yte.AsSpan(i * 10, 10));
            // Get nearest neighbor class label and compare it to its true label
            log.WriteLine($"Test {i} Prediction: {predicted} True Class: {truth}");
            if (predicted == truth) accuracy += 1.0 / n;
        }
        log.WriteLine("Done!");
        log.WriteLine($"Accuracy: {accuracy}");
        detail = (Xtr, Ytr, Xte, Yte, neighbours);
        var r = new ClassicResult("nearest_neighbor");
        r.Values["accuracy"] = accuracy;
        return r;
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
