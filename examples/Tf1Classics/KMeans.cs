using static TensorGraph.Examples.Classics.ClassicsCatalog;

namespace TensorGraph.Examples.Classics;

/// <summary>
/// kmeans.py: 25 clusters of the MNIST training images under the cosine distance, each centroid
/// labelled with the most frequent digit among its images, accuracy on the test set. The original
/// builds its graph with tf.contrib.factorization.KMeans; here the same algorithm (random initial
/// centroids, then Lloyd steps: assign by largest cosine similarity, move each centroid to the mean
/// of its normalized images) is written in graph ops.
/// </summary>
public static class KMeans
{
    /// <summary>Runs the program; reports test accuracy and the average distance after every step (distance_step_N).</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log)
    {
        var mnist = o.MnistOneHot();
        var fullDataX = mnist.Train.Images;

        // Parameters
        int numSteps = o.Steps(50, 10); // Total steps to train
        int k = 25; // The number of clusters
        int numClasses = 10; // The 10 digits
        int numFeatures = 784; // Each image is 28x28 pixels

        var g = new Graph { Seed = o.Seed };
        // Input images
        var X = g.Placeholder(DType.Float32, new Shape(-1, numFeatures));
        // Labels (for assigning a label to a centroid and testing)
        var Y = g.Placeholder(DType.Float32, new Shape(-1, numClasses));

        // K-Means parameters: the initial centroids are k distinct random training images.
        var rng = new Random(o.Seed);
        var picks = Enumerable.Range(0, fullDataX.Dims[0]).OrderBy(_ => rng.Next()).Take(k).ToArray();
        var clusterCenters = g.Variable(Tensor.Stack(picks.Select(i => fullDataX[i..(i + 1)].Reshape(numFeatures)).ToArray()), name: "clusters");

        // Cosine distance: 1 - cos(x, c); each image goes to its nearest centroid.
        var xNorm = g.L2Normalize(X, 1);
        var similarities = g.MatMul(xNorm, g.L2Normalize(clusterCenters, 1), transposeB: true);
        var clusterIdx = g.Cast(g.ArgMax(similarities, 1), DType.Int32);
        var scores = 1f - g.ReduceMax(similarities, [1]);
        var avgDistance = g.ReduceMean(scores);

        // A Lloyd step: every centroid moves to the mean of its images (an empty cluster keeps its centroid).
        var sums = g.UnsortedSegmentSum(xNorm, clusterIdx, k);
        var counts = g.UnsortedSegmentSum(g.OnesLike(scores), clusterIdx, k);
        var empty = g.Cast(g.Equal(counts, 0f), DType.Float32);
        var newCenters = (sums + clusterCenters * g.ExpandDims(empty, 1)) / g.ExpandDims(g.Maximum(counts, 1f), 1);
        var trainOp = g.Assign(clusterCenters, newCenters).Op;

        var initVars = g.GlobalVariablesInitializer();
        using var sess = new Session(g);
        sess.Run(initVars, new FeedDict { [X] = fullDataX });

        var r = new ClassicResult("kmeans");
        int[] idx = [];
        for (int i = 1; i <= numSteps; i++)
        {
            var outs = sess.Run([avgDistance, clusterIdx], new FeedDict { [X] = fullDataX }, trainOp);
            float d = outs[0].Scalar<float>();
            idx = outs[1].ToArray<int>();
            r.Values[$"distance_step_{i}"] = d;
            if (i % 10 == 0 || i == 1) log.WriteLine($"Step {i}, Avg Distance: {F(d, "F6")}");
        }

        // Assign a label to each centroid: the most frequent training label among its images.
        var counts2 = new double[k, numClasses];
        var labels = mnist.Train.Labels.ToArray<float>();
        for (int i = 0; i < idx.Length; i++)
            for (int c = 0; c < numClasses; c++)
                counts2[idx[i], c] += labels[i * numClasses + c];
        var labelsMap = new int[k];
        for (int c = 0; c < k; c++)
            for (int j = 1; j < numClasses; j++)
                if (counts2[c, j] > counts2[c, labelsMap[c]]) labelsMap[c] = j;

        // Evaluation ops: centroid id -> label
        var clusterLabel = g.EmbeddingLookup(g.Constant(labelsMap), clusterIdx);
        var correctPrediction = g.Equal(clusterLabel, g.Cast(g.ArgMax(Y, 1), DType.Int32));
        var accuracyOp = g.ReduceMean(g.Cast(correctPrediction, DType.Float32));

        // Test Model
        var acc = sess.Run(accuracyOp, new FeedDict { [X] = mnist.Test.Images, [Y] = mnist.Test.Labels }).Scalar<float>();
        log.WriteLine($"Test Accuracy: {acc}");
        r.Values["accuracy"] = acc;
        return r;
    }
}
