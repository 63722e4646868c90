using System.Globalization;
using System.Text.Json;
using TensorGraph.Cli;
using TensorGraph.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Distributed.Tests;

/// <summary>
/// <c>tensorgraph worker --graph FILE --loss T --feed NAME=@file.npy</c>: a user's MetaGraph
/// trained by two sync workers (in-process, against an in-process ps task), each on its shard of
/// the rows, compared with one process training on both replicas' batches at once.
/// </summary>
[NonParallelizable]
public class WorkerGraphCommandTests
{
    private const int Rows = 21, Features = 4, Hidden = 5, Classes = 3, Batch = 4, Steps = 12;
    private const float LearningRate = 0.5f;

    /// <summary>An MLP classifier with placeholders x [?, 4] and y [?, 3] (one-hot), a mean softmax cross-entropy "loss" and an "accuracy".</summary>
    private static (Graph G, Output Loss, Output X, Output Y) Mlp()
    {
        var g = new Graph();
        var r = new Random(3);
        float[] Init(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() - 0.5))];
        var x = g.Placeholder(DType.Float32, new Shape(-1, Features), "x");
        var y = g.Placeholder(DType.Float32, new Shape(-1, Classes), "y");
        var w1 = g.Variable(Tensor.Create(Init(Features * Hidden), Features, Hidden), "hidden/kernel");
        var b1 = g.Variable(Tensor.Create(Init(Hidden), Hidden), "hidden/bias");
        var w2 = g.Variable(Tensor.Create(Init(Hidden * Classes), Hidden, Classes), "logits/kernel");
        var b2 = g.Variable(Tensor.Create(new float[Classes], Classes), "logits/bias");
        var logits = g.MatMul(g.Relu(g.MatMul(x, w1) + b1), w2) + b2;
        var loss = g.ReduceMean(g.SoftmaxCrossEntropyWithLogits(y, logits, name: "xent"), name: "loss");
        g.ReduceMean(g.Cast(g.Equal(g.ArgMax(logits, 1), g.ArgMax(y, 1)), DType.Float32), name: "accuracy");
        return (g, loss, x, y);
    }

    private static (float[] X, float[] Y) Data(int rows)
    {
        var r = new Random(11);
        var x = new float[rows * Features];
        var y = new float[rows * Classes];
        for (int i = 0; i < rows; i++)
        {
            int c = i * 7 % Classes;
            y[i * Classes + c] = 1;
            for (int j = 0; j < Features; j++) x[i * Features + j] = (j == c ? 1f : 0f) + (float)(r.NextDouble() - 0.5);
        }
        return (x, y);
    }

    /// <summary>The rows replica <paramref name="replica"/> of 2 trains on at <paramref name="step"/>: its shard is rows i with i % replicas == replica, batches taken in order, cycling.</summary>
    private static int[] ShardBatch(int step, int replica) => ShardBatch(step, replica, 2, Batch, Rows);

    private static int[] ShardBatch(int step, int replica, int replicas, int batch, int rows)
    {
        var shard = Enumerable.Range(0, rows).Where(i => i % replicas == replica).ToArray();
        return [.. Enumerable.Range(0, batch).Select(j => shard[(step * batch + j) % shard.Length])];
    }

    private static Tensor Take(float[] data, int width, int[] rows) =>
        Tensor.Create(rows.SelectMany(i => data.Skip(i * width).Take(width)).ToArray(), rows.Length, width);

    /// <summary>One process, plain gradient descent on the 2·Batch rows of both replicas each step; the variables and the loss over every row.</summary>
    private static (Dictionary<string, float[]> Vars, float Loss) Reference()
    {
        var (g, loss, x, y) = Mlp();
        var (dx, dy) = Data(Rows);
        var train = new GradientDescentOptimizer(LearningRate).Minimize(loss);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        for (int step = 0; step < Steps; step++)
        {
            int[] rows = [.. ShardBatch(step, 0), .. ShardBatch(step, 1)];
            s.Run(train, new FeedDict { { x, Take(dx, Features, rows) }, { y, Take(dy, Classes, rows) } });
        }
        var all = Enumerable.Range(0, Rows).ToArray();
        float total = s.Run(loss, new FeedDict { { x, Take(dx, Features, all) }, { y, Take(dy, Classes, all) } }).Scalar<float>();
        return (g.TrainableVariables.ToDictionary(v => v.Name, v => s.Run(v.Value).ToArray<float>()), total);
    }

    private static string NewDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tg-worker-graph-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>model.meta, x.npy, y.npy (with <paramref name="yRows"/> rows) and a cluster spec of one ps and two workers in <paramref name="dir"/>.</summary>
    private static string WriteInputs(string dir, int yRows = Rows)
    {
        MetaGraphs.Write(Path.Combine(dir, "model.meta"), Mlp().G.ToMetaGraphDef());
        var (x, y) = Data(Rows);
        Npy.Write(Path.Combine(dir, "x.npy"), Tensor.Create(x, Rows, Features));
        Npy.Write(Path.Combine(dir, "y.npy"), Tensor.Create(y[..(yRows * Classes)], yRows, Classes));
        int ps = ProcessTests.FreePortPair();
        var spec = Path.Combine(dir, "cluster.json");
        File.WriteAllText(spec, string.Create(CultureInfo.InvariantCulture,
            $$$"""{"cluster": {"ps": ["127.0.0.1:{{{ps}}}"], "worker": ["127.0.0.1:{{{ps + 1}}}", "127.0.0.1:{{{ps + 2}}}"]}}"""));
        return spec;
    }

    private static string[] WorkerArgs(string dir, string spec, int index, params string[] more) =>
    [
        "worker", "--cluster_spec", spec, "--task_type", "worker", "--task_index", index.ToString(CultureInfo.InvariantCulture),
        "--graph", Path.Combine(dir, "model.meta"), "--loss", "loss", "--metric", "accuracy:0",
        "--feed", "x=@" + Path.Combine(dir, "x.npy"), "--feed", "y:0=@" + Path.Combine(dir, "y.npy"),
        "--steps", Steps.ToString(CultureInfo.InvariantCulture), "--batch_size", Batch.ToString(CultureInfo.InvariantCulture),
        "--learning_rate", LearningRate.ToString(CultureInfo.InvariantCulture), "--checkpoint_dir", Path.Combine(dir, "ckpt"),
        "--log_every", "1", "--connect_timeout_s", "20", .. more,
    ];

    private static (int Code, string Out, string Err) Cli(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static float Value(string line, string key)
    {
        var words = line.Split(' ');
        return float.Parse(words[Array.IndexOf(words, key) + 1], CultureInfo.InvariantCulture);
    }

    [Test]
    public async Task TwoSyncWorkersTrainTheGraphLikeOneProcessOnTheCombinedShardBatches()
    {
        var dir = NewDir();
        var spec = WriteInputs(dir);
        using var ps = DistributedHosting.BuildParameterServer(ClusterSpec.FromFile(spec), 0);
        await ps.StartAsync();
        try
        {
            var w0 = Task.Run(() => Cli(WorkerArgs(dir, spec, 0)));
            var w1 = Task.Run(() => Cli(WorkerArgs(dir, spec, 1)));
            var (c0, out0, err0) = await w0.WaitAsync(TimeSpan.FromSeconds(60));
            var (c1, out1, err1) = await w1.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.That(c0, Is.Zero, out0 + err0);
            Assert.That(c1, Is.Zero, out1 + err1);
            var lines0 = out0.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
            Assert.That(lines0[0], Does.Contain("(replica 0 of 2, chief) attached at step 0: model.meta minimizing 'loss:0' over 4 trainable variable(s), 21 rows fed to x:0, y:0"));
            var steps = lines0.Where(l => l.StartsWith("step ", StringComparison.Ordinal)).ToArray();
            Assert.That(steps, Has.Length.EqualTo(Steps));
            Assert.That(steps[0], Does.Match(@"^step 0 loss \d+\.\d{4} accuracy:0 \d+\.\d{4}$"));
            Assert.That(out1, Does.Not.Contain("checkpoint"), "only the chief checkpoints");

            var (vars, loss) = Reference();
            var latest = Saver.LatestCheckpoint(Path.Combine(dir, "ckpt"));
            Assert.That(latest, Does.EndWith("model.ckpt-" + Steps));
            using (var r = new CheckpointReader(latest!))
            {
                Assert.That(r.GetTensor(DistributedTrainingSession.GlobalStepKey).Scalar<long>(), Is.EqualTo(Steps));
                foreach (var (name, expected) in vars)
                    Assert.That(r.GetTensor(name).ToArray<float>(), Is.EqualTo(expected).Within(1e-5), name + ": the checkpoint holds the graph's variable names and the single-process values");
            }
            var done = lines0.Single(l => l.StartsWith("done ", StringComparison.Ordinal));
            Assert.That(done, Does.StartWith($"done step {Steps} loss "));
            Assert.That(Value(done, "loss"), Is.EqualTo(loss).Within(1e-4), "the chief's closing loss is over every row");

            // tensorgraph run restores the checkpoint into the same graph file and computes the same loss.
            var (code, json, err) = Cli("run", Path.Combine(dir, "model.meta"), "--checkpoint", Path.Combine(dir, "ckpt"),
                "--feed", "x=@" + Path.Combine(dir, "x.npy"), "--feed", "y=@" + Path.Combine(dir, "y.npy"), "--fetch", "loss", "--json");
            Assert.That(code, Is.Zero, err);
            using var doc = JsonDocument.Parse(json);
            Assert.That(doc.RootElement.GetProperty("loss:0").GetProperty("values")[0].GetSingle(), Is.EqualTo(loss).Within(1e-5));
        }
        finally
        {
            await ps.StopAsync();
        }
    }

    /// <summary>TF's own XOR training graph (TF 1.13, placeholders of a fixed batch of 4, an int32 <c>global_step</c> outside the global_step collection).</summary>
    private static string XorMeta()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Graph.sln"))) dir = dir.Parent;
        if (dir is null) Assert.Fail("no repository root (Graph.sln) above " + TestContext.CurrentContext.TestDirectory);
        var path = Path.GetFullPath(Path.Combine(dir!.FullName, "..", "shared", "fixtures", "tensorflow", "tfnet", "graph", "xor.meta"));
        if (!File.Exists(path)) Assert.Fail($"TensorFlow fixture missing: '{path}'");
        return path;
    }

    [Test]
    public async Task TwoSyncWorkersTrainATensorFlowWrittenMetaGraphFromACheckpoint()
    {
        const int steps = 6, batch = 4;
        const float lr = 0.3f;
        var meta = XorMeta();
        var dir = NewDir();
        var spec = WriteInputs(dir);
        float[] x = [0, 0, 0, 1, 1, 0, 1, 1];
        int[] y = [0, 1, 1, 0];
        Npy.Write(Path.Combine(dir, "xx.npy"), Tensor.Create(x, 4, 2));
        Npy.Write(Path.Combine(dir, "xy.npy"), Tensor.Create(y, 4));
        // The chief starts from this checkpoint (the graph's initializers are unseeded random draws).
        var r = new Random(5);
        float[] w0 = [.. Enumerable.Range(0, 16).Select(_ => (float)(r.NextDouble() - 0.5))];
        float[] w1 = [.. Enumerable.Range(0, 8).Select(_ => (float)(r.NextDouble() - 0.5))];
        var ckpt = Path.Combine(dir, "ckpt");
        {
            var g0 = new Graph();
            g0.Variable(Tensor.Create(w0, 2, 8), "Variable");
            g0.Variable(Tensor.Create(w1, 8, 1), "Variable_1");
            g0.Variable(Tensor.Scalar(0), "global_step", trainable: false);
            using var s0 = new Session(g0);
            s0.Run(g0.GlobalVariablesInitializer());
            new Saver(g0).Save(s0, Path.Combine(ckpt, "model.ckpt"), 0);
        }

        // Reference: replica batches (shard r = rows r, r+2, cycled), their gradients averaged, w -= lr·mean.
        var g = new Graph();
        g.ImportMetaGraph(MetaGraphs.Read(meta));
        var loss = g.GetTensor("loss:0");
        var (px, py) = (g.GetTensor("Placeholder:0"), g.GetTensor("Placeholder_1:0"));
        var grads = new GradientDescentOptimizer(lr).ComputeGradients(loss, g.TrainableVariables);
        var values = new Dictionary<string, float[]> { ["Variable"] = w0, ["Variable_1"] = w1 };
        FeedDict Feed(int[] rows)
        {
            var f = new FeedDict
            {
                { px, Tensor.Create(rows.SelectMany(i => x.Skip(2 * i).Take(2)).ToArray(), rows.Length, 2) },
                { py, Tensor.Create(rows.Select(i => y[i]).ToArray(), rows.Length) },
            };
            foreach (var v in g.TrainableVariables) f[v.Value] = Tensor.Create(values[v.Name], [.. v.Value.Shape.Dims]);
            return f;
        }
        using (var s = new Session(g))
        {
            for (int step = 0; step < steps; step++)
            {
                var per = new[] { 0, 1 }.Select(rep => s.Run(grads.Select(p => p.Gradient!.Value).ToArray(), Feed(ShardBatch(step, rep, 2, batch, 4)))).ToArray();
                for (int k = 0; k < grads.Count; k++)
                {
                    var name = grads[k].Variable.Name;
                    var (a, b) = (per[0][k].ToArray<float>(), per[1][k].ToArray<float>());
                    values[name] = [.. values[name].Select((v, i) => v - lr * ((a[i] + b[i]) / 2))];
                }
            }
        }

        using var ps = DistributedHosting.BuildParameterServer(ClusterSpec.FromFile(spec), 0);
        await ps.StartAsync();
        try
        {
            string[] Args(int index) =>
            [
                "worker", "--cluster_spec", spec, "--task_type", "worker", "--task_index", index.ToString(CultureInfo.InvariantCulture),
                "--graph", meta, "--loss", "loss:0", "--feed", "Placeholder=@" + Path.Combine(dir, "xx.npy"), "--feed", "Placeholder_1=@" + Path.Combine(dir, "xy.npy"),
                "--steps", steps.ToString(CultureInfo.InvariantCulture), "--batch_size", batch.ToString(CultureInfo.InvariantCulture),
                "--learning_rate", lr.ToString(CultureInfo.InvariantCulture), "--checkpoint_dir", ckpt, "--connect_timeout_s", "20",
            ];
            var t0 = Task.Run(() => Cli(Args(0)));
            var t1 = Task.Run(() => Cli(Args(1)));
            var (c0, out0, err0) = await t0.WaitAsync(TimeSpan.FromSeconds(60));
            var (c1, out1, err1) = await t1.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.That(c0, Is.Zero, out0 + err0);
            Assert.That(c1, Is.Zero, out1 + err1);
            Assert.That(out0, Does.Contain("attached at step 0: xor.meta minimizing 'loss:0' over 2 trainable variable(s), 4 rows"));
            var latest = Saver.LatestCheckpoint(ckpt);
            Assert.That(latest, Does.EndWith("model.ckpt-" + steps));
            using var reader = new CheckpointReader(latest!);
            var savedStep = reader.GetTensor(DistributedTrainingSession.GlobalStepKey);
            Assert.That(savedStep.DType, Is.EqualTo(DType.Int32), "global_step is saved in the graph's own dtype");
            Assert.That(savedStep.Scalar<int>(), Is.EqualTo(steps), "the graph's global_step variable is the shards' step, not a hosted variable");
            foreach (var (name, expected) in values)
                Assert.That(reader.GetTensor(name).ToArray<float>(), Is.EqualTo(expected).Within(1e-5), name);

            // The graph's own Saver restores the checkpoint (int32 global_step included): tensorgraph run computes the trained output.
            var (code, json, err) = Cli("run", meta, "--checkpoint", ckpt, "--feed", "Placeholder=@" + Path.Combine(dir, "xx.npy"),
                "--feed", "Placeholder_1=@" + Path.Combine(dir, "xy.npy"), "--fetch", "loss", "--json");
            Assert.That(code, Is.Zero, err);
            using (var s = new Session(g))
            {
                var f = Feed([0, 1, 2, 3]);
                using var doc = JsonDocument.Parse(json);
                Assert.That(doc.RootElement.GetProperty("loss:0").GetProperty("values")[0].GetSingle(), Is.EqualTo(s.Run(loss, f).Scalar<float>()).Within(1e-5));
            }
        }
        finally
        {
            await ps.StopAsync();
        }
    }

    [Test]
    public void AnUnknownLossIsAnInvalidInputErrorNamingIt()
    {
        var dir = NewDir();
        var spec = WriteInputs(dir);
        var args = WorkerArgs(dir, spec, 0);
        args[Array.IndexOf(args, "--loss") + 1] = "total_loss";
        var (code, _, err) = Cli(args);
        Assert.That(code, Is.EqualTo((int)ExitCode.InvalidInput));
        Assert.That(err.Trim(), Is.EqualTo("tensorgraph: error: invalid input: --loss total_loss: the graph has no node 'total_loss'"));
    }

    [Test]
    public void ALossThatIsNotAScalarIsRefused()
    {
        var dir = NewDir();
        var spec = WriteInputs(dir);
        var args = WorkerArgs(dir, spec, 0);
        args[Array.IndexOf(args, "--loss") + 1] = "xent";
        var (code, _, err) = Cli(args);
        Assert.That(code, Is.EqualTo((int)ExitCode.InvalidInput));
        Assert.That(err.Trim(), Is.EqualTo("tensorgraph: error: invalid input: --loss xent: 'xent:0' has shape (?,); the loss must be a scalar (reduce it, e.g. with reduce_mean)"));
    }

    [Test]
    public void FeedsWithDifferentRowCountsAreRefused()
    {
        var dir = NewDir();
        var spec = WriteInputs(dir, yRows: Rows - 1);
        var (code, _, err) = Cli(WorkerArgs(dir, spec, 0));
        Assert.That(code, Is.EqualTo((int)ExitCode.InvalidInput));
        Assert.That(err.Trim(), Is.EqualTo($"tensorgraph: error: invalid input: --feed y:0: {Path.Combine(dir, "y.npy")} has 20 rows, but {Path.Combine(dir, "x.npy")} (--feed x) has 21; every feed must have one row per example"));
    }

    [Test]
    public void AFeedOfTheWrongDTypeOrRowShapeIsRefused()
    {
        var dir = NewDir();
        var spec = WriteInputs(dir);
        var bad = Path.Combine(dir, "bad.npy");
        Npy.Write(bad, Tensor.Create(new double[Rows * Features], Rows, Features));
        var args = WorkerArgs(dir, spec, 0);
        args[Array.FindIndex(args, a => a.StartsWith("x=@", StringComparison.Ordinal))] = "x=@" + bad;
        var (code, _, err) = Cli(args);
        Assert.That(code, Is.EqualTo((int)ExitCode.InvalidInput));
        Assert.That(err.Trim(), Is.EqualTo($"tensorgraph: error: invalid input: {bad}: holds float64, but 'x' takes float32"));

        Npy.Write(bad, Tensor.Create(new float[Rows * 5], Rows, 5));
        (code, _, err) = Cli(args);
        Assert.That(code, Is.EqualTo((int)ExitCode.InvalidInput));
        Assert.That(err.Trim(), Is.EqualTo($"tensorgraph: error: invalid input: --feed x: {bad} has shape (21, 5), which does not fit 'x:0' of shape (?, 4) (rows of shape (5,))"));
    }

    [Test]
    public void AGraphDefWithoutVariableMetadataAsksForAMetaGraph()
    {
        var dir = NewDir();
        var spec = WriteInputs(dir);
        var pb = Path.Combine(dir, "model.pb");
        ProtoFiles.Write(pb, Mlp().G.ToGraphDef());
        var args = WorkerArgs(dir, spec, 0);
        args[Array.IndexOf(args, "--graph") + 1] = pb;
        var (code, _, err) = Cli(args);
        Assert.That(code, Is.EqualTo((int)ExitCode.InvalidInput));
        Assert.That(err, Does.Contain($"--graph {pb}: a GraphDef has no variable metadata").And.Contain("export a MetaGraph (.meta"));
    }

    [Test]
    public void AFeedThatIsNotAnNpyDataSetOrHasFewerRowsThanReplicasIsRefused()
    {
        var dir = NewDir();
        var spec = WriteInputs(dir);
        var args = WorkerArgs(dir, spec, 0);
        int xi = Array.FindIndex(args, a => a.StartsWith("x=@", StringComparison.Ordinal));
        args[xi] = "x=[[1,2,3,4]]";
        var (code, _, err) = Cli(args);
        Assert.That(code, Is.EqualTo((int)ExitCode.Usage));
        Assert.That(err.Trim(), Is.EqualTo("tensorgraph: error: usage: --feed 'x=[[1,2,3,4]]': expected NAME=@FILE.npy (a data set, one row per example)"));

        var one = Path.Combine(dir, "one.npy");
        Npy.Write(one, Tensor.Create(new float[Features], 1, Features));
        args[xi] = "x=@" + one;
        args[Array.FindIndex(args, a => a.StartsWith("y:0=@", StringComparison.Ordinal))] = "x:0=@" + one;
        (code, _, err) = Cli(args);
        Assert.That(code, Is.EqualTo((int)ExitCode.Usage));
        Assert.That(err.Trim(), Is.EqualTo("tensorgraph: error: usage: --feed x:0: 'x:0' is fed twice"));

        args = WorkerArgs(dir, spec, 0);
        args = [.. args.Where((a, i) => !(a.StartsWith("y:0=@", StringComparison.Ordinal) || (a == "--feed" && args[i + 1].StartsWith("y:0=@", StringComparison.Ordinal))))];
        args[Array.FindIndex(args, a => a.StartsWith("x=@", StringComparison.Ordinal))] = "x=@" + one;
        (code, _, err) = Cli(args);
        Assert.That(code, Is.EqualTo((int)ExitCode.InvalidInput));
        Assert.That(err.Trim(), Is.EqualTo($"tensorgraph: error: invalid input: --feed x: {one} has 1 rows, fewer than the 2 replicas (each replica trains on its shard of the rows)"));
    }

    [Test]
    public void GraphOptionsWithoutAGraphAreAUsageError()
    {
        var dir = NewDir();
        var spec = WriteInputs(dir);
        var (code, _, err) = Cli("worker", "--cluster_spec", spec, "--task_type", "worker", "--task_index", "0", "--loss", "loss");
        Assert.That(code, Is.EqualTo((int)ExitCode.Usage));
        Assert.That(err.Trim(), Is.EqualTo("tensorgraph: error: usage: --loss, --metric and --feed need --graph FILE"));
    }

    [Test]
    public void TheBatchRuleIsTheShardOfTheReplicaCycledInOrder()
    {
        for (int step = 0; step < 7; step++)
            for (int replica = 0; replica < 2; replica++)
                Assert.That(Enumerable.Range(0, Batch).Select(j => WorkerGraph.Row(step, j, replica, 2, Batch, Rows)), Is.EqualTo(ShardBatch(step, replica)), $"step {step} replica {replica}");
        // Three replicas of 7 rows: shards {0,3,6}, {1,4}, {2,5}.
        Assert.That(Enumerable.Range(0, 3).Select(j => WorkerGraph.Row(1, j, 1, 3, 3, 7)), Is.EqualTo(new[] { 4, 1, 4 }));
        Assert.That(Enumerable.Range(0, 3).Select(j => WorkerGraph.Row(1, j, 0, 3, 3, 7)), Is.EqualTo(new[] { 0, 3, 6 }));
    }
}
