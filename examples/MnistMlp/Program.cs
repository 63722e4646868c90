// Seed 003: the Keras MNIST MLP ("Deep Learning with Python", chapter 2) on TensorGraph.Keras,
// then the same network written from scratch over Variables.
using System.CommandLine;
using TensorGraph.Data;
using TensorGraph.Examples;

var dataset = new Option<string>("--dataset") { Description = "mnist or fashion", DefaultValueFactory = _ => "mnist" };
var epochs = new Option<int>("--epochs") { Description = "Epochs of the Keras-style network.", DefaultValueFactory = _ => 5 };
var scratchEpochs = new Option<int>("--scratch_epochs") { Description = "Epochs of the from-scratch network.", DefaultValueFactory = _ => 10 };
var dataDir = new Option<string?>("--data_dir") { Description = "Directory with the IDX files (default: the user cache directory)." };
var root = new RootCommand("MNIST multilayer perceptron, Keras-style and from scratch.") { dataset, epochs, scratchEpochs, dataDir };
root.SetAction(parse =>
{
    var kind = parse.GetValue(dataset) switch
    {
        "mnist" => DatasetKind.Mnist,
        "fashion" or "fashion_mnist" => DatasetKind.FashionMnist,
        var other => throw new ArgumentException($"--dataset must be mnist or fashion, not '{other}'"),
    };
    try
    {
        // All 60000 training images (no validation split), pixels scaled to [0, 1] as in the seed.
        var data = Mnist.ReadDataSets(parse.GetValue(dataDir), validationSize: 0, kind: kind);
        var trainX = data.Train.Images;
        var testX = data.Test.Images;
        var trainLabels = data.Train.ClassIds.ToArray();
        var testLabels = data.Test.ClassIds.ToArray();
        KerasStyleMlp.Run(trainX, trainLabels, testX, testLabels, parse.GetValue(epochs), Console.Out, interactive: !Console.IsOutputRedirected);
        FromScratch.Run(trainX, trainLabels, testX, testLabels, parse.GetValue(scratchEpochs), Console.Out);
        return 0;
    }
    catch (TensorGraph.TensorGraphException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
});
return root.Parse(args).Invoke();
