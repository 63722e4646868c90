using TensorGraph.Estimator;
using TensorGraph.Layers;
using TensorGraph.Training;
using static TensorGraph.Examples.Classics.ClassicsCatalog;

namespace TensorGraph.Examples.Classics;

/// <summary>
/// convolutional_network.py: a conv(32, 5) → pool → conv(64, 3) → pool → dense(1024) → dropout →
/// dense(10) network with tf.layers under a reused variable scope (one tower with dropout for the
/// loss, one without for the predictions, sharing their weights), trained by an Estimator with Adam.
/// </summary>
public static class ConvolutionalNetwork
{
    /// <summary>Runs the program; reports the testing accuracy and the final evaluation loss.</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log)
    {
        var mnist = o.MnistOneHot();

        // Training Parameters
        double learningRate = 0.001;
        int numSteps = o.Steps(2000, 60);
        int batchSize = 128;

        // Network Parameters
        int numClasses = 10; // MNIST total classes (0-9 digits)
        double dropout = 0.25; // Dropout, probability to drop a unit

        // Create the neural network
        Output ConvNet(TensorDict xDict, int nClasses, double dropout, bool reuse, bool isTraining)
        {
            var g = xDict.Graph;
            // Define a scope for reusing the variables
            using (g.VariableScope("ConvNet", reuse: reuse))
            {
                // TF Estimator input is a dict, in case of multiple inputs
                var x = xDict["images"];

                // MNIST data input is a 1-D vector of 784 features (28*28 pixels)
                // Reshape to match picture format [Height x Width x Channel]
                // Tensor input become 4-D: [Batch Size, Height, Width, Channel]
                x = g.Reshape(x, shape: [-1, 28, 28, 1]);

                // Convolution Layer with 32 filters and a kernel size of 5
                var conv1 = TfLayers.Conv2D(x, 32, 5, activation: v => g.Relu(v));
                // Max Pooling (down-sampling) with strides of 2 and kernel size of 2
                conv1 = TfLayers.MaxPooling2D(conv1, 2, 2);

                // Convolution Layer with 64 filters and a kernel size of 3
                var conv2 = TfLayers.Conv2D(conv1, 64, 3, activation: v => g.Relu(v));
                // Max Pooling (down-sampling) with strides of 2 and kernel size of 2
                conv2 = TfLayers.MaxPooling2D(conv2, 2, 2);

                // Flatten the data to a 1-D vector for the fully connected layer
                var fc1 = TfLayers.Flatten(conv2);

                // Fully connected layer (in tf contrib folder for now)
                fc1 = TfLayers.Dense(fc1, 1024);
                // Apply Dropout (if is_training is False, dropout is not applied)
                fc1 = TfLayers.Dropout(fc1, rate: dropout, training: isTraining);

                // Output layer, class prediction
                return TfLayers.Dense(fc1, nClasses);
            }
        }

        // Define the model function (following TF Estimator Template)
        EstimatorSpec ModelFn(TensorDict features, Output? labels, string mode)
        {
            var g = features.Graph;
            // Build the neural network
            // Because Dropout have different behavior at training and prediction time, we
            // need to create 2 distinct computation graphs that still share the same weights.
            var logitsTrain = ConvNet(features, numClasses, dropout, reuse: false, isTraining: true);
            var logitsTest = ConvNet(features, numClasses, dropout, reuse: true, isTraining: false);

            // Predictions
            var predClasses = g.ArgMax(logitsTest, 1);
            var predProbas = g.Softmax(logitsTest);

            // If prediction mode, early return
            if (mode == ModeKeys.Predict)
                return new EstimatorSpec(mode, predictions: predClasses);

            // Define loss and optimizer
            var lossOp = g.ReduceMean(g.SparseSoftmaxCrossEntropyWithLogits(logits: logitsTrain, labels: g.Cast(labels!.Value, DType.Int32)));
            var optimizer = new AdamOptimizer(learningRate: learningRate);
            var trainOp = optimizer.Minimize(lossOp, globalStep: g.GetGlobalStep());

            // Evaluate the accuracy of the model
            var accOp = Metrics.Accuracy(labels: labels.Value, predictions: predClasses);

            // TF Estimators requires to return a EstimatorSpec, that specify
            // the different ops for training, evaluating, ...
            var estimSpecs = new EstimatorSpec(
                mode: mode,
                predictions: predClasses,
                loss: lossOp,
                trainOp: trainOp,
                evalMetricOps: new Dictionary<string, (Output, Output)> { ["accuracy"] = accOp });

            return estimSpecs;
        }

        // Build the Estimator
        var model = new TensorGraph.Estimator.Estimator(ModelFn, o.Dir("convolutional_network"), new RunConfig(tfRandomSeed: o.Seed)) { Logger = o.EstimatorLog(log) };

        // Define the input function for training
        var inputFn = NumpyIo.NumpyInputFn(
            x: new Dictionary<string, Tensor> { ["images"] = mnist.Train.Images }, y: ClassIds(mnist.Train),
            batchSize: batchSize, numEpochs: null, shuffle: true);
        // Train the Model
        model.Train(inputFn, steps: numSteps);

        // Evaluate the Model
        // Define the input function for evaluating (the short version evaluates the first 2000 test images)
        var (testImages, testLabels) = (mnist.Test.Images, ClassIds(mnist.Test));
        if (o.Short) (testImages, testLabels) = (testImages[..2000], testLabels[..2000]);
        inputFn = NumpyIo.NumpyInputFn(
            x: new Dictionary<string, Tensor> { ["images"] = testImages }, y: testLabels,
            batchSize: batchSize, shuffle: false);
        // Use the Estimator 'evaluate' method
        var e = model.Evaluate(inputFn);

        log.WriteLine($"Testing Accuracy: {Py(e["accuracy"].Scalar<float>())}");
        var r = new ClassicResult("convolutional_network");
        r.Values["accuracy"] = e["accuracy"].Scalar<float>();
        r.Values["loss"] = e["loss"].Scalar<float>();
        r.Values["global_step"] = e["global_step"].Scalar<long>();
        return r;
    }
}
