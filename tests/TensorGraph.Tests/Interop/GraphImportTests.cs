using Google.Protobuf;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph.Tests.Serialization;

public class GraphImportTests
{
    private static Graph LoadFixture(string rel) => Graph.Load(Fixtures.File_(rel));

    internal static NodeDef N(string name, string op, params string[] inputs)
    {
        var n = new NodeDef { Name = name, Op = op };
        n.Input.AddRange(inputs);
        return n;
    }

    internal static NodeDef Const(string name, float v)
    {
        var n = N(name, "Const");
        n.Attr["dtype"] = Attr.Type(DType.Float32);
        n.Attr["value"] = Attr.Tensor(Tensor.Scalar(v));
        return n;
    }

    private static NodeDef Binary(string name, string op, string a, string b)
    {
        var n = N(name, op, a, b);
        n.Attr["T"] = Attr.Type(DType.Float32);
        return n;
    }

    private static NodeDef OneInput(string name, string op, string a)
    {
        var n = N(name, op, a);
        n.Attr["T"] = Attr.Type(DType.Float32);
        return n;
    }

    // ------------------------------------------------------------------ fixtures that run

    [Test]
    public void AdditionModelRuns()
    {
        var g = LoadFixture("tfrust/examples/addition/model.pb");
        using var s = new Session(g);
        var z = s.Run(g["z"], new FeedDict { ["x"] = 2, ["y"] = 40 });
        Assert.That(z.DType, Is.EqualTo(DType.Int32));
        Assert.That(z.Scalar<int>(), Is.EqualTo(42));
    }

    [Test]
    public void MultiplicationModelRuns()
    {
        var g = LoadFixture("tfrust/tensorflow-sys/examples/assets/multiplication.pb");
        // Producer 9 predates GraphDef version 21: the scalar Placeholder shape means "unknown".
        Assert.That(g["a"].Shape.IsFullyDefined, Is.False);
        using var s = new Session(g);
        var c = s.Run(g["c"], new FeedDict { ["a"] = new[] { 1f, 2f, 3f }, ["b"] = new[] { 4f, 5f, 6f } });
        Assert.That(c.ToArray<float>(), Is.EqualTo(new[] { 4f, 10f, 18f }));
    }

    [Test]
    public void TensorflowCrGraphRunsInitThenMultiplies()
    {
        foreach (var file in new[] { "tensorflow.cr_examples/graph.pb", "tensorflow.cr_examples/graph.pbtxt" })
        {
            var g = LoadFixture(file);
            var init = g.Operations.Single(o => o.Type == "NoOp");
            var mul = g.Operations.Single(o => o.Type == "Mul");
            using var s = new Session(g);
            s.Run(init);
            Assert.That(s.Run(mul[0]).Scalar<float>(), Is.EqualTo(30f), file);
        }
    }

    [Test]
    public void FrozenRegressionComputesWxPlusB()
    {
        var g = LoadFixture("tf2onnx/tests/models/regression/graphdef/frozen.pb");
        float w = g.GetOperation("W").GetAttrTensor("value").Scalar<float>();
        float b = g.GetOperation("b").GetAttrTensor("value").Scalar<float>();
        Assert.That(w, Is.EqualTo(0.21396178f));
        var xs = new[] { -1f, 0f, 2.5f, 10f };
        using var s = new Session(g);
        var pred = s.Run(g["pred"], new FeedDict { ["X"] = xs }).ToArray<float>();
        Assert.That(pred, Is.EqualTo(xs.Select(x => x * w + b).ToArray()).Within(1e-6f));
    }

    [Test]
    public void SavedModelGraphRunsThroughItsSignature()
    {
        var sm = ProtoFiles.ReadBinary<SavedModel>(Fixtures.File_("serving/batching/testdata/matrix_half_plus_two/1/saved_model.pb"));
        var meta = sm.MetaGraphs.Single();
        Assert.That(meta.MetaInfoDef.Tags, Is.EqualTo(new[] { "serve" }));
        var sig = meta.SignatureDef["serving_default"];
        var g = Graph.FromGraphDef(meta.GraphDef);
        using var s = new Session(g);
        var x = Tensor.Create(Enumerable.Range(1, 9).Select(i => (float)i).ToArray(), 1, 3, 3);
        var y = s.Run(g[sig.Outputs["y"].Name], new FeedDict { [sig.Inputs["x"].Name] = x });
        Assert.That(y.Dims.ToArray(), Is.EqualTo(new[] { 1, 3, 3 }));
        Assert.That(y.ToArray<float>(), Is.EqualTo(new[] { 2.5f, 3f, 3.5f, 4f, 4.5f, 5f, 5.5f, 6f, 6.5f }));
    }

