using System.CommandLine;
using TensorGraph.Distributed;
using TensorGraph.Examples;

var spec = new Option<string?>("--cluster_spec") { Description = "TF_CONFIG-style JSON file (default: the TF_CONFIG environment variable)." };
var type = new Option<string?>("--job_name") { Description = "ps, worker or chief (overrides TF_CONFIG's task.type)." };
var index = new Option<int?>("--task_index") { Description = "Task index (overrides TF_CONFIG's task.index)." };
var dataDir = new Option<string?>("--data_dir") { Description = "Directory with the MNIST IDX files." };
var hidden = new Option<int>("--hidden_units") { DefaultValueFactory = _ => 100 };
var steps = new Option<int>("--train_steps") { DefaultValueFactory = _ => 200 };
var batch = new Option<int>("--batch_size") { DefaultValueFactory = _ => 100 };
var lr = new Option<double>("--learning_rate") { DefaultValueFactory = _ => 0.01 };
var sync = new Option<bool>("--sync_replicas") { Description = "Use SyncReplicasOptimizer semantics." };
var agg = new Option<int?>("--replicas_to_aggregate");
var ckpt = new Option<string?>("--checkpoint_dir");
var single = new Option<bool>("--single_process") { Description = "Train the same model in one ordinary session instead (the baseline)." };
var root = new RootCommand("TF1's mnist_replica.py: distributed MNIST with parameter servers (without TF_CONFIG: one ps and two workers in this process).") { spec, type, index, dataDir, hidden, steps, batch, lr, sync, agg, ckpt, single };
root.SetAction(async (p, ct) =>
{
    try
    {
        var options = new DistributedMnistOptions
        {
            DataDir = p.GetValue(dataDir), HiddenUnits = p.GetValue(hidden), TrainSteps = p.GetValue(steps), BatchSize = p.GetValue(batch),
            LearningRate = p.GetValue(lr), SyncReplicas = p.GetValue(sync), ReplicasToAggregate = p.GetValue(agg), CheckpointDir = p.GetValue(ckpt),
        };
        if (p.GetValue(single))
        {
            DistributedMnistExample.RunSingleProcess(options, Console.Out);
            return 0;
        }
        var cluster = p.GetValue(spec) is { } file ? ClusterSpec.FromFile(file) : ClusterSpec.FromEnvironment();
        if (cluster is null)
        {
            await DistributedMnistExample.RunLocalAsync(options, Console.Out);
            return 0;
        }
        if (p.GetValue(type) is { } t) cluster = cluster.WithTask(t, p.GetValue(index) ?? cluster.TaskIndex);
        else if (p.GetValue(index) is { } i) cluster = cluster.WithTask(cluster.TaskType ?? "worker", i);
        if (cluster.TaskType == "ps")
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
            await DistributedMnistExample.RunPsAsync(cluster, Console.Out, stop.Token);
            return 0;
        }
        await DistributedMnistExample.RunWorkerAsync(cluster, options, Console.Out);
        return 0;
    }
    catch (Exception e) when (e is ClusterSpecException or DistributedTrainingException or TensorGraph.TensorGraphException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
});
return await root.Parse(args).InvokeAsync();
