using Google.Protobuf;
using TensorGraph.Cli;
using TensorGraph.Proto;
using TensorGraph.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Tests.Cli;

/// <summary>
/// An Estimator-style <c>model_dir</c> (graph.pbtxt, model.ckpt-N.meta, model.ckpt-N and the
/// <c>checkpoint</c> state file) whose input pipeline is a TF1 queue, written here with TensorGraph
/// plus the queue NodeDefs TF's <c>numpy_input_fn</c> puts in such graphs. <c>tensorgraph run</c>
/// with <c>--checkpoint DIR</c> restores the latest checkpoint and predicts from a fed batch; the
/// queue ops are never needed for that fetch, whether or not they are implemented.
/// </summary>
public class EstimatorModelDirTests
{
    private static readonly float[] W = [0.5f, -1f, 2f, 1f, -0.25f, 0.75f];
    private static readonly float[] B = [0.1f, -0.2f];
    private static readonly float[] X = [1f, 2f, 3f, -1f, 0.5f, 4f, 2f, -3f, 1f, 0f, 0f, 1f];
    private const string Dequeue = "random_shuffle_queue_DequeueMany";

    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("tg-model-dir").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static AttrValue Types(params DataType[] t) => new() { List = new AttrValue.Types.ListValue { Type = { t } } };

    private static AttrValue Shapes(params Shape[] s) => new() { List = new AttrValue.Types.ListValue { Shape = { s.Select(x => x.ToProto()) } } };

    private static AttrValue Int(long v) => new() { I = v };