    [Test]
    public void FcLayersRunsOrReportsMissingOps()
    {
        var path = Fixtures.File_("tf2onnx/tests/models/fc-layers/frozen.pb");
        var missing = new[] { "BiasAdd", "Relu" }.Where(t => !OpRegistry.TryGet(t, out _)).ToArray();
        if (missing.Length > 0)
        {
            var e = Assert.Throws<UnimplementedException>(() => Graph.Load(path, ImportOptions.StrictOptions));
            Assert.That(e!.Message, Does.StartWith("Graph uses op types TensorGraph does not implement: "));
            var listed = e.Message.Split(": ", 2)[1].Split(", ").Select(p => p.Split(' ')[0]).ToArray();
            Assert.That(listed, Is.EqualTo(missing));
            if (missing.Contains("BiasAdd")) Assert.That(e.Message, Does.Contain("BiasAdd (node 'model/dense/BiasAdd')"));
            return;
        }
        var g = Graph.Load(path);
        using var s = new Session(g);
        var x = Tensor.Zeros(DType.Float32, 2, 784);
        var y = s.Run(g["output"], new FeedDict { ["X"] = x });
        Assert.That(y.Dims.ToArray(), Is.EqualTo(new[] { 2, 10 }));
        // All-zero input: output = relu(relu(b0)·W1 + b1)·W2 + b2, the same for both rows.
        var v = y.ToArray<float>();
        var row0 = v[..10];
        var row1 = v[10..];
        Assert.That(row1, Is.EqualTo(row0));
    }

    [Test]
    public void LegacyRegressionTrainingGraphConverges()
    {
        var path = Fixtures.File_("tfrust/examples/regression/model.pb");
        var need = ProtoFiles.ReadBinary<GraphDef>(path).Node.Select(n => n.Op).Distinct().Where(t => !OpRegistry.TryGet(t, out _)).ToArray();
        if (need.Length > 0)
        {
            var e = Assert.Throws<UnimplementedException>(() => Graph.Load(path, ImportOptions.StrictOptions));
            foreach (var t in need) Assert.That(e!.Message, Does.Contain(t + " (node '"));
            return;
        }
        var g = Graph.Load(path);
        var rng = new Random(7);
        var xs = Enumerable.Range(0, 100).Select(_ => (float)rng.NextDouble()).ToArray();
        var ys = xs.Select(x => 0.1f * x + 0.3f).ToArray();
        using var s = new Session(g);
        s.Run(g.GetOperation("init"));
        var feeds = new FeedDict { ["x"] = xs, ["y"] = ys };
        var train = g.GetOperation("train");
        for (int i = 0; i < 201; i++) s.Run(train, feeds);
        var w = s.Run(g["w"]).ToArray<float>()[0];
        var b = s.Run(g["b"]).ToArray<float>()[0];
        Assert.That(Math.Abs(w - 0.1f), Is.LessThan(1e-3f), $"w = {w}");
        Assert.That(Math.Abs(b - 0.3f), Is.LessThan(1e-3f), $"b = {b}");
    }

    // ------------------------------------------------------------------ round trips over every fixture

