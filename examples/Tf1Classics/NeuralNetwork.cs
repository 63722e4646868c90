using TensorGraph.Estimator;
using TensorGraph.Layers;
using TensorGraph.Training;
using static TensorGraph.Examples.Classics.ClassicsCatalog;

namespace TensorGraph.Examples.Classics;

/// <summary>
/// neural_network.py: the 784-256-256-10 network of neural_network_raw built with tf.layers and
/// trained by a tf.estimator.Estimator fed from numpy_input_fn, evaluated with tf.metrics.accuracy.
/// </summary>
public static class NeuralNetwork
{
    /// <summary>Runs the program; reports the testing accuracy and the final training loss.</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log)
    {
        var mnist = o.MnistOneHot();

        // Parameters
        double learningRate = 0.1;
        int numSteps = o.Steps(1000, 150);
        int batchSize = 128;

        // Network Parameters
        int nHidden1 = 256; // 1st layer number of neurons
        int nHidden2 = 256; // 2nd layer number of neurons
        int numClasses = 10; // MNIST total classes (0-9 digits)

        // Define the neural network
        Output NeuralNet(TensorDict xDict)
        {
            // TF Estimator input is a dict, in case of multiple inputs
            var x = xDict["images"];
            // Hidden fully connected layer with 256 neurons
            var layer1 = TfLayers.Dense(x, nHidden1);
            // Hidden fully connected layer with 256 neurons
            var layer2 = TfLayers.Dense(layer1, nHidden2);
            // Output fully connected layer with a neuron for each class
            return TfLayers.Dense(layer2, numClasses);
        }

        // Define the model function (following TF Estimator Template)
        EstimatorSpec ModelFn(TensorDict features, Output? labels, string mode)
        {
            var g = features.Graph;
            // Build the neural network
            var logits = NeuralNet(features);

            // Predictions
            var predClasses = g.ArgMax(logits, 1);
            var predProbas = g.Softmax(logits);

            // If prediction mode, early return
            if (mode == ModeKeys.Predict)
                return new EstimatorSpec(mode, predictions: predClasses);

            // Define loss and optimizer
            var lossOp = g.ReduceMean(g.SparseSoftmaxCrossEntropyWithLogits(logits: logits, labels: g.Cast(labels!.Value, DType.Int32)));
            var optimizer = new GradientDescentOptimizer(learningRate: learningRate);
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
        var model = new TensorGraph.Estimator.Estimator(ModelFn, o.Dir("neural_network"), new RunConfig(tfRandomSeed: o.Seed)) { Logger = o.EstimatorLog(log) };

        // Define the input function for training
        var inputFn = NumpyIo.NumpyInputFn(
            x: new Dictionary<string, Tensor> { ["images"] = mnist.Train.Images }, y: ClassIds(mnist.Train),
            batchSize: batchSize, numEpochs: null, shuffle: true);
        // Train the Model
        model.Train(inputFn, steps: numSteps);

        // Evaluate the Model
        // Define the input function for evaluating
        inputFn = NumpyIo.NumpyInputFn(
            x: new Dictionary<string, Tensor> { ["images"] = mnist.Test.Images }, y: ClassIds(mnist.Test),
            batchSize: batchSize, shuffle: false);
        // Use the Estimator 'evaluate' method
        var e = model.Evaluate(inputFn);

        log.WriteLine($"Testing Accuracy: {Py(e["accuracy"].Scalar<float>())}");
        var r = new ClassicResult("neural_network");
        r.Values["accuracy"] = e["accuracy"].Scalar<float>();
        r.Values["loss"] = e["loss"].Scalar<float>();
        r.Values["global_step"] = e["global_step"].Scalar<long>();
        return r;
    }
}
