using TensorGraph.Training;
using static TensorGraph.Examples.Classics.ClassicsCatalog;

namespace TensorGraph.Examples.Classics;

/// <summary>gan.py: a generator and a discriminator of one hidden layer each, trained against each other with Adam; writes generated digits as a PNG.</summary>
public static class Gan
{
    /// <summary>Runs the program; reports first/last generator and discriminator losses (gen_loss_first, disc_loss_first, gen_loss, disc_loss).</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log) => Run(o, log, out _);

    /// <summary>As <see cref="Run(ClassicOptions, TextWriter)"/>, also giving the generator's variables before and after training, and the PNG written.</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log, out (string ImagePath, Tensor Samples) detail)
    {
        var mnist = o.MnistOneHot();

        // Training Params
        int numSteps = o.Steps(100000, 300);
        int batchSize = 128;
        double learningRate = 0.0002;
        int displayStep = o.Steps(1000, 100);

        // Network Params
        int imageDim = 784; // 28*28 pixels
        int genHiddenDim = 256;
        int discHiddenDim = 256;
        int noiseDim = 100; // Noise data points

        var g = new Graph { Seed = o.Seed };
        // A custom initialization (see Xavier Glorot init)
        Output GlorotInit(int[] shape) => g.RandomNormal(shape, stddev: 1.0 / Math.Sqrt(shape[0] / 2.0));

        // Store layers weight & bias
        var genHidden1 = g.Variable(GlorotInit([noiseDim, genHiddenDim]));
        var genOut = g.Variable(GlorotInit([genHiddenDim, imageDim]));
        var discHidden1 = g.Variable(GlorotInit([imageDim, discHiddenDim]));
        var discOut = g.Variable(GlorotInit([discHiddenDim, 1]));
        var genB1 = g.Variable(g.Zeros([genHiddenDim]));
        var genBOut = g.Variable(g.Zeros([imageDim]));
        var discB1 = g.Variable(g.Zeros([discHiddenDim]));
        var discBOut = g.Variable(g.Zeros([1]));

        // Generator
        Output Generator(Output x)
        {
            var hiddenLayer = g.Relu(g.MatMul(x, genHidden1) + genB1);
            return g.Sigmoid(g.MatMul(hiddenLayer, genOut) + genBOut);
        }

        // Discriminator
        Output Discriminator(Output x)
        {
            var hiddenLayer = g.Relu(g.MatMul(x, discHidden1) + discB1);
            return g.Sigmoid(g.MatMul(hiddenLayer, discOut) + discBOut);
        }

        // Build Networks
        // Network Inputs
        var genInput = g.Placeholder(DType.Float32, new Shape(-1, noiseDim), name: "input_noise");
        var discInput = g.Placeholder(DType.Float32, new Shape(-1, imageDim), name: "disc_input");

        // Build Generator Network
        var genSample = Generator(genInput);

        // Build 2 Discriminator Networks (one from noise input, one from generated samples)
        var discReal = Discriminator(discInput);
        var discFake = Discriminator(genSample);

        // Build Loss
        var genLoss = -g.ReduceMean(g.Log(discFake));
        var discLoss = -g.ReduceMean(g.Log(discReal) + g.Log(1f - discFake));

        // Build Optimizers
        var optimizerGen = new AdamOptimizer(learningRate);
        var optimizerDisc = new AdamOptimizer(learningRate);

        // Training Variables for each optimizer: by default every variable is updated by every
        // optimizer, so each one gets the list of the variables it may update.
        Variable[] genVars = [genHidden1, genOut, genB1, genBOut];
        Variable[] discVars = [discHidden1, discOut, discB1, discBOut];

        // Create training operations
        var trainGen = optimizerGen.Minimize(genLoss, varList: genVars);
        var trainDisc = optimizerDisc.Minimize(discLoss, varList: discVars);

        var init = g.GlobalVariablesInitializer();
        using var sess = new Session(g);
        sess.Run(init);

        var rng = new Random(o.Seed);
        Tensor Uniform(int rows)
        {
            var z = new float[rows * noiseDim];
            for (int i = 0; i < z.Length; i++) z[i] = (float)(rng.NextDouble() * 2 - 1);
            return Tensor.Create(z, rows, noiseDim);
        }

        var r = new ClassicResult("gan");
        for (int i = 1; i <= numSteps; i++)
        {
            // Prepare Data: get the next batch of MNIST data (only images are needed, not labels)
            var (batchX, _) = mnist.Train.NextBatch(batchSize);
            // Generate noise to feed to the generator
            var z = Uniform(batchSize);

            // Train
            var outs = sess.Run([genLoss, discLoss], new FeedDict { [discInput] = batchX, [genInput] = z }, trainGen, trainDisc);
            float gl = outs[0].Scalar<float>(), dl = outs[1].Scalar<float>();
            if (i % displayStep == 0 || i == 1)
            {
                log.WriteLine($"Step {i}: Generator Loss: {F(gl, "F6")}, Discriminator Loss: {F(dl, "F6")}");
                if (i == 1)
                {
                    r.Values["gen_loss_first"] = gl;
                    r.Values["disc_loss_first"] = dl;
                }
                r.Values["gen_loss"] = gl;
                r.Values["disc_loss"] = dl;
            }
        }

        // Testing: generate images from noise, using the generator network.
        var samples = sess.Run(genSample, new FeedDict { [genInput] = Uniform(40) });
        var imagePath = Path.Combine(o.Dir("gan"), "generated.png");
        ImageGrid.WritePng(imagePath, [samples[0..10], samples[10..20], samples[20..30], samples[30..40]], 10);
        log.WriteLine($"Generated images: {imagePath}");
        detail = (imagePath, samples);
        return r;
    }
}