    [Test]
    public void EveryGraphFixtureRoundTripsOrReportsMissingOps()
    {
        var graphs = new List<(string Name, GraphDef Def)>();
        foreach (var rel in Fixtures.All(".pb").Concat(Fixtures.All(".meta")))
        {
            var kind = Fixtures.Kind(rel);
            var path = Fixtures.File_(rel);
            if (kind == "GraphDef") graphs.Add((rel, ProtoFiles.ReadBinary<GraphDef>(path)));
            else if (kind == "MetaGraphDef") graphs.Add((rel, ProtoFiles.ReadBinary<MetaGraphDef>(path).GraphDef ?? new GraphDef()));
            else if (kind == "SavedModel")
            {
                var sm = ProtoFiles.ReadBinary<SavedModel>(path);
                for (int i = 0; i < sm.MetaGraphs.Count; i++) graphs.Add(($"{rel}#{i}", sm.MetaGraphs[i].GraphDef ?? new GraphDef()));
            }
        }
        int roundTripped = 0, unimplemented = 0;
        var report = new List<string>();
        foreach (var (name, def) in graphs)
        {
            var missing = def.Node.Select(n => n.Op).Distinct().Where(t => !OpRegistry.TryGet(t, out _)).ToArray();
            if (missing.Length > 0)
            {
                var e = Assert.Throws<UnimplementedException>(() => Graph.FromGraphDef(def, options: ImportOptions.StrictOptions), name);
                foreach (var t in missing) Assert.That(e!.Message, Does.Contain(t + " (node '"), name);
                unimplemented++;
                report.Add($"{name}: missing {string.Join(", ", missing)}");
                // Lenient import keeps those nodes inert, exactly as they were read, and round trips.
                try
                {
                    var lenient = Graph.FromGraphDef(def);
                    var originals = def.Node.ToDictionary(n => n.Name, StringComparer.Ordinal);
                    foreach (var op in lenient.InertOperations)
                        Assert.That(op.ToNodeDef().ToByteArray(), Is.EqualTo(originals[op.Name].ToByteArray()), $"{name}: {op.Name}");
                    Assert.That(lenient.InertOperations.Where(o => o.IsUnknownOpType).Select(o => o.Type).Distinct().Order(StringComparer.Ordinal),
                        Is.EqualTo(missing.Where(t => !Graph.IsImportableOpType(t)).Order(StringComparer.Ordinal)), name);
                    var once = lenient.ToGraphDef();
                    Assert.That(Graph.FromGraphDef(once).ToGraphDef().ToByteArray(), Is.EqualTo(once.ToByteArray()), name);
                    report.Add($"{name}: lenient import ok, {lenient.InertOperations.Count} inert nodes");
                }
                catch (UnimplementedException e2)
                {
                    // An implemented op refusing a feature (e.g. a dtype) is still an error.
                    report.Add($"{name}: lenient: {e2.Message}");
                }
                continue;
            }
            Graph imported;
            try
            {
                imported = Graph.FromGraphDef(def);
            }
            catch (UnimplementedException e)
            {
                // Every op exists but a feature (e.g. a dtype such as uint64) does not.
                unimplemented++;
                report.Add($"{name}: {e.Message}");
                continue;
            }
            var first = imported.ToGraphDef();
            var second = Graph.FromGraphDef(first).ToGraphDef();
            Assert.That(second.ToByteArray(), Is.EqualTo(first.ToByteArray()), name);
            Assert.That(first.Node.Select(n => n.Name).Order(StringComparer.Ordinal), Is.EqualTo(def.Node.Select(n => n.Name).Order(StringComparer.Ordinal)), name);
            if (def.Library is { Function.Count: > 0 }) Assert.That(first.Library, Is.EqualTo(def.Library), name);
            roundTripped++;
            report.Add($"{name}: round trip ok ({def.Node.Count} nodes)");
        }
        TestContext.Out.WriteLine(string.Join("\n", report));
        Assert.That(roundTripped, Is.GreaterThanOrEqualTo(6));
        Assert.That(roundTripped + unimplemented, Is.EqualTo(graphs.Count));
    }

    // ------------------------------------------------------------------ import semantics

    [Test]
    public void NodesInAnyOrderAreSortedTopologically()
    {
        var def = new GraphDef();
        def.Node.Add(Binary("sum", "Add", "a", "b"));
        def.Node.Add(N("after", "NoOp", "^sum"));
        def.Node.Add(Const("b", 2f));
        def.Node.Add(Const("a", 1f));
        var g = Graph.FromGraphDef(def);
        var order = g.Operations.Select(o => o.Name).ToArray();
        Assert.That(order, Is.EqualTo(new[] { "b", "a", "sum", "after" }));
        Assert.That(g.GetOperation("after").ControlInputs.Single().Name, Is.EqualTo("sum"));
        using var s = new Session(g);
        Assert.That(s.Run(g["sum"]).Scalar<float>(), Is.EqualTo(3f));
    }

