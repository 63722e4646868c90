using Google.Protobuf;
using TensorGraph.Proto;
using TensorGraph.Serialization;
using TensorGraph.Tests.Serialization;

namespace TensorGraph.Tests.Autodiff;

/// <summary>
/// Gradients through while loops of an imported MetaGraphDef: the while_context/cond_context
/// collections (WhileContextDef/CondContextDef, as TF writes them) give the imported loops their
/// contexts back, so Gradients builds TF's backprop loop there. Checked against the gradients of
/// the graph the loop was built in, against central finite differences, and against TF's own
/// gradient tensors in TF-written training graphs.
/// </summary>
public class ImportedLoopGradientTests
{
    /// <summary>The MetaGraphDef written to bytes and read back, then imported into a new graph.</summary>
    private static Graph RoundTrip(Graph g, string prefix = "")
    {
        var bytes = g.ToMetaGraphDef().ToByteArray();
        var imported = new Graph();
        imported.ImportMetaGraph(MetaGraphDef.Parser.ParseFrom(bytes), prefix);
        return imported;
    }

    private static string P(string prefix, string name) => prefix.Length == 0 ? name : prefix + "/" + name;

    /// <summary>
    /// Builds <paramref name="build"/> (which returns the loss and the xs), takes the gradients there
    /// and in the imported copy, and checks they agree and match central finite differences at the
    /// point <paramref name="point"/> gives (placeholder values by tensor name, unprefixed).
    /// </summary>
    private static void CheckRoundTrip(Func<Graph, (Output Loss, Output[] Xs)> build, Dictionary<string, Tensor> point, string prefix = "",
        double tol = 2e-3)
    {
        var g = new Graph();
        var (loss, xs) = build(g);
        var imported = RoundTrip(g, prefix);
        // Every op with outputs is back in the context it was built in (TF's values name tensors,
        // so an op without outputs, such as a NoOp, is not placed).
        foreach (var op in g.Operations.Where(o => o.NumOutputs > 0))
            Assert.That(imported.GetOperation(P(prefix, op.Name)).Context?.Name, Is.EqualTo(op.Context is null ? null : P(prefix, op.Context.Name)), op.Name);
        var grads = g.Gradients(loss, xs);
        var iLoss = imported[P(prefix, loss.Name)];
        var iXs = xs.Select(x => imported[P(prefix, x.Name)]).ToArray();
        var iGrads = imported.Gradients(iLoss, iXs);
        FeedDict Feeds(Graph graph, string p, string? except = null)
        {
            var f = new FeedDict();
            foreach (var (name, value) in point)
                if (name != except) f[graph[P(p, name)]] = value;
            return f;
        }
        using var s = new Session(g);
        using var si = new Session(imported);
        for (int i = 0; i < xs.Length; i++)
        {
            Assert.That(grads[i], Is.Not.Null, xs[i].Name);
            Assert.That(iGrads[i], Is.Not.Null, $"imported {xs[i].Name}");
            var expected = s.Run(grads[i]!.Value, Feeds(g, "")).ToArray<double>();
            var got = si.Run(iGrads[i]!.Value, Feeds(imported, prefix)).ToArray<double>();
            Assert.That(got, Is.EqualTo(expected).Within(1e-12), $"d loss / d {xs[i].Name}: imported graph vs. the graph it was built in");
        }
        foreach (var (name, value) in point)
        {
            var check = GradientChecker.Compute(si, imported[P(prefix, name)], value, iLoss, Feeds(imported, prefix, except: name));
            Assert.That(check.MaxRelativeError, Is.LessThan(tol), $"{name}: max error {check.MaxError}");
        }
    }

