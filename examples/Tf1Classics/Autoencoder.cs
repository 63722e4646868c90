using TensorGraph.Training;
using static TensorGraph.Examples.Classics.ClassicsCatalog;

namespace TensorGraph.Examples.Classics;

/// <summary>autoencoder.py: a 784-256-128-256-784 sigmoid autoencoder of MNIST digits, RMSProp; writes originals and reconstructions as a PNG.</summary>
public static class Autoencoder
{
    /// <summary>Runs the program; reports first_loss, last_loss (minibatch) and test_loss (the mean squared error on the test images); image is the PNG written.</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log) => Run(o, log, out _);

    /// <summary>As <see cref="Run(ClassicOptions, TextWriter)"/>, also giving the path of the PNG of originals (top row) and reconstructions (bottom row).</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log, out string imagePath)
    {
        var mnist = o.MnistOneHot();

        // Training Parameters
        double learningRate = 0.01;
        int numSteps = o.Steps(30000, 300);
        int batchSize = 256;
        int displayStep = o.Steps(1000, 100);
        int examplesToShow = 10;

        // Network Parameters
        int numHidden1 = 256; // 1st layer num features
        int numHidden2 = 128; // 2nd layer num features (the latent dim)
        int numInput = 784; // MNIST data input (img shape: 28*28)

        var g = new Graph { Seed = o.Seed };
        // tf Graph input (only pictures)
        var X = g.Placeholder(DType.Float32, new Shape(-1, numInput));

        var encoderH1 = g.Variable(g.RandomNormal([numInput, numHidden1]));
        var encoderH2 = g.Variable(g.RandomNormal([numHidden1, numHidden2]));
        var decoderH1 = g.Variable(g.RandomNormal([numHidden2, numHidden1]));
        var decoderH2 = g.Variable(g.RandomNormal([numHidden1, numInput]));
        var encoderB1 = g.Variable(g.RandomNormal([numHidden1]));
        var encoderB2 = g.Variable(g.RandomNormal([numHidden2]));
        var decoderB1 = g.Variable(g.RandomNormal([numHidden1]));
        var decoderB2 = g.Variable(g.RandomNormal([numInput]));

        // Building the encoder
        Output Encoder(Output x)
        {
            // Encoder Hidden layer with sigmoid activation #1
            var layer1 = g.Sigmoid(g.Add(g.MatMul(x, encoderH1), encoderB1));
            // Encoder Hidden layer with sigmoid activation #2
            return g.Sigmoid(g.Add(g.MatMul(layer1, encoderH2), encoderB2));
        }

        // Building the decoder
        Output Decoder(Output x)
        {
            // Decoder Hidden layer with sigmoid activation #1
            var layer1 = g.Sigmoid(g.Add(g.MatMul(x, decoderH1), decoderB1));
            // Decoder Hidden layer with sigmoid activation #2
            return g.Sigmoid(g.Add(g.MatMul(layer1, decoderH2), decoderB2));
        }

        // Construct model
        var encoderOp = Encoder(X);
        var decoderOp = Decoder(encoderOp);

        // Prediction
        var yPred = decoderOp;
        // Targets (Labels) are the input data.
        var yTrue = X;

        // Define loss and optimizer, minimize the squared error
        var loss = g.ReduceMean(g.Pow(yTrue - yPred, 2));
        var optimizer = new RMSPropOptimizer(learningRate).Minimize(loss);

        var init = g.GlobalVariablesInitializer();
        using var sess = new Session(g);
        sess.Run(init);

        var r = new ClassicResult("autoencoder");
        // Training
        for (int i = 1; i <= numSteps; i++)
        {
            // Prepare Data: get the next batch of MNIST data (only images are needed, not labels)
            var (batchX, _) = mnist.Train.NextBatch(batchSize);
            // Run optimization op (backprop) and cost op (to get loss value)
            var (_, l) = sess.Run(optimizer, loss, new FeedDict { [X] = batchX });
            // Display logs per step
            if (i % displayStep == 0 || i == 1)
            {
                log.WriteLine($"Step {i}: Minibatch Loss: {F(l!.Scalar<float>(), "F6")}");
                if (i == 1) r.Values["first_loss"] = l.Scalar<float>();
                r.Values["last_loss"] = l.Scalar<float>();
            }
        }

        // Testing: encode and decode images from the test set and visualize their reconstruction.
        r.Values["test_loss"] = sess.Run(loss, new FeedDict { [X] = mnist.Test.Images }).Scalar<float>();
        log.WriteLine($"Test Loss: {F(r["test_loss"], "F6")}");
        var (batchTest, _) = mnist.Test.NextBatch(examplesToShow, shuffle: false);
        var reconstructed = sess.Run(decoderOp, new FeedDict { [X] = batchTest });
        imagePath = Path.Combine(o.Dir("autoencoder"), "reconstruction.png");
        ImageGrid.WritePng(imagePath, [batchTest, reconstructed], examplesToShow);
        log.WriteLine($"Original Images (top) and Reconstructed Images (bottom): {imagePath}");
        return r;
    }
}