    /// <summary>
    /// logits = x·W + b over x = DequeueMany:1 (W [3,2], b [2] variables), ArgMax over classes; the
    /// queue is fed by enqueue_input consts; global_step is 20000. The trained values are in the
    /// checkpoint only: the variables' initial values in the graph are zeros.
    /// </summary>
    private void WriteModelDir()
    {
        var g = new Graph();
        var idx = g.Constant(Tensor.FromArray(new long[] { 0, 1, 2, 3 }), name: "enqueue_input/Const");
        var feats = g.Constant(Tensor.Create(X, 4, 3), name: "enqueue_input/Const_1");
        var n = g.Constant(Tensor.Scalar(4), name: "random_shuffle_queue_DequeueMany/n");
        var stub = g.Placeholder(DType.Float32, new Shape(-1, 3), "stub");
        var w = g.Variable(Tensor.Zeros(DType.Float32, 3, 2), "dense/kernel");
        var b = g.Variable(Tensor.Zeros(DType.Float32, 2), "dense/bias");
        var step = g.Variable(Tensor.Scalar(0L), "global_step");
        var logits = g.Add(g.MatMul(stub, w), b, "dense/BiasAdd");
        g.ArgMax(logits, g.Constant(Tensor.Scalar(1), name: "ArgMax/dimension"), name: "ArgMax");
        var init = g.GlobalVariablesInitializer();
        // What an Estimator's Scaffold adds: report_uninitialized_variables over every variable.
        g.LogicalNot(g.Stack([g.IsVariableInitialized(w), g.IsVariableInitialized(b), g.IsVariableInitialized(step)]), "report_uninitialized_variables");

        using (var s = new Session(g))
        {
            s.Run(init);
            s.Run(g.Assign(w, g.Constant(Tensor.Create(W, 3, 2))));
            s.Run(g.Assign(b, g.Constant(Tensor.FromArray(B))));
            s.Run(g.Assign(step, g.Constant(Tensor.Scalar(20000L))));
            new Saver([w, b, step]).Save(s, Path.Combine(_dir, "model.ckpt"), globalStep: 20000);
        }

        var def = g.ToGraphDef();
        var queue = new NodeDef { Name = "random_shuffle_queue", Op = "RandomShuffleQueueV2" };
        queue.Attr["capacity"] = Int(1000);
        queue.Attr["component_types"] = Types(DataType.DtInt64, DataType.DtFloat);
        queue.Attr["container"] = new AttrValue { S = ByteString.Empty };
        queue.Attr["min_after_dequeue"] = Int(250);
        queue.Attr["seed"] = Int(0);
        queue.Attr["seed2"] = Int(0);
        queue.Attr["shapes"] = Shapes(Shape.Scalar, new Shape(3));
        queue.Attr["shared_name"] = new AttrValue { S = ByteString.Empty };
        var enqueue = new NodeDef { Name = "random_shuffle_queue_EnqueueMany", Op = "QueueEnqueueManyV2", Input = { "random_shuffle_queue", idx.Op.Name, feats.Op.Name } };
        enqueue.Attr["Tcomponents"] = Types(DataType.DtInt64, DataType.DtFloat);
        enqueue.Attr["timeout_ms"] = Int(-1);
        var close = new NodeDef { Name = "random_shuffle_queue_Close", Op = "QueueCloseV2", Input = { "random_shuffle_queue" } };
        close.Attr["cancel_pending_enqueues"] = new AttrValue { B = false };
        var size = new NodeDef { Name = "random_shuffle_queue_Size", Op = "QueueSizeV2", Input = { "random_shuffle_queue" } };
        var dequeue = new NodeDef { Name = Dequeue, Op = "QueueDequeueManyV2", Input = { "random_shuffle_queue", n.Op.Name } };
        dequeue.Attr["component_types"] = Types(DataType.DtInt64, DataType.DtFloat);
        dequeue.Attr["timeout_ms"] = Int(-1);
        // The stub stands where the dequeued features go in an input_fn graph.
        int at = def.Node.IndexOf(def.Node.Single(x => x.Name == stub.Op.Name));
        def.Node.RemoveAt(at);
        def.Node.Insert(at, dequeue);
        def.Node.Insert(at, size);
        def.Node.Insert(at, close);
        def.Node.Insert(at, enqueue);
        def.Node.Insert(at, queue);
        foreach (var node in def.Node)
        {
            for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == stub.Op.Name) node.Input[i] = Dequeue + ":1";
        }
        ProtoFiles.Write(Path.Combine(_dir, "graph.pbtxt"), def);
        var meta = g.ToMetaGraphDef();
        meta.GraphDef = def;
        MetaGraphs.Write(Path.Combine(_dir, "model.ckpt-20000.meta"), meta);
        Npy.Write(Path.Combine(_dir, "x.npy"), Tensor.Create(X, 4, 3));
    }

    /// <summary>argmax over classes of x·W + b, computed here in double precision.</summary>
    private static long[] Expected()
    {
        var r = new long[4];
        for (int i = 0; i < 4; i++)
        {
            double best = double.NegativeInfinity;
            for (int j = 0; j < 2; j++)
            {
                double v = B[j];
                for (int k = 0; k < 3; k++) v += X[i * 3 + k] * W[k * 2 + j];
                if (v > best)
                {
                    best = v;
                    r[i] = j;
                }
            }
        }
        return r;
    }

    private static string QueueTypesMissing() =>
        string.Join(", ", new[] { "QueueCloseV2", "QueueDequeueManyV2", "QueueEnqueueManyV2", "QueueSizeV2", "RandomShuffleQueueV2" }
            .Where(t => !Graph.IsImportableOpType(t)));

    [TestCase("graph.pbtxt")]
    [TestCase("model.ckpt-20000.meta")]
    public void ModelDirPredictsFromTheLatestCheckpoint(string graphFile)
    {
        WriteModelDir();
        Assert.That(File.ReadAllText(Path.Combine(_dir, "checkpoint")), Does.Contain("model.ckpt-20000"));
        var r = Run("run", Path.Combine(_dir, graphFile), "--checkpoint", _dir,
            "--feed", $"{Dequeue}:1=@{Path.Combine(_dir, "x.npy")}", "--fetch", "ArgMax", "--json");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        var json = System.Text.Json.JsonDocument.Parse(r.Out).RootElement;
        var values = json.EnumerateObject().Single().Value;
        Assert.That(values.GetProperty("dtype").GetString(), Is.EqualTo("int64"));
        var got = values.GetProperty("values").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Assert.That(got, Is.EqualTo(Expected()));
        Assert.That(Expected().Distinct().Count(), Is.EqualTo(2), "the batch exercises both classes");
    }

    [Test]
    public void AnUnfedDequeueWaitsForItsQueueUntilTheRunTimeout()
    {
        WriteModelDir();
        Assert.That(QueueTypesMissing(), Is.Empty, "the queue ops are implemented");
        // Nothing runs the enqueue (no queue runners in the CLI), so the dequeue waits until the timeout.
        var r = Run("run", Path.Combine(_dir, "graph.pbtxt"), "--checkpoint", _dir, "--fetch", "ArgMax", "--timeout_ms", "200");
        Assert.That(r.Code, Is.EqualTo(2), r.Err);
        Assert.That(r.Err, Does.Contain("Timed out waiting for notification").And.Contain(Dequeue));
        Assert.That(r.Err.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void StrictRefusesAndInspectListsTheUnsupportedOps()
    {
        WriteModelDir();
        var missing = QueueTypesMissing();
        var inspect = Run("inspect", Path.Combine(_dir, "graph.pbtxt"));
        Assert.That(inspect.Code, Is.EqualTo(0), inspect.Err);
        if (missing.Length == 0)
        {
            Assert.That(inspect.Out, Does.Contain("Unsupported op types: none"));
            return;
        }
        Assert.That(inspect.Out, Does.Contain("Unsupported op types ("));
        var section = inspect.Out[inspect.Out.IndexOf("Unsupported op types (", StringComparison.Ordinal)..].Split('\n').Skip(1)
            .TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        Assert.That(section.Select(p => p[0]).Order(StringComparer.Ordinal), Is.EqualTo(missing.Split(", ")));
        Assert.That(section.Select(p => p[1]), Is.All.EqualTo("1"));

        var strictRun = Run("run", Path.Combine(_dir, "graph.pbtxt"), "--strict", "--checkpoint", _dir,
            "--feed", $"{Dequeue}:1=@{Path.Combine(_dir, "x.npy")}", "--fetch", "ArgMax");
        Assert.That(strictRun.Code, Is.EqualTo(2));
        Assert.That(strictRun.Err, Does.Contain("Graph uses op types TensorGraph does not implement").And.Contain("(node 'random_shuffle_queue"));
        var strictInspect = Run("inspect", "--strict", Path.Combine(_dir, "model.ckpt-20000.meta"));
        Assert.That(strictInspect.Code, Is.EqualTo(2));
        var strictFreeze = Run("freeze", Path.Combine(_dir, "graph.pbtxt"), Path.Combine(_dir, "frozen.pb"), "--strict", "--checkpoint", _dir, "--outputs", "ArgMax");
        Assert.That(strictFreeze.Code, Is.EqualTo(2));
    }
}
