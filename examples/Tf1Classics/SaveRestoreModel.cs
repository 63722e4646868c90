using TensorGraph.Training;
using static TensorGraph.Examples.Classics.ClassicsCatalog;

namespace TensorGraph.Examples.Classics;

/// <summary>save_restore_model.py: an MLP trained for 3 epochs, saved, restored into a second session and trained 7 more.</summary>
public static class SaveRestoreModel
{
    /// <summary>Runs the program; reports accuracy_saved (test accuracy when saved), accuracy_restored (right after the restore) and accuracy (at the end).</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log)
    {
        var mnist = o.MnistOneHot();

        // Parameters
        double learningRate = 0.001;
        int batchSize = 100;
        int displayStep = 1;
        string modelPath = Path.Combine(o.Dir("save_restore_model"), "model.ckpt");
        int firstEpochs = o.Steps(3, 1), secondEpochs = o.Steps(7, 1);
        int batchesPerEpoch = o.Short ? 100 : mnist.Train.NumExamples / batchSize;

        // Network Parameters
        int nHidden1 = 256; // 1st layer number of features
        int nHidden2 = 256; // 2nd layer number of features
        int nInput = 784; // MNIST data input (img shape: 28*28)
        int nClasses = 10; // MNIST total classes (0-9 digits)

        var g = new Graph { Seed = o.Seed };
        // tf Graph input
        var x = g.Placeholder(DType.Float32, new Shape(-1, nInput));
        var y = g.Placeholder(DType.Float32, new Shape(-1, nClasses));

        // Store layers weight & bias
        var h1 = g.Variable(g.RandomNormal([nInput, nHidden1]));
        var h2 = g.Variable(g.RandomNormal([nHidden1, nHidden2]));
        var hOut = g.Variable(g.RandomNormal([nHidden2, nClasses]));
        var b1 = g.Variable(g.RandomNormal([nHidden1]));
        var b2 = g.Variable(g.RandomNormal([nHidden2]));
        var bOut = g.Variable(g.RandomNormal([nClasses]));

        // Create model
        Output MultilayerPerceptron(Output input)
        {
            // Hidden layer with RELU activation
            var layer1 = g.Relu(g.Add(g.MatMul(input, h1), b1));
            // Hidden layer with RELU activation
            var layer2 = g.Relu(g.Add(g.MatMul(layer1, h2), b2));
            // Output layer with linear activation
            return g.MatMul(layer2, hOut) + bOut;
        }

        // Construct model
        var pred = MultilayerPerceptron(x);

        // Define loss and optimizer
        var cost = g.ReduceMean(g.SoftmaxCrossEntropyWithLogits(logits: pred, labels: y));
        var optimizer = new AdamOptimizer(learningRate).Minimize(cost);

        var init = g.GlobalVariablesInitializer();
        // 'Saver' op to save and restore all the variables
        var saver = new Saver(g);

        var correctPrediction = g.Equal(g.ArgMax(pred, 1), g.ArgMax(y, 1));
        var accuracy = g.ReduceMean(g.Cast(correctPrediction, DType.Float32));
        float TestAccuracy(Session sess) => sess.Run(accuracy, new FeedDict { [x] = mnist.Test.Images, [y] = mnist.Test.Labels }).Scalar<float>();

        void Train(Session sess, int epochs)
        {
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                double avgCost = 0;
                for (int i = 0; i < batchesPerEpoch; i++)
                {
                    var (batchX, batchY) = mnist.Train.NextBatch(batchSize);
                    var (_, c) = sess.Run(optimizer, cost, new FeedDict { [x] = batchX, [y] = batchY });
                    avgCost += c!.Scalar<float>() / batchesPerEpoch;
                }
                if (epoch % displayStep == 0)
                    log.WriteLine($"Epoch: {epoch + 1:D4} cost= {F(avgCost)}");
            }
        }

        var r = new ClassicResult("save_restore_model");
        // Running first session
        log.WriteLine("Starting 1st session...");
        using (var sess = new Session(g))
        {
            sess.Run(init);
            Train(sess, firstEpochs);
            log.WriteLine("First Optimization Finished!");
            r.Values["accuracy_saved"] = TestAccuracy(sess);
            log.WriteLine($"Accuracy: {r["accuracy_saved"]}");
            // Save model weights to disk
            var savePath = saver.Save(sess, modelPath);
            log.WriteLine($"Model saved in file: {savePath}");
        }

        // Running a new session
        log.WriteLine("Starting 2nd session...");
        using (var sess = new Session(g))
        {
            sess.Run(init);
            // Restore model weights from previously saved model
            saver.Restore(sess, modelPath);
            log.WriteLine($"Model restored from file: {modelPath}");
            r.Values["accuracy_restored"] = TestAccuracy(sess);
            Train(sess, secondEpochs);
            log.WriteLine("Second Optimization Finished!");
            r.Values["accuracy"] = TestAccuracy(sess);
            log.WriteLine($"Accuracy: {r["accuracy"]}");
        }
        return r;
    }
}
