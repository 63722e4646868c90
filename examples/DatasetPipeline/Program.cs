// MNIST training fed three ways — feed_dict, a tf.data pipeline, TF1 queue runners — on the
// network of TensorFlow Mechanics 101; prints each run's test precision and steps per second.
using System.CommandLine;
using TensorGraph.Data;
using TensorGraph.Examples;

var defaults = new PipelineOptions();
var input = new Option<string>("--input") { Description = "feed, dataset, queue or all.", DefaultValueFactory = _ => "all" };
var maxSteps = new Option<int>("--max_steps") { Description = "Number of steps to run trainer.", DefaultValueFactory = _ => defaults.MaxSteps };
var learningRate = new Option<double>("--learning_rate") { Description = "Initial learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
var batchSize = new Option<int>("--batch_size") { Description = "Batch size.", DefaultValueFactory = _ => defaults.BatchSize };
var inputDataDir = new Option<string?>("--input_data_dir") { Description = "Directory of the MNIST files (default: the user cache directory)." };
var fakeData = new Option<bool>("--fake_data") { Description = "If true, uses fake data for unit testing." };
var seed = new Option<int?>("--seed") { Description = "Graph-level random seed." };

var root = new RootCommand("Trains the MNIST network with feed_dict, tf.data and queue input.")
{
    input, maxSteps, learningRate, batchSize, inputDataDir, fakeData, seed,
};
root.SetAction(parse =>
{
    var options = new PipelineOptions
    {
        MaxSteps = parse.GetValue(maxSteps),
        LearningRate = parse.GetValue(learningRate),
        BatchSize = parse.GetValue(batchSize),
        InputDataDir = parse.GetValue(inputDataDir),
        FakeData = parse.GetValue(fakeData),
        Seed = parse.GetValue(seed),
    };
    InputKind[] kinds = parse.GetValue(input) switch
    {
        "feed" => [InputKind.Feed],
        "dataset" => [InputKind.Dataset],
        "queue" => [InputKind.Queue],
        "all" => [InputKind.Feed, InputKind.Dataset, InputKind.Queue],
        _ => [],
    };
    if (kinds.Length == 0)
    {
        Console.Error.WriteLine($"error: --input must be feed, dataset, queue or all, not '{parse.GetValue(input)}'");
        return 2;
    }
    try
    {
        var data = Mnist.ReadDataSets(options.InputDataDir, options.FakeData, seed: options.Seed);
        foreach (var kind in kinds) Pipelines.Run(kind, options, Console.Out, data);
        return 0;
    }
    catch (TensorGraph.TensorGraphException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
});
return root.Parse(args).Invoke();