    [Test]
    public void CyclesAreInvalidArgument()
    {
        var def = new GraphDef();
        def.Node.Add(Binary("p", "Add", "q", "c"));
        def.Node.Add(Binary("q", "Add", "p", "c"));
        def.Node.Add(Const("c", 1f));
        var e = Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(def));
        Assert.That(e!.Message, Does.Contain("cycle").And.Contain("'p'").And.Contain("'q'"));
        var self = new GraphDef();
        self.Node.Add(N("n", "NoOp", "^n"));
        Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(self));
    }

    [Test]
    public void BadInputsAreInvalidArgument()
    {
        GraphDef G(params NodeDef[] nodes)
        {
            var d = new GraphDef();
            d.Node.AddRange(nodes);
            return d;
        }
        Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(G(Binary("s", "Add", "a", "nope"), Const("a", 1f))));
        Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(G(Binary("s", "Add", "a", "a:1"), Const("a", 1f))));
        Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(G(Binary("s", "Add", "a", "a:x"), Const("a", 1f))));
        Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(G(N("n", "NoOp", "^zz"))));
        Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(G(Const("a", 1f), Const("a", 2f))));
        Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(G(Const("bad name", 1f))));
        var unknownAttr = Const("a", 1f);
        unknownAttr.Attr["bogus"] = Attr.Int(1);
        Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(G(unknownAttr)));
        var noDtype = N("p", "Placeholder");
        Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(G(noDtype)));
        // Wrong number of inputs for an op is a typed error, not a crash.
        Assert.That(() => Graph.FromGraphDef(G(Const("a", 1f), OneInput("s", "Add", "a"))), Throws.InstanceOf<TensorGraphException>());
    }

    [Test]
    public void AttrsAreCompletedAndInternalAttrsKept()
    {
        var def = new GraphDef();
        var p = N("x", "Placeholder");
        p.Attr["dtype"] = Attr.Type(DType.Float32);
        p.Attr["_output_shapes"] = new AttrValue { List = new AttrValue.Types.ListValue { Shape = { new TensorShapeProto() } } };
        p.Device = "/job:localhost/replica:0/task:0/device:GPU:0";
        def.Node.Add(p);
        var g = Graph.FromGraphDef(def);
        var op = g.GetOperation("x");
        Assert.That(op.HasAttr("shape"), Is.True, "default filled");
        Assert.That(op.HasAttr("_output_shapes"), Is.True);
        Assert.That(op.Device, Is.EqualTo(p.Device));
        var back = g.ToGraphDef().Node.Single();
        Assert.That(back.Device, Is.EqualTo(p.Device));
        Assert.That(back.Attr.Keys, Is.EqualTo(new[] { "_output_shapes", "dtype", "shape" }));
    }

    [Test]
    public void MissingOpsAreReportedTogether()
    {
        var def = new GraphDef();
        def.Node.Add(Const("a", 1f));
        def.Node.Add(N("p1", "StringSplit", "a"));
        def.Node.Add(N("p2", "StringSplit", "a"));
        def.Node.Add(N("w", "FancyOp", "p1"));
        var e = Assert.Throws<UnimplementedException>(() => Graph.FromGraphDef(def, options: ImportOptions.StrictOptions));
        Assert.That(e!.Message, Is.EqualTo("Graph uses op types TensorGraph does not implement: StringSplit (node 'p1'), FancyOp (node 'w')"));
    }

    [Test]
    public void PrefixInputMapAndReturnElements()
    {
        var def = new GraphDef();
        var x = N("x", "Placeholder");
        x.Attr["dtype"] = Attr.Type(DType.Float32);
        def.Node.Add(x);
        var c = Const("c", 10f);
        c.Attr["_class"] = Attr.Strings(["loc:@x"]);
        def.Node.Add(c);
        def.Node.Add(Binary("y", "Mul", "x:0", "c"));
        var g = new Graph();
        var five = g.Constant(5f, name: "five");
        var r = g.Import(def, "imp", new Dictionary<string, Output> { ["x:0"] = five }, ["y:0", "y", "c"]);
        Assert.That(r[0], Is.InstanceOf<Output>());
        Assert.That(((Output)r[0]).Name, Is.EqualTo("imp/y:0"));
        Assert.That(((Operation)r[1]).Name, Is.EqualTo("imp/y"));
        Assert.That(((Operation)r[2]).GetAttr("_class").List.S[0].ToStringUtf8(), Is.EqualTo("loc:@imp/x"));
        Assert.That(g.GetOperation("imp/y").Inputs[0].Op.Name, Is.EqualTo("five"));
        using var s = new Session(g);
        Assert.That(s.Run((Output)r[0]).Scalar<float>(), Is.EqualTo(50f));
        // Importing the same GraphDef again under the same prefix collides.
        Assert.Throws<InvalidArgumentException>(() => g.Import(def, "imp"));
        Assert.Throws<InvalidArgumentException>(() => g.Import(def, "imp2", returnElements: ["nope:0"]));
        Assert.Throws<InvalidArgumentException>(() => g.Import(def, "imp3", new Dictionary<string, Output> { ["zz:0"] = five }));
    }

    [Test]
    public void FunctionLibraryIsKept()
    {
        var def = new GraphDef { Library = new FunctionDefLibrary() };
        def.Library.Function.Add(new FunctionDef { Signature = new OpDef { Name = "f" } });
        def.Library.Gradient.Add(new GradientDef { FunctionName = "f", GradientFunc = "g" });
        def.Node.Add(Const("a", 1f));
        var g = Graph.FromGraphDef(def);
        Assert.That(g.Library, Is.EqualTo(def.Library));
        Assert.That(g.ToGraphDef().Library, Is.EqualTo(def.Library));
        Assert.That(new Graph().ToGraphDef().Library, Is.Null);
    }

    [Test]
    public void SaveAndLoadBinaryAndText()
    {
        var g = new Graph();
        var a = g.Placeholder(DType.Float32, name: "a");
        _ = g.Multiply(a, g.Constant(3f, name: "three"), name: "out");
        var dir = Path.Combine(Path.GetTempPath(), $"tg-graph-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            foreach (var file in new[] { "g.pb", "g.pbtxt" })
            {
                var path = Path.Combine(dir, file);
                g.Save(path);
                if (file.EndsWith("txt", StringComparison.Ordinal)) Assert.That(File.ReadAllText(path), Does.StartWith("node {\n  name: \"a\""));
                var back = Graph.Load(path);
                Assert.That(back.ToGraphDef().ToByteArray(), Is.EqualTo(g.ToGraphDef().ToByteArray()), file);
                using var s = new Session(back);
                Assert.That(s.Run(back["out"], new FeedDict { ["a"] = 2f }).Scalar<float>(), Is.EqualTo(6f));
            }
            Assert.Throws<NotFoundException>(() => Graph.Load(Path.Combine(dir, "missing.pb")));
            var truncated = Path.Combine(dir, "t.pb");
            var bytes = g.ToGraphDef().ToByteArray();
            File.WriteAllBytes(truncated, bytes[..(bytes.Length - 3)]);
            var e = Assert.Throws<DataLossException>(() => Graph.Load(truncated));
            Assert.That(e!.Message, Does.Contain(truncated));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void ReadExistingNodesLetsNewNodesReadTheGraph()
    {
        var g = new Graph();
        g.Constant(3f, name: "a");
        g.Constant(4f, name: "b");
        var def = new GraphDef();
        var add = N("sum", "Add", "a", "b:0", "^a");
        add.Attr["T"] = Attr.Type(DType.Float32);
        def.Node.Add(add);
        var refused = Assert.Throws<InvalidArgumentException>(() => g.Import(def))!;
        Assert.That(refused.Message, Does.Contain("sum"));
        g.Import(def, options: new ImportOptions { ReadExistingNodes = true });
        using var s = new Session(g);
        Assert.That(s.Run(g["sum:0"]).AsSpan<float>()[0], Is.EqualTo(7f));
        Assert.That(g.GetOperation("sum").ControlInputs.Select(o => o.Name), Is.EqualTo(new[] { "a" }));
    }
}
