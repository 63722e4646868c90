using TensorGraph.Summaries;
using TensorGraph.Training;
using static TensorGraph.Examples.Classics.ClassicsCatalog;

namespace TensorGraph.Examples.Classics;

/// <summary>tensorboard_basic.py: logistic regression with name scopes, loss and accuracy summaries and the graph written for TensorBoard.</summary>
public static class TensorBoardBasic
{
    /// <summary>Runs the program; reports accuracy, steps (summaries written) and last_cost; the log directory is in <paramref name="logsPath"/>.</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log, out string logsPath)
    {
        var mnist = o.MnistOneHot();

        // Parameters
        double learningRate = 0.01;
        int trainingEpochs = o.Steps(25, 1);
        int batchSize = 100;
        int displayEpoch = 1;
        logsPath = o.Dir("tensorboard_basic");

        var g = new Graph { Seed = o.Seed };
        // tf Graph Input: mnist data image of shape 28*28=784, and 0-9 digits recognition => 10 classes
        var x = g.Placeholder(DType.Float32, new Shape(-1, 784), name: "InputData");
        var y = g.Placeholder(DType.Float32, new Shape(-1, 10), name: "LabelData");

        // Set model weights
        var W = g.Variable(g.Zeros([784, 10]), name: "Weights");
        var b = g.Variable(g.Zeros([10]), name: "Bias");

        // Construct model and encapsulating all ops into scopes, making Tensorboard's Graph visualization more convenient
        Output pred, cost, acc;
        Operation optimizer;
        using (g.NameScope("Model"))
            pred = g.Softmax(g.MatMul(x, W) + b); // Softmax
        using (g.NameScope("Loss"))
            cost = g.ReduceMean(-g.ReduceSum(y * g.Log(pred), [1])); // Minimize error using cross entropy
        using (g.NameScope("SGD"))
            optimizer = new GradientDescentOptimizer(learningRate).Minimize(cost); // Gradient Descent
        using (g.NameScope("Accuracy"))
        {
            acc = g.Equal(g.ArgMax(pred, 1), g.ArgMax(y, 1));
            acc = g.ReduceMean(g.Cast(acc, DType.Float32));
        }

        var init = g.GlobalVariablesInitializer();
        // Create a summary to monitor cost tensor
        g.ScalarSummary("loss", cost);
        // Create a summary to monitor accuracy tensor
        g.ScalarSummary("accuracy", acc);
        // Merge all summaries into a single op
        var mergedSummaryOp = g.MergeAllSummaries()!.Value;

        using var sess = new Session(g);
        sess.Run(init);
        // op to write logs to Tensorboard
        using var summaryWriter = new FileWriter(logsPath, g);

        double avgCost = 0;
        int steps = 0;
        for (int epoch = 0; epoch < trainingEpochs; epoch++)
        {
            avgCost = 0;
            int totalBatch = mnist.Train.NumExamples / batchSize;
            for (int i = 0; i < totalBatch; i++)
            {
                var (batchXs, batchYs) = mnist.Train.NextBatch(batchSize);
                // Run optimization op (backprop), cost op (to get loss value) and summary nodes
                var outs = sess.Run([cost, mergedSummaryOp], new FeedDict { [x] = batchXs, [y] = batchYs }, optimizer);
                // Write logs at every iteration
                summaryWriter.AddSummary(outs[1], epoch * totalBatch + i);
                steps++;
                avgCost += outs[0].Scalar<float>() / totalBatch;
            }
            if ((epoch + 1) % displayEpoch == 0)
                log.WriteLine($"Epoch: {epoch + 1:D4} cost= {F(avgCost)}");
        }
        summaryWriter.Flush();
        log.WriteLine("Optimization Finished!");

        // Test model: calculate accuracy
        var testAcc = sess.Run(acc, new FeedDict { [x] = mnist.Test.Images, [y] = mnist.Test.Labels }).Scalar<float>();
        log.WriteLine($"Accuracy: {testAcc}");
        log.WriteLine("Run the command line:");
        log.WriteLine($"--> tensorboard --logdir={logsPath}");
        log.WriteLine("Then open http://0.0.0.0:6006/ into your web browser");

        var r = new ClassicResult("tensorboard_basic");
        r.Values["accuracy"] = testAcc;
        r.Values["steps"] = steps;
        r.Values["last_cost"] = avgCost;
        return r;
    }

    /// <summary>Runs the program (see <see cref="Run(ClassicOptions, TextWriter, out string)"/>).</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log) => Run(o, log, out _);
}
