// The Keras MNIST convnet (keras.io's "Simple MNIST convnet") on TensorGraph.Keras: two
// Conv2D/MaxPooling2D blocks, Flatten, Dropout(0.5), Dense(10, softmax), Adam with its defaults;
// then the model is saved as .h5, loaded back and the loaded model evaluated.
using System.CommandLine;
using TensorGraph.Data;
using TensorGraph.Examples;

var epochs = new Option<int>("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 12 };
var batchSize = new Option<int>("--batch_size") { Description = "Batch size of fit.", DefaultValueFactory = _ => 128 };
var dataDir = new Option<string?>("--data_dir") { Description = "Directory with the IDX files (default: the user cache directory)." };
var output = new Option<string>("--output") { Description = "Where the trained model is saved (.h5).", DefaultValueFactory = _ => "mnist_cnn.h5" };
var root = new RootCommand("MNIST convolutional network on TensorGraph.Keras, saved to .h5 and reloaded.") { epochs, batchSize, dataDir, output };
root.SetAction(parse =>
{
    try
    {
        var data = Mnist.ReadDataSets(parse.GetValue(dataDir), validationSize: 0);
        var result = MnistConvNet.Run(data.Train.Images, data.Train.ClassIds.ToArray(), data.Test.Images, data.Test.ClassIds.ToArray(),
            parse.GetValue(epochs), parse.GetValue(batchSize), parse.GetValue(output)!, Console.Out, interactive: !Console.IsOutputRedirected);
        // The reloaded model must score exactly what the trained one did.
        return result.ReloadedTestAccuracy == result.TestAccuracy ? 0 : 1;
    }
    catch (TensorGraph.TensorGraphException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
});
return root.Parse(args).Invoke();
