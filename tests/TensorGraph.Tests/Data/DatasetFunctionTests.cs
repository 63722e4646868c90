using Google.Protobuf;
using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph.Tests.Data;

/// <summary>
/// Dataset ops that run library functions beyond Map and Filter: ParallelMapDataset (order,
/// real concurrency, errors in place, num_parallel_calls checks, GraphDef round trip) and the
/// OneShotIterator node TF 1.15's make_one_shot_iterator writes (its dataset_factory runs once
/// per session).
/// </summary>
[CancelAfter(120_000)]
public class DatasetFunctionTests
{
    private static readonly RunOptions Generous = new() { TimeoutInMs = 30_000 };

    private static List<Tensor[]> Drain(Session s, Output[] next)
    {
        var all = new List<Tensor[]>();
        while (true)
        {
            try
            {
                all.Add(s.Run(next, null, [], Generous));
            }
            catch (OutOfRangeException)
            {
                return all;
            }
        }
    }

    [TestCase(1)]
    [TestCase(4)]
    [TestCase(Dataset.Autotune)]
    public void ParallelMapDeliversEveryElementInInputOrder(int calls)
    {
        // TF: Dataset.range(50).map(lambda x: (x * x, tf.cast(x, tf.float32) / 2), num_parallel_calls=calls)
        var g = new Graph();
        var ds = Dataset.Range(g, 50).Map((f, e) => [f.Multiply(e[0], e[0]), f.RealDiv(f.Cast(e[0], DType.Float32), 2f)], calls);
        Assert.That(ds.OutputTypes, Is.EqualTo(new[] { DType.Int64, DType.Float32 }));
        var it = ds.MakeInitializableIterator();
        var node = g.Operations.Single(o => o.Type == ParallelMapDatasetSpec.OpType);
        Assert.That(node.Inputs[1].Op.Name, Is.EqualTo("num_parallel_calls"));
        Assert.That(node.Inputs[1].DType, Is.EqualTo(DType.Int32), "TF 1.15 converts num_parallel_calls to int32");
        Assert.That(node.GetAttr("sloppy")!.B, Is.False);
        var next = it.GetNext();
        using var s = new Session(g);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            s.Run(it.Initializer!);
            var all = Drain(s, next);
            Assert.That(all.Select(e => e[0].Scalar<long>()), Is.EqualTo(Enumerable.Range(0, 50).Select(i => (long)i * i)));
            Assert.That(all.Select(e => e[1].Scalar<float>()), Is.EqualTo(Enumerable.Range(0, 50).Select(i => i / 2f)));
        }
    }

    [Test]
    public void ParallelMapRunsTwoCallsAtOnce()
    {
        // Each call announces itself on queue "started", then waits for a token on queue "go". With
        // one call at a time the second announcement never comes; with two it does, and the
        // tokens let both finish.
        var g = new Graph();
        var ds = Dataset.Range(g, 6).Map((f, e) =>
        {
            var started = f.FIFOQueue(100, [DType.Int64], [Shape.Scalar], sharedName: "started");
            var go = f.FIFOQueue(100, [DType.Int64], [Shape.Scalar], sharedName: "go");
            var announce = started.Enqueue(e[0]);
            using (f.ControlDependencies(announce))
            {
                var token = go.Dequeue()[0];
                return [f.Add(e[0], f.Multiply(token, 0L))];
            }
        }, 2);
        var it = ds.MakeInitializableIterator();
        var next = it.GetNext()[0];
        var startedQ = g.FIFOQueue(100, [DType.Int64], [Shape.Scalar], sharedName: "started", name: "started_outer");
        var goQ = g.FIFOQueue(100, [DType.Int64], [Shape.Scalar], sharedName: "go", name: "go_outer");
        var size = startedQ.Size();
        var tokens = g.Placeholder(DType.Int64, new Shape(-1), "tokens");
        var give = goQ.EnqueueMany(tokens);

        var s = new Session(g);
        try
        {
            s.Run(it.Initializer!);
            var first = Task.Run(() => s.Run(next, null, Generous));
            int seen = 0;
            for (int i = 0; i < 3000 && seen < 2; i++)
            {
                seen = s.Run(size).Scalar<int>();
                if (seen < 2) Thread.Sleep(10);
            }
            Assert.That(seen, Is.EqualTo(2), "two map calls were in flight together");
            s.Run(give, new FeedDict { [tokens] = Tensor.Create(new long[] { 0, 0 }, 2) });
            Assert.That(first.Wait(30_000), Is.True);
            Assert.That(first.Result.Scalar<long>(), Is.EqualTo(0));
            // The second element is done already; asking for it starts the third, which waits for a token.
            Assert.That(s.Run(next, null, Generous).Scalar<long>(), Is.EqualTo(1));
        }
        finally
        {
            // Closing the session stops the call still waiting inside the map function.
            var close = Task.Run(s.Dispose);
            Assert.That(close.Wait(30_000), Is.True, "the session closes with a map call blocked");
        }
    }

    [Test]
    public void AnElementsErrorSurfacesWhenThatElementIsAskedFor()
    {
        // TF: map errors are raised by the get_next that reaches the element; the elements after it still come.
        var g = new Graph();
        var ds = Dataset.Range(g, 5).Map((f, e) =>
            [f.CheckNumerics(f.RealDiv(f.Constant(1f), f.Cast(f.Subtract(e[0], 2L), DType.Float32)), "bad element")], 3);
        var next = ds.MakeOneShotIterator().GetNext();
        using var s = new Session(g);
        Assert.That(s.Run(next)[0].Scalar<float>(), Is.EqualTo(-0.5f));
        Assert.That(s.Run(next)[0].Scalar<float>(), Is.EqualTo(-1f));
        Assert.That(() => s.Run(next), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("bad element").And.Message.Contains("Dataset_map_0"));
        Assert.That(s.Run(next)[0].Scalar<float>(), Is.EqualTo(1f));
        Assert.That(s.Run(next)[0].Scalar<float>(), Is.EqualTo(0.5f));
        Assert.That(() => s.Run(next), Throws.TypeOf<OutOfRangeException>());
    }

    [Test]
    public void NumParallelCallsMustBePositiveOrAutotune()
    {
        var g = new Graph();
        Assert.That(() => Dataset.Range(g, 3).Map((f, e) => [e[0]], 0),
            Throws.TypeOf<InvalidArgumentException>().With.Message.EqualTo("num_parallel_calls must be greater than zero."));
        // A value known only at run time is checked by the kernel, as TF's MakeDataset does.
        g.DefineFunction("same", [DType.Int64], (f, e) => [f.Identity(e[0])], [Shape.Scalar]);
        var calls = g.Placeholder(DType.Int32, Shape.Scalar, "calls");
        var map = g.ParallelMapDataset(Dataset.Range(g, 3).Variant, [], calls, "same", [DType.Int64], [Shape.Scalar], name: "pmap");
        using var s = new Session(g);
        Assert.That(() => s.Run(map, new FeedDict { [calls] = Tensor.Scalar(-2) }),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("num_parallel_calls must be greater than zero.").And.Message.Contains("pmap"));
        Assert.That(s.Run(map, new FeedDict { [calls] = Tensor.Scalar(-1) }).DType, Is.EqualTo(DType.Variant));
        Assert.That(() => g.ParallelMapDataset(Dataset.Range(g, 3).Variant, [], g.Constant(new[] { 1, 2 }), "same", [DType.Int64], [Shape.Scalar]),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("rank 0"));
    }

    [Test]
    public void ParallelMapRoundTripsThroughGraphDef()
    {
        var g = new Graph();
        Dataset.Range(g, 12).Map((f, e) => [f.Add(f.Multiply(e[0], 3L), 1L)], 4).Batch(5).MakeOneShotIterator().GetNext("next");
        var bytes = g.ToGraphDef().ToByteArray();
        var g2 = Graph.FromGraphDef(GraphDef.Parser.ParseFrom(bytes), "pipeline.pb");
        Assert.That(g2.ToGraphDef().ToByteArray(), Is.EqualTo(bytes), "the round trip is byte-identical");
        using var s = new Session(g2);
        var all = Drain(s, [g2.GetTensor("next:0")]);
        Assert.That(all.Select(e => e[0].ToArray<long>()), Is.EqualTo(new[]
        {
            new long[] { 1, 4, 7, 10, 13 }, [16, 19, 22, 25, 28], [31, 34],
        }));
    }

    /// <summary>
    /// The shape of what TF 1.15 writes for <c>tf.data.Dataset.range(5).batch(2).make_one_shot_iterator().get_next()</c>:
    /// a OneShotIterator whose dataset_factory function builds the pipeline (names as TF's Defun gives them).
    /// </summary>
    private const string Tf115OneShot = """
        node { name: "OneShotIterator" op: "OneShotIterator"
          attr { key: "container" value { s: "" } }
          attr { key: "dataset_factory" value { func { name: "_make_dataset_5e1c4f2a" } } }
          attr { key: "output_shapes" value { list { shape { dim { size: -1 } } } } }
          attr { key: "output_types" value { list { type: DT_INT64 } } }
          attr { key: "shared_name" value { s: "" } } }
        node { name: "IteratorGetNext" op: "IteratorGetNext" input: "OneShotIterator"
          attr { key: "output_shapes" value { list { shape { dim { size: -1 } } } } }
          attr { key: "output_types" value { list { type: DT_INT64 } } } }
        library {
          function {
            signature { name: "_make_dataset_5e1c4f2a" output_arg { name: "BatchDatasetV2" type: DT_VARIANT } is_stateful: true }
            node_def { name: "start" op: "Const" attr { key: "dtype" value { type: DT_INT64 } } attr { key: "value" value { tensor { dtype: DT_INT64 tensor_shape {} int64_val: 0 } } } }
            node_def { name: "stop" op: "Const" attr { key: "dtype" value { type: DT_INT64 } } attr { key: "value" value { tensor { dtype: DT_INT64 tensor_shape {} int64_val: 5 } } } }
            node_def { name: "step" op: "Const" attr { key: "dtype" value { type: DT_INT64 } } attr { key: "value" value { tensor { dtype: DT_INT64 tensor_shape {} int64_val: 1 } } } }
            node_def { name: "RangeDataset" op: "RangeDataset" input: "start:output:0" input: "stop:output:0" input: "step:output:0"
              attr { key: "output_shapes" value { list { shape {} } } } attr { key: "output_types" value { list { type: DT_INT64 } } } }
            node_def { name: "batch_size" op: "Const" attr { key: "dtype" value { type: DT_INT64 } } attr { key: "value" value { tensor { dtype: DT_INT64 tensor_shape {} int64_val: 2 } } } }
            node_def { name: "drop_remainder" op: "Const" attr { key: "dtype" value { type: DT_BOOL } } attr { key: "value" value { tensor { dtype: DT_BOOL tensor_shape {} bool_val: false } } } }
            node_def { name: "BatchDatasetV2" op: "BatchDatasetV2" input: "RangeDataset:handle:0" input: "batch_size:output:0" input: "drop_remainder:output:0"
              attr { key: "output_shapes" value { list { shape { dim { size: -1 } } } } } attr { key: "output_types" value { list { type: DT_INT64 } } } }
            ret { key: "BatchDatasetV2" value: "BatchDatasetV2:handle:0" }
          }
        }
        versions { producer: 134 }
        """;

    [Test]
    public void AnImportedOneShotIteratorRunsItsFactoryOncePerSession()
    {
        var g = Graph.FromGraphDef(TextFormat.Parse<GraphDef>(Tf115OneShot), "one_shot.pbtxt");
        var next = g.GetTensor("IteratorGetNext:0");
        using (var s = new Session(g))
        {
            Assert.That(s.Run(next).ToArray<long>(), Is.EqualTo(new long[] { 0, 1 }));
            // Later runs continue the same iterator: the factory does not run again.
            Assert.That(s.Run(next).ToArray<long>(), Is.EqualTo(new long[] { 2, 3 }));
            Assert.That(s.Run(next).ToArray<long>(), Is.EqualTo(new long[] { 4 }));
            Assert.That(() => s.Run(next), Throws.TypeOf<OutOfRangeException>().With.Message.Contains("End of sequence"));
            Assert.That(() => s.Run(next), Throws.TypeOf<OutOfRangeException>(), "a one-shot iterator cannot restart");
        }
        using var s2 = new Session(g);
        Assert.That(s2.Run(next).ToArray<long>(), Is.EqualTo(new long[] { 0, 1 }), "a new session starts over");
    }

    [Test]
    public void AFactoryWithTheWrongSignatureFailsNamingTheNodeAndTheFunction()
    {
        var g = new Graph();
        g.DefineFunction("takes_an_argument", [DType.Int64], (f, a) => [Dataset.Range(f, 3).Variant]);
        var op = g.AddOp(OneShotIteratorSpec.OpType, [], "my_iterator", attrs:
        [
            new("dataset_factory", new AttrValue { Func = new NameAttrList { Name = "takes_an_argument" } }),
            new("output_types", Attr.Types([DType.Int64])), new("output_shapes", Attr.Shapes([Shape.Scalar])),
        ]);
        var next = g.IteratorGetNext(op[0], [DType.Int64], [Shape.Scalar]);
        using var s = new Session(g);
        Assert.That(() => s.Run(next), Throws.TypeOf<InvalidArgumentException>()
            .With.Message.Contains("'takes_an_argument'").And.Message.Contains("'my_iterator'").And.Message.Contains("no arguments"));

        var missing = new Graph();
        var op2 = missing.AddOp(OneShotIteratorSpec.OpType, [], "lost", attrs:
        [
            new("dataset_factory", new AttrValue { Func = new NameAttrList { Name = "_make_dataset_1a2b3c" } }),
            new("output_types", Attr.Types([DType.Int64])), new("output_shapes", Attr.Shapes([Shape.Scalar])),
        ]);
        using var s2 = new Session(missing);
        Assert.That(() => s2.Run(op2[0]), Throws.TypeOf<NotFoundException>().With.Message.Contains("_make_dataset_1a2b3c").And.Message.Contains("lost"));
    }

    [Test]
    public void AFactoryThatFailsFailsAgainWithTheSameError()
    {
        // TF's OneShotIteratorOp keeps its initialization status: the first error is returned on every later run.
        var g = new Graph();
        g.DefineFunction("_make_bad_dataset", [], (f, _) =>
        {
            var stop = f.Cast(f.CheckNumerics(f.RealDiv(f.Constant(0f), f.Constant(0f)), "no stop"), DType.Int64);
            return [f.RangeDataset(f.Constant(Tensor.Scalar(0L)), stop, f.Constant(Tensor.Scalar(1L)))];
        });
        var op = g.AddOp(OneShotIteratorSpec.OpType, [], "it", attrs:
        [
            new("dataset_factory", new AttrValue { Func = new NameAttrList { Name = "_make_bad_dataset" } }),
            new("output_types", Attr.Types([DType.Int64])), new("output_shapes", Attr.Shapes([Shape.Scalar])),
        ]);
        var next = g.IteratorGetNext(op[0], [DType.Int64], [Shape.Scalar]);
        using var s = new Session(g);
        var first = Assert.Throws<InvalidArgumentException>(() => s.Run(next))!;
        Assert.That(first.Message, Does.Contain("no stop").And.Contains("_make_bad_dataset"));
        var second = Assert.Throws<InvalidArgumentException>(() => s.Run(next))!;
        Assert.That(second.Message, Is.EqualTo(first.Message));
    }
}
