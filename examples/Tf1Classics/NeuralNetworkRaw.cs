using TensorGraph.Training;
using static TensorGraph.Examples.Classics.ClassicsCatalog;

namespace TensorGraph.Examples.Classics;

/// <summary>neural_network_raw.py: a 784-256-256-10 network (no hidden activations, as the original) from raw variables, Adam.</summary>
public static class NeuralNetworkRaw
{
    /// <summary>Runs the program; reports the testing accuracy and the last minibatch loss.</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log)
    {
        var mnist = o.MnistOneHot();

        // Parameters
        double learningRate = 0.1;
        int numSteps = o.Steps(500, 150);
        int batchSize = 128;
        int displayStep = 100;

        // Network Parameters
        int nHidden1 = 256; // 1st layer number of neurons
        int nHidden2 = 256; // 2nd layer number of neurons
        int numInput = 784; // MNIST data input (img shape: 28*28)
        int numClasses = 10; // MNIST total classes (0-9 digits)

        var g = new Graph { Seed = o.Seed };
        // tf Graph input
        var X = g.Placeholder(DType.Float32, new Shape(-1, numInput));
        var Y = g.Placeholder(DType.Float32, new Shape(-1, numClasses));

        // Store layers weight & bias
        var h1 = g.Variable(g.RandomNormal([numInput, nHidden1]));
        var h2 = g.Variable(g.RandomNormal([nHidden1, nHidden2]));
        var wOut = g.Variable(g.RandomNormal([nHidden2, numClasses]));
        var b1 = g.Variable(g.RandomNormal([nHidden1]));
        var b2 = g.Variable(g.RandomNormal([nHidden2]));
        var bOut = g.Variable(g.RandomNormal([numClasses]));

        // Create model
        Output NeuralNet(Output x)
        {
            // Hidden fully connected layer with 256 neurons
            var layer1 = g.Add(g.MatMul(x, h1), b1);
            // Hidden fully connected layer with 256 neurons
            var layer2 = g.Add(g.MatMul(layer1, h2), b2);
            // Output fully connected layer with a neuron for each class
            return g.MatMul(layer2, wOut) + bOut;
        }

        // Construct model
        var logits = NeuralNet(X);
        var prediction = g.Softmax(logits);

        // Define loss and optimizer
        var lossOp = g.ReduceMean(g.SoftmaxCrossEntropyWithLogits(labels: Y, logits: logits));
        var trainOp = new AdamOptimizer(learningRate).Minimize(lossOp);

        // Evaluate model
        var correctPred = g.Equal(g.ArgMax(prediction, 1), g.ArgMax(Y, 1));
        var accuracy = g.ReduceMean(g.Cast(correctPred, DType.Float32));

        var init = g.GlobalVariablesInitializer();
        using var sess = new Session(g);
        sess.Run(init);

        float loss = 0;
        for (int step = 1; step <= numSteps; step++)
        {
            var (batchX, batchY) = mnist.Train.NextBatch(batchSize);
            // Run optimization op (backprop)
            sess.Run(trainOp, new FeedDict { [X] = batchX, [Y] = batchY });
            if (step % displayStep == 0 || step == 1)
            {
                // Calculate batch loss and accuracy
                var (l, acc) = sess.Run(lossOp, accuracy, new FeedDict { [X] = batchX, [Y] = batchY });
                loss = l.Scalar<float>();
                log.WriteLine($"Step {step}, Minibatch Loss= {F(loss, "F4")}, Training Accuracy= {F(acc.Scalar<float>(), "F3")}");
            }
        }
        log.WriteLine("Optimization Finished!");

        // Calculate accuracy for MNIST test images
        var testAcc = sess.Run(accuracy, new FeedDict { [X] = mnist.Test.Images, [Y] = mnist.Test.Labels }).Scalar<float>();
        log.WriteLine($"Testing Accuracy: {testAcc}");
        var r = new ClassicResult("neural_network_raw");
        r.Values["accuracy"] = testAcc;
        r.Values["loss"] = loss;
        return r;
    }
}
