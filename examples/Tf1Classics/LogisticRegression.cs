using TensorGraph.Training;
using static TensorGraph.Examples.Classics.ClassicsCatalog;

namespace TensorGraph.Examples.Classics;

/// <summary>logistic_regression.py: softmax regression on MNIST, gradient descent, 25 epochs of batches of 100.</summary>
public static class LogisticRegression
{
    /// <summary>Runs the program; reports accuracy (on the test set) and the last epoch's avg_cost.</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log)
    {
        var mnist = o.MnistOneHot();

        // Parameters
        double learningRate = 0.01;
        int trainingEpochs = o.Steps(25, 2);
        int batchSize = 100;
        int displayStep = 1;

        var g = new Graph { Seed = o.Seed };
        // tf Graph Input
        var x = g.Placeholder(DType.Float32, new Shape(-1, 784)); // mnist data image of shape 28*28=784
        var y = g.Placeholder(DType.Float32, new Shape(-1, 10)); // 0-9 digits recognition => 10 classes

        // Set model weights
        var W = g.Variable(g.Zeros([784, 10]));
        var b = g.Variable(g.Zeros([10]));

        // Construct model
        var pred = g.Softmax(g.MatMul(x, W) + b); // Softmax

        // Minimize error using cross entropy
        var cost = g.ReduceMean(-g.ReduceSum(y * g.Log(g.ClipByValue(pred, 1e-10f, 1.0f)), [1]));
        var optimizer = new GradientDescentOptimizer(learningRate).Minimize(cost);

        var init = g.GlobalVariablesInitializer();
        using var sess = new Session(g);
        sess.Run(init);

        double avgCost = 0;
        for (int epoch = 0; epoch < trainingEpochs; epoch++)
        {
            avgCost = 0;
            int totalBatch = mnist.Train.NumExamples / batchSize;
            for (int i = 0; i < totalBatch; i++)
            {
                var (batchXs, batchYs) = mnist.Train.NextBatch(batchSize);
                var (_, c) = sess.Run(optimizer, cost, new FeedDict { [x] = batchXs, [y] = batchYs });
                avgCost += c!.Scalar<float>() / totalBatch;
            }
            if ((epoch + 1) % displayStep == 0)
                log.WriteLine($"Epoch: {epoch + 1:D4} cost= {F(avgCost)}");
        }
        log.WriteLine("Optimization Finished!");

        // Test model
        var correctPrediction = g.Equal(g.ArgMax(pred, 1), g.ArgMax(y, 1));
        var accuracy = g.ReduceMean(g.Cast(correctPrediction, DType.Float32));
        var acc = sess.Run(accuracy, new FeedDict { [x] = mnist.Test.Images, [y] = mnist.Test.Labels }).Scalar<float>();
        log.WriteLine($"Accuracy: {acc}");

        var r = new ClassicResult("logistic_regression");
        r.Values["accuracy"] = acc;
        r.Values["avg_cost"] = avgCost;
        return r;
    }
}
