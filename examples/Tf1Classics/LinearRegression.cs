using TensorGraph.Training;
using static TensorGraph.Examples.Classics.ClassicsCatalog;

namespace TensorGraph.Examples.Classics;

/// <summary>linear_regression.py: y = W·x + b fitted to 17 points, Adam, one sample per step.</summary>
public static class LinearRegression
{
    /// <summary>The training points of the original program.</summary>
    public static readonly float[] TrainX = [3.3f, 4.4f, 5.5f, 6.71f, 6.93f, 4.168f, 9.779f, 6.182f, 7.59f, 2.167f, 7.042f, 10.791f, 5.313f, 7.997f, 5.654f, 9.27f, 3.1f];

    /// <summary>Their targets.</summary>
    public static readonly float[] TrainY = [1.7f, 2.76f, 2.09f, 3.19f, 1.694f, 1.573f, 3.366f, 2.596f, 2.53f, 1.221f, 2.827f, 3.465f, 1.65f, 2.904f, 2.42f, 2.94f, 1.3f];

    /// <summary>The test points.</summary>
    public static readonly float[] TestX = [6.83f, 4.668f, 8.9f, 7.91f, 5.7f, 8.7f, 3.1f, 2.1f];

    /// <summary>Their targets.</summary>
    public static readonly float[] TestY = [1.84f, 2.273f, 3.2f, 2.831f, 2.92f, 3.24f, 1.35f, 1.03f];

    /// <summary>Runs the program; reports W, b, training_cost and testing_cost.</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log)
    {
        var rng = new Random(o.Seed);
        double Randn() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

        // Parameters
        double learningRate = 0.01;
        int trainingEpochs = o.Steps(1000, 300);
        int displayStep = 50;
        int nSamples = TrainX.Length;

        var g = new Graph { Seed = o.Seed };
        // tf Graph Input
        var X = g.Placeholder(DType.Float32);
        var Y = g.Placeholder(DType.Float32);

        // Set model weights
        var W = g.Variable((float)Randn(), name: "weight");
        var b = g.Variable((float)Randn(), name: "bias");

        // Construct a linear model
        var pred = g.Add(g.Multiply(X, W), b);

        // Mean squared error
        var cost = g.ReduceSum(g.Pow(pred - Y, 2)) / (2 * nSamples);
        var optimizer = new AdamOptimizer(learningRate).Minimize(cost);

        var init = g.GlobalVariablesInitializer();
        using var sess = new Session(g);
        sess.Run(init);

        // Fit all training data
        for (int epoch = 0; epoch < trainingEpochs; epoch++)
        {
            for (int i = 0; i < nSamples; i++)
                sess.Run(optimizer, new FeedDict { [X] = TrainX[i], [Y] = TrainY[i] });

            if ((epoch + 1) % displayStep == 0)
            {
                var c = sess.Run(cost, new FeedDict { [X] = TrainX, [Y] = TrainY }).Scalar<float>();
                log.WriteLine($"Epoch: {epoch + 1:D4} cost= {F(c)} W= {sess.Run(W).Scalar<float>()} b= {sess.Run(b).Scalar<float>()}");
            }
        }
        log.WriteLine("Optimization Finished!");
        var trainingCost = sess.Run(cost, new FeedDict { [X] = TrainX, [Y] = TrainY }).Scalar<float>();
        float w = sess.Run(W).Scalar<float>(), bias = sess.Run(b).Scalar<float>();
        log.WriteLine($"Training cost= {trainingCost} W= {w} b= {bias}");
        log.WriteLine();

        log.WriteLine("Testing... (Mean square loss Comparison)");
        var testingCost = sess.Run(g.ReduceSum(g.Pow(pred - Y, 2)) / (2 * TestX.Length), new FeedDict { [X] = TestX, [Y] = TestY }).Scalar<float>();
        log.WriteLine($"Testing cost= {testingCost}");
        log.WriteLine($"Absolute mean square loss difference: {Math.Abs(trainingCost - testingCost)}");

        var r = new ClassicResult("linear_regression");
        r.Values["W"] = w;
        r.Values["b"] = bias;
        r.Values["training_cost"] = trainingCost;
        r.Values["testing_cost"] = testingCost;
        return r;
    }
}