    [Test]
    public void ExportWritesTheWhileContextAsTensorFlowDoes()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, Shape.Scalar, name: "x");
        g.WhileLoop(v => v[0] < 3, v => [v[0] + 1, v[1] * x], [g.Constant(0), g.Constant(1.0)]);
        var meta = g.ToMetaGraphDef();
        var list = meta.CollectionDef["while_context"].BytesList.Value;
        Assert.That(list, Has.Count.EqualTo(1));
        var def = WhileContextDef.Parser.ParseFrom(list[0]);
        Assert.That(def.ContextName, Is.EqualTo("while/while_context"));
        Assert.That(def.ParallelIterations, Is.EqualTo(10));
        Assert.That(def.BackProp, Is.True);
        Assert.That(def.PivotName, Is.EqualTo("while/LoopCond:0"));
        Assert.That(def.PivotForPredName, Is.EqualTo("while/Merge:0"));
        Assert.That(def.PivotForBodyName, Is.EqualTo("while/Identity:0"));
        Assert.That(def.LoopEnterNames, Is.EqualTo(new[] { "while/Enter:0", "while/Enter_1:0" }));
        Assert.That(def.LoopExitNames, Is.EqualTo(new[] { "while/Exit:0", "while/Exit_1:0" }));
        // x enters the loop as an invariant: an external value, as TF records it.
        Assert.That(def.ValuesDef.ExternalValues["x:0"], Is.EqualTo("while/mul/Enter:0"));
        Assert.That(def.ValuesDef.Values, Does.Contain("x:0").And.Contain("while/mul:0").And.Contain("while/Exit_1:0").And.Contain("while/Merge:1"));
        Assert.That(def.ValuesDef.Values, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
        Assert.That(def.ValuesDef.Values, Does.Not.Contain("Const:0"), "the initial values are outside the loop");

        // The imported loop has its context back: the same fields, and the ops placed in it.
        var imported = RoundTrip(g);
        var again = WhileContextDef.Parser.ParseFrom(imported.ToMetaGraphDef().CollectionDef["while_context"].BytesList.Value[0]);
        Assert.That(again, Is.EqualTo(def));
    }

    [Test]
    public void ALoopInvariantAndTheInitialValue()
    {
        // y = v0 * x^4 with x a loop invariant: both gradients cross the imported loop.
        CheckRoundTrip(g =>
        {
            var x = g.Placeholder(DType.Float64, Shape.Scalar, name: "x");
            var v0 = g.Placeholder(DType.Float64, Shape.Scalar, name: "v0");
            var r = g.WhileLoop(v => v[0] < 4, v => [v[0] + 1, v[1] * x], [g.Constant(0), v0]);
            return (r[1], [x, v0]);
        }, new() { ["x:0"] = Tensor.Scalar(1.3), ["v0:0"] = Tensor.Scalar(0.7) });
    }

    [Test]
    public void ARecurrentTanhCellImportedUnderAPrefix()
    {
        // h_{t+1} = tanh(W h_t + u), 4 steps; imported under a prefix (the frames are renamed).
        var wv = Tensor.FromArray(new double[,] { { 0.5, -0.3, 0.2 }, { 0.1, 0.4, -0.6 }, { -0.2, 0.3, 0.7 } });
        var uv = Tensor.FromArray(new double[,] { { 0.1 }, { -0.2 }, { 0.3 } });
        var hv = Tensor.FromArray(new double[,] { { 0.4 }, { 0.0 }, { -0.5 } });
        CheckRoundTrip(g =>
        {
            var w = g.Placeholder(DType.Float64, [3, 3], name: "W");
            var u = g.Placeholder(DType.Float64, [3, 1], name: "u");
            var h0 = g.Placeholder(DType.Float64, [3, 1], name: "h0");
            var r = g.WhileLoop(v => v[0] < 4, v => [v[0] + 1, g.Tanh(g.MatMul(w, v[1]) + u)], [g.Constant(0), h0]);
            return (g.ReduceSum(r[1] * r[1]), [w, u, h0]);
        }, new() { ["W:0"] = wv, ["u:0"] = uv, ["h0:0"] = hv }, prefix: "imported");
    }

    [Test]
    public void TheSameLoopImportedTwiceRunsInTwoFrames()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, Shape.Scalar, name: "x");
        g.WhileLoop(v => v[0] < 3, v => [v[0] + 1, v[1] * x], [g.Constant(0), g.Constant(1.0)]);
        var meta = g.ToMetaGraphDef();
        var two = new Graph();
        two.ImportMetaGraph(meta, "a");
        two.ImportMetaGraph(meta, "b");
        Assert.That(two["a/while/Enter:0"].Op.GetAttrString("frame_name"), Is.EqualTo("a/while/while_context"));
        Assert.That(two["b/while/mul/Enter:0"].Op.GetAttrString("frame_name"), Is.EqualTo("b/while/while_context"));
        var loss = two["a/while/Exit_1:0"] * two["b/while/Exit_1:0"];
        var grads = two.Gradients(loss, two["a/x:0"], two["b/x:0"]);
        using var s = new Session(two);
        var r = s.Run([grads[0]!.Value, grads[1]!.Value], new FeedDict { [two["a/x:0"]] = Tensor.Scalar(2.0), [two["b/x:0"]] = Tensor.Scalar(0.5) });
        // loss = a^3 b^3: d/da = 3 a^2 b^3, d/db = 3 a^3 b^2.
        Assert.That(r[0].Scalar<double>(), Is.EqualTo(3 * 4 * 0.125).Within(1e-12));
        Assert.That(r[1].Scalar<double>(), Is.EqualTo(3 * 8 * 0.25).Within(1e-12));
    }

    [Test]
    public void NestedLoops()
    {
        // Outer 3 iterations, each an inner loop of 2 steps v = sin(v * x): the inner loop's context
        // is exported inside the outer one (nested_contexts).
        var g0 = new Graph();
        var x0 = g0.Placeholder(DType.Float64, Shape.Scalar, name: "x");
        g0.WhileLoop(o => o[0] < 3, o => [o[0] + 1, g0.WhileLoop(i => i[0] < 2, i => [i[0] + 1, g0.Sin(i[1] * x0)], [g0.Constant(0), o[1]])[1]],
            [g0.Constant(0), g0.Constant(0.5)]);
        var def = WhileContextDef.Parser.ParseFrom(g0.ToMetaGraphDef().CollectionDef["while_context"].BytesList.Value.Single());
        Assert.That(def.NestedContexts.Single().WhileCtxt.ContextName, Is.EqualTo("while/while/while_context"));

        CheckRoundTrip(g =>
        {
            var x = g.Placeholder(DType.Float64, Shape.Scalar, name: "x");
            var v0 = g.Placeholder(DType.Float64, Shape.Scalar, name: "v0");
            var r = g.WhileLoop(o => o[0] < 3, o =>
            {
                var inner = g.WhileLoop(i => i[0] < 2, i => [i[0] + 1, g.Sin(i[1] * x)], [g.Constant(0), o[1]]);
                return [o[0] + 1, inner[1] + 0.1];
            }, [g.Constant(0), v0]);
            return (r[1], [x, v0]);
        }, new() { ["x:0"] = Tensor.Scalar(0.9), ["v0:0"] = Tensor.Scalar(0.7) });
    }

    [Test]
    public void ACondInsideTheLoop()
    {
        // Each step halves v when it is above 1 and triples it otherwise (times x): the branch
        // contexts are nested in the loop's, and their predicate is replayed in the backprop loop.
        var g0 = new Graph();
        var c0 = g0.Placeholder(DType.Float64, Shape.Scalar, name: "c");
        g0.WhileLoop(v => v[0] < 2, v => [v[0] + 1, g0.Cond(v[1] > 1.0, () => v[1] * c0, () => v[1] + c0)], [g0.Constant(0), c0]);
        var def = WhileContextDef.Parser.ParseFrom(g0.ToMetaGraphDef().CollectionDef["while_context"].BytesList.Value.Single());
        var branches = def.NestedContexts.Select(n => n.CondCtxt).ToArray();
        Assert.That(branches.Select(b => b.ContextName), Is.EqualTo(new[] { "while/cond/cond_text", "while/cond/cond_text_1" }));
        Assert.That(branches.Select(b => b.Branch), Is.EqualTo(new[] { 1, 0 }));
        Assert.That(branches[0].PredName, Is.EqualTo("while/cond/pred_id:0"));
        Assert.That(branches[0].PivotName, Is.EqualTo("while/cond/switch_t:0"));

        CheckRoundTrip(g =>
        {
            var x = g.Placeholder(DType.Float64, Shape.Scalar, name: "x");
            var v0 = g.Placeholder(DType.Float64, Shape.Scalar, name: "v0");
            var r = g.WhileLoop(v => v[0] < 5, v =>
            {
                var next = g.Cond(v[1] > 1.0, () => v[1] * 0.5 * x, () => v[1] * 3.0 * x);
                return [v[0] + 1, next];
            }, [g.Constant(0), v0]);
            return (r[1], [x, v0]);
        }, new() { ["x:0"] = Tensor.Scalar(1.2), ["v0:0"] = Tensor.Scalar(0.8) });
    }

    [Test]
    public void ATopLevelCondRoundTrips()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, Shape.Scalar, name: "x");
        var p = g.Placeholder(DType.Bool, Shape.Scalar, name: "p");
        var y = g.Cond(p, () => x * x, () => x * 3.0);
        var meta = g.ToMetaGraphDef();
        var defs = meta.CollectionDef["cond_context"].BytesList.Value.Select(b => CondContextDef.Parser.ParseFrom(b)).ToArray();
        Assert.That(defs.Select(d => d.ContextName), Is.EqualTo(new[] { "cond/cond_text", "cond/cond_text_1" }));
        Assert.That(defs[0].ValuesDef.ExternalValues["x:0"], Is.EqualTo("cond/mul/Switch:1"));
        Assert.That(defs[1].ValuesDef.ExternalValues["x:0"], Is.EqualTo("cond/mul_1/Switch:0"));
        var imported = Graph.FromMetaGraphDef(meta);
        var dx = imported.Gradients(imported[y.Name], imported["x:0"])[0]!.Value;
        using var s = new Session(imported);
        Assert.That(s.Run(dx, new FeedDict { [imported["x:0"]] = Tensor.Scalar(1.5), [imported["p:0"]] = true }).Scalar<double>(), Is.EqualTo(3.0));
        Assert.That(s.Run(dx, new FeedDict { [imported["x:0"]] = Tensor.Scalar(1.5), [imported["p:0"]] = false }).Scalar<double>(), Is.EqualTo(3.0));
    }

    [Test]
    public void ATensorArrayLoop()
    {
        // A recurrence over the rows of x read from a TensorArray, each step's state written to
        // another TensorArray and stacked: y = sum(stack * stack).
        var xv = Tensor.FromArray(new double[,] { { 0.3, -0.2 }, { 0.5, 0.1 }, { -0.4, 0.6 } });
        var wv = Tensor.FromArray(new double[,] { { 0.7, -0.2 }, { 0.4, 0.9 } });
        CheckRoundTrip(g =>
        {
            var x = g.Placeholder(DType.Float64, [3, 2], name: "x");
            var w = g.Placeholder(DType.Float64, [2, 2], name: "w");
            var input = g.TensorArray(DType.Float64, 3).Unstack(x);
            var output = g.TensorArray(DType.Float64, 3);
            var loop = g.WhileLoop(v => v[0] < 3, v =>
            {
                var t = v[0];
                var row = g.Reshape(input.Read(t), g.Constant(new[] { 1, 2 }));
                var h = g.Tanh(g.MatMul(v[2], w) + row);
                var written = output.WithFlow(v[1]).Write(t, g.Reshape(h, g.Constant(new[] { 2 })));
                return [t + 1, written.Flow, h];
            }, [g.Constant(0), output.Flow, g.Constant(new double[,] { { 0.1, -0.1 } })]);
            var stacked = output.WithFlow(loop[1]).Stack();
            return (g.ReduceSum(stacked * stacked), [x, w]);
        }, new() { ["x:0"] = xv, ["w:0"] = wv });
    }

    [Test]
    public void APlainGraphDefHasNoLoopContexts()
    {
        // As in TF 1.15: a GraphDef carries no while_context, so the loop cannot be differentiated.
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        g.WhileLoop(v => v[0] < 3, v => [v[0] + 1, v[1] * x], [g.Constant(0), g.Constant(1f)]);
        var meta = g.ToMetaGraphDef();
        meta.CollectionDef.Remove("while_context");
        var imported = Graph.FromMetaGraphDef(meta);
        var e = Assert.Throws<UnimplementedException>(() => imported.Gradients(imported["while/Exit_1:0"], imported["x:0"]));
        Assert.That(e!.Message, Does.Contain("while/Exit_1").And.Contain("while_context"));
    }

    [TestCase("cond_test.meta", "cond_context")]
    [TestCase("word_rnn_untrained.meta", "while_context")]
    public void TensorFlowsContextsRoundTripUnchanged(string file, string key)
    {
        // TF's WhileContextDef/CondContextDef, imported and exported again, come back field for
        // field: the ops are placed in the contexts TF recorded, the external values captured.
        var path = Fixtures.File_("tfnet/graph/" + file);
        var meta = MetaGraphs.Read(path);
        var g = Graph.FromMetaGraphDef(meta, path);
        var again = g.ToMetaGraphDef();
        var before = meta.CollectionDef[key].BytesList.Value;
        var after = again.CollectionDef[key].BytesList.Value;
        Assert.That(after, Has.Count.EqualTo(before.Count));
        for (int i = 0; i < before.Count; i++)
        {
            IMessage a = key == "while_context" ? WhileContextDef.Parser.ParseFrom(before[i]) : CondContextDef.Parser.ParseFrom(before[i]);
            IMessage b = key == "while_context" ? WhileContextDef.Parser.ParseFrom(after[i]) : CondContextDef.Parser.ParseFrom(after[i]);
            if (a is WhileContextDef wa)
            {
                // TensorGraph does not record maximum_iterations or swap_memory.
                wa.MaximumIterationsName = "";
                wa.SwapMemory = false;
            }
            Assert.That(b, Is.EqualTo(a), $"{key}[{i}]");
        }
        if (key == "cond_context")
        {
            Assert.That(g.GetOperation("cond/Mul").Context?.Name, Is.EqualTo("cond/cond_text"));
            Assert.That(g.GetOperation("cond/Add").Context?.Name, Is.EqualTo("cond/cond_text_1"));
            Assert.That(g.CondPredicateOf(g.GetOperation("cond/Merge"))?.Name, Is.EqualTo("cond/pred_id:0"));
        }
    }

    [Test]
    public void ACondBuiltHereExportsTheContextsTensorFlowWrote()
    {
        // cond_test.meta's graph, built here: pred = 2 < 5, cond(pred, 2 * 17, 5 + 23). The
        // exported CondContextDefs equal the ones TF wrote (names, pred, pivot, values).
        var path = Fixtures.File_("tfnet/graph/cond_test.meta");
        var tf = MetaGraphs.Read(path).CollectionDef["cond_context"].BytesList.Value.Select(b => CondContextDef.Parser.ParseFrom(b)).ToArray();
        var g = new Graph();
        var x = g.Constant(2);
        var y = g.Constant(5);
        var pred = g.Less(x, y);
        g.Cond(pred, () => g.Multiply(x, Tensor.Scalar(17)), () => g.Add(y, Tensor.Scalar(23)));
        var ours = g.ToMetaGraphDef().CollectionDef["cond_context"].BytesList.Value.Select(b => CondContextDef.Parser.ParseFrom(b)).ToArray();
        Assert.That(ours, Is.EqualTo(tf));
    }

    // ------------------------------------------------------------------ TF-written training graphs

    private const string Prefix = "stack_bidirectional_rnn/cell_";

    /// <summary>
    /// TF 1.13's stacked bidirectional LSTM training graphs: our gradient of the loss with respect
    /// to LSTM variables, built on the imported graph in a new name scope, equals TF's own gradient
    /// tensor in the same graph (the one the train op applies), computed in the same run.
    /// </summary>
    [TestCase("word_rnn_untrained.meta")]
    [TestCase("att_rnn_untrained.meta")]
    public void OurGradientsEqualTensorFlowsInItsTrainingGraph(string file)
    {
        var path = Fixtures.File_("tfnet/graph/" + file);
        var g = new Graph();
        g.ImportMetaGraph(MetaGraphs.Read(path), source: path);
        Assert.That(g.GetCollection<object>("while_context"), Has.Count.EqualTo(4), "the four forward loops got their contexts back");
        Output T(string name) => g.GetOperation(name)[0];
        var loss = T("loss/Mean");

        // The variables and TF's gradients of them: the gradient input of each ResourceApplyAdam.
        var targets = new[] { ("0", "fw", "bias"), ("0", "bw", "kernel"), ("1", "fw", "kernel"), ("1", "bw", "bias") }
            .Select(t => $"{Prefix}{t.Item1}/bidirectional_rnn/{t.Item2}/basic_lstm_cell/{t.Item3}").ToArray();
        var handles = targets.Select(T).ToArray();
        var tfGrads = targets.Select(t => g.GetOperation($"loss/Adam/update_{t}/ResourceApplyAdam").Inputs[9]).ToArray();
        Assert.That(tfGrads.Select(t => t.Op.Name), Has.All.StartWith("loss/gradients/"));
        var ours = g.Gradients([loss], handles);
        Assert.That(ours, Has.All.Not.Null);
        Assert.That(ours.Select(o => o!.Value.Op.Name), Has.All.StartWith("gradients/"));

        using var s = new Session(g);
        var rv = new Random(5);
        Tensor Uniform(Shape shape, double scale) =>
            Tensor.Create(Enumerable.Range(0, (int)shape.NumElements).Select(_ => (float)((rv.NextDouble() * 2 - 1) * scale)).ToArray(), shape.ToArray());
        var inits = new List<Operation>();
        foreach (var cell in new[] { "0", "1" })
            foreach (var dir in new[] { "fw", "bw" })
                foreach (var v in new[] { "kernel", "bias" })
                {
                    var h = T($"{Prefix}{cell}/bidirectional_rnn/{dir}/basic_lstm_cell/{v}");
                    inits.Add(g.AssignVariableOp(h, g.Constant(Uniform(h.Op.GetAttrShape("shape"), v == "kernel" ? 0.08 : 0.1))));
                }
        foreach (var v in g.GlobalVariables.Where(v => !v.Name.StartsWith("embeddings", StringComparison.Ordinal) && !v.Name.Contains("/Adam", StringComparison.Ordinal)
                     && !v.Name.StartsWith(Prefix, StringComparison.Ordinal)))
            inits.Add(v.Initializer);
        s.Run(inits.ToArray());

        // Two sequences, the second padded after 9 steps; the 563k-row embedding is not
        // initialized, its lookup is fed.
        var x = T("x");
        int steps = x.Shape.Rank == 2 && x.Shape[1] > 0 ? x.Shape[1] : 100;
        const int batch = 2;
        var lookupShape = T("embedding/embedding_lookup").Shape;
        int dim = lookupShape[lookupShape.Rank - 1];
        var ids = new int[batch, steps];
        for (int t = 0; t < steps; t++) { ids[0, t] = 1 + t; ids[1, t] = t < 9 ? 5 + t : 0; }
        var r = new Random(11);
        var emb = Tensor.Create(Enumerable.Range(0, batch * steps * dim).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray(), batch, steps, dim);
        var feeds = new FeedDict { [x] = Tensor.FromArray(ids), [T("y")] = new[] { 3, 11 }, [T("is_training")] = false, [T("embedding/embedding_lookup")] = emb };

        var results = s.Run([.. tfGrads, .. ours.Select(o => o!.Value)], feeds);
        for (int i = 0; i < targets.Length; i++)
        {
            var tf = results[i].ToArray<float>();
            var mine = results[targets.Length + i].ToArray<float>();
            Assert.That(results[targets.Length + i].Dims.ToArray(), Is.EqualTo(results[i].Dims.ToArray()), targets[i]);
            Assert.That(tf.Any(v => v != 0), Is.True, $"TF's gradient of {targets[i]} is not all zeros");
            double scale = tf.Max(v => Math.Abs((double)v));
            for (int k = 0; k < tf.Length; k++)
                Assert.That(mine[k], Is.EqualTo(tf[k]).Within(1e-4 * scale + 1e-7), $"{targets[i]}[{k}]");
        }
    }
}
