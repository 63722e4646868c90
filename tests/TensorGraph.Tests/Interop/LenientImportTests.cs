using Google.Protobuf;
using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph.Tests.Serialization;

/// <summary>
/// Lenient import: nodes of op types TensorGraph does not implement are kept as inert records,
/// exported as they were read, and only a run that needs one fails. The deterministic cases use
/// made-up op types (which no implementation will ever add); the fixture cases compute what they
/// expect from the GraphDef itself, so they keep their meaning as more ops get implemented.
/// </summary>
public class LenientImportTests
{
    private const string Unknown = "NoSuchOpForTest";
    private const string Unknown2 = "NoSuchOpForTestEither";

    /// <summary>
    /// x (Placeholder [2]) → y = 2x; u = NoSuchOpForTest(x, ^c) with T, _output_shapes and a device;
    /// v = Add(u, y); z = Identity(y); w = NoSuchOpForTestEither(v) (no outputs anyone reads);
    /// bad = MatMul(u, u), which rejects u's rank-1 shape. Written as TensorGraph writes GraphDefs
    /// (creation order, attrs sorted), so the whole file round trips byte for byte.
    /// </summary>
    private static GraphDef SyntheticGraph()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(2), "x");
        g.Constant(Tensor.Scalar(5f), name: "c");
        g.Multiply(x, g.Constant(Tensor.Scalar(2f), name: "two"), "y");
        var def = g.ToGraphDef();
        var u = new NodeDef { Name = "u", Op = Unknown, Device = "/job:localhost/replica:0/task:0/device:CPU:0" };
        u.Input.Add("x");
        u.Input.Add("^c");
        u.Attr["T"] = Attr.Type(DType.Float32);
        u.Attr["_output_shapes"] = new AttrValue { List = new AttrValue.Types.ListValue { Shape = { new Shape(2).ToProto() } } };
        u.Attr["flavor"] = new AttrValue { S = ByteString.CopyFromUtf8("strange") };
        def.Node.Add(u);
        var add = new NodeDef { Name = "v", Op = "Add", Input = { "u", "y" } };
        add.Attr["T"] = Attr.Type(DType.Float32);
        def.Node.Add(add);
        var z = new NodeDef { Name = "z", Op = "Identity", Input = { "y" } };
        z.Attr["T"] = Attr.Type(DType.Float32);
        def.Node.Add(z);
        def.Node.Add(new NodeDef { Name = "w", Op = Unknown2, Input = { "v" } });
        var bad = new NodeDef { Name = "bad", Op = "MatMul", Input = { "u", "u" } };
        bad.Attr["T"] = Attr.Type(DType.Float32);
        bad.Attr["transpose_a"] = new AttrValue { B = false };
        bad.Attr["transpose_b"] = new AttrValue { B = false };
        def.Node.Add(bad);
        return def;
    }

    private static FeedDict XFeed(Graph g) => new() { [g["x"]] = Tensor.FromArray(new[] { 1.5f, -4f }) };

    [Test]
    public void UnknownNodesAreKeptInertWithTheirConsumers()
    {
        var g = Graph.FromGraphDef(SyntheticGraph());
        var u = g.GetOperation("u");
        Assert.That(u.IsInert && u.IsUnknownOpType, Is.True);
        Assert.That(u.Type, Is.EqualTo(Unknown));
        Assert.That(u.InertReason, Does.Contain(Unknown));
        Assert.That(u.Device, Is.EqualTo("/job:localhost/replica:0/task:0/device:CPU:0"));
        Assert.That(u.ControlInputs.Select(o => o.Name), Is.EqualTo(new[] { "c" }));
        // Output dtype from the consumer's declaration (Add's T), shape from _output_shapes.
        Assert.That(u.NumOutputs, Is.EqualTo(1));
        Assert.That(u[0].DType, Is.EqualTo(DType.Float32));
        Assert.That(u[0].Shape, Is.EqualTo(new Shape(2)));
        // A consumer that can be built is an ordinary node...
        var v = g.GetOperation("v");
        Assert.That(v.IsInert, Is.False);
        Assert.That(v[0].Shape, Is.EqualTo(new Shape(2)));
        // ...one that cannot is inert too, with the reason.
        var bad = g.GetOperation("bad");
        Assert.That(bad.IsInert && !bad.IsUnknownOpType, Is.True);
        Assert.That(bad.InertReason, Does.Contain("inert node 'u'").And.Contain("could not be built"));
        var w = g.GetOperation("w");
        Assert.That(w.IsInert && w.NumOutputs == 0, Is.True);
        Assert.That(g.InertOperations.Select(o => o.Name), Is.EqualTo(new[] { "u", "w", "bad" }));
    }

    [Test]
    public void FetchesThatDoNotNeedInertNodesRun()
    {
        var g = Graph.FromGraphDef(SyntheticGraph());
        using var s = new Session(g);
        Assert.That(s.Run(g["z"], XFeed(g)).ToArray<float>(), Is.EqualTo(new[] { 3f, -8f }));
        // Feeding the inert node's output cuts it out of the plan: v = u + 2x.
        var feeds = XFeed(g);
        feeds[g["u"]] = Tensor.FromArray(new[] { 10f, 20f });
        Assert.That(s.Run(g["v"], feeds).ToArray<float>(), Is.EqualTo(new[] { 13f, 12f }));
    }

    [Test]
    public void AFetchNeedingAnInertNodeFailsNamingItsOpNodeAndFetch()
    {
        var g = Graph.FromGraphDef(SyntheticGraph());
        using var s = new Session(g);
        var e = Assert.Throws<UnimplementedException>(() => s.Run(g["v"], XFeed(g)))!;
        Assert.That(e.Code, Is.EqualTo(ErrorCode.Unimplemented));
        Assert.That(e.NodeName, Is.EqualTo("u"));
        Assert.That(e.Message, Does.Contain($"(op types not implemented: {Unknown}):").And.Contain($"node 'u' ({Unknown}) needed by fetch 'v:0'"));

        // Every missing op type of the plan at once, each node with the first fetch or target needing it.
        var all = Assert.Throws<UnimplementedException>(() => s.Run([g["z"], g["bad"]], XFeed(g), [g.GetOperation("w")]))!;
        Assert.That(all.Message, Does.Contain($"(op types not implemented: {Unknown}, {Unknown2}):"));
        Assert.That(all.Message, Does.Contain($"node 'u' ({Unknown}) needed by fetch 'bad:0'"));
        Assert.That(all.Message, Does.Contain("node 'bad' (MatMul) needed by fetch 'bad:0': it reads inert node 'u'"));
        Assert.That(all.Message, Does.Contain($"node 'w' ({Unknown2}) needed by target 'w'"));
        Assert.That(all.Message, Does.Not.Contain("'z'"));

        // The same through a callable, and the session still runs what it can afterwards.
        Assert.Throws<UnimplementedException>(() => s.MakeCallable([g["x"]], [g["v"]], []));
        Assert.That(s.Run(g["z"], XFeed(g)).ToArray<float>(), Is.EqualTo(new[] { 3f, -8f }));
    }

    [Test]
    public void ErrorsCiteTheGraphFile()
    {
        var dir = Directory.CreateTempSubdirectory("tg-lenient").FullName;
        try
        {
            var path = Path.Combine(dir, "model.pbtxt");
            ProtoFiles.Write(path, SyntheticGraph());
            var g = Graph.Load(path);
            using var s = new Session(g);
            var e = Assert.Throws<UnimplementedException>(() => s.Run(g["v"], XFeed(g)))!;
            Assert.That(e.Message, Does.Contain($"node 'u' ({Unknown}, from {path}) needed by fetch 'v:0'"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void ExportReproducesTheGraphDefByteForByte()
    {
        var def = SyntheticGraph();
        var g = Graph.FromGraphDef(def);
        Assert.That(g.ToGraphDef().ToByteArray(), Is.EqualTo(def.ToByteArray()));
        // Attrs of an inert node keep the order they were read in, and nothing is added to them.
        var scrambled = def.Clone();
        var u = scrambled.Node.Single(n => n.Name == "u");
        var attrs = u.Attr.Reverse().ToArray();
        u.Attr.Clear();
        foreach (var (k, v) in attrs) u.Attr.Add(k, v);
        var back = Graph.FromGraphDef(scrambled).ToGraphDef().Node.Single(n => n.Name == "u");
        Assert.That(back.ToByteArray(), Is.EqualTo(u.ToByteArray()));
        Assert.That(back.Attr.Keys, Is.EqualTo(new[] { "flavor", "_output_shapes", "T" }));
    }

    [Test]
    public void AnInertNodeGivenAControlInputLaterExportsWithIt()
    {
        var g = Graph.FromGraphDef(SyntheticGraph());
        var u = g.GetOperation("u");
        u.AddControlInput(g.GetOperation("two"));
        var nd = u.ToNodeDef();
        Assert.That(nd.Input, Is.EqualTo(new[] { "x", "^c", "^two" }));
        Assert.That(nd.Attr["flavor"].S.ToStringUtf8(), Is.EqualTo("strange"));
        Assert.That(nd.Device, Is.EqualTo("/job:localhost/replica:0/task:0/device:CPU:0"));
    }

    [Test]
    public void PrefixedImportRenamesInertNodesAndTheirInputs()
    {
        var g = new Graph();
        g.Import(SyntheticGraph(), "p");
        var u = g.GetOperation("p/u").ToNodeDef();
        Assert.That(u.Op, Is.EqualTo(Unknown));
        Assert.That(u.Input, Is.EqualTo(new[] { "p/x", "^p/c" }));
        Assert.That(u.Attr["flavor"].S.ToStringUtf8(), Is.EqualTo("strange"));
        using var s = new Session(g);
        Assert.That(s.Run(g["p/z"], new FeedDict { [g["p/x"]] = Tensor.FromArray(new[] { 1f, 2f }) }).ToArray<float>(), Is.EqualTo(new[] { 2f, 4f }));
    }

    [Test]
    public void StrictImportRefusesTheGraph()
    {
        var e = Assert.Throws<UnimplementedException>(() => Graph.FromGraphDef(SyntheticGraph(), options: ImportOptions.StrictOptions))!;
        Assert.That(e.Message, Is.EqualTo($"Graph uses op types TensorGraph does not implement: {Unknown} (node 'u'), {Unknown2} (node 'w')"));
        var g = new Graph();
        Assert.Throws<UnimplementedException>(() => g.ImportMetaGraph(new MetaGraphDef { GraphDef = SyntheticGraph() }, options: ImportOptions.StrictOptions));
        Assert.That(g.Operations, Is.Empty);
    }

    [Test]
    public void OutputTypesComeFromTheNodesOwnAttrsWhenNoConsumerDeclaresThem()
    {
        var def = new GraphDef();
        var q = new NodeDef { Name = "q", Op = Unknown };
        q.Attr["component_types"] = new AttrValue { List = new AttrValue.Types.ListValue { Type = { DataType.DtInt64, DataType.DtFloat } } };
        def.Node.Add(q);
        var r = new NodeDef { Name = "r", Op = Unknown2, Input = { "q:1" } };
        def.Node.Add(r);
        var t = new NodeDef { Name = "t", Op = Unknown, Input = { "r" } };
        def.Node.Add(t);
        var g = Graph.FromGraphDef(def);
        Assert.That(g.GetOperation("q").Outputs.Select(o => o.DType), Is.EqualTo(new[] { DType.Int64, DType.Float32 }));
        // Nothing says what r gives: its dtype is unknown, and any value can be fed for it.
        Assert.That(g["r"].DType, Is.EqualTo(DType.Invalid));
        Assert.That(g["r"].Shape.IsRankKnown, Is.False);
        using var s = new Session(g);
        var fed = Tensor.FromArray(new[] { 7, 8 });
        Assert.That(s.Run(g["r"], new FeedDict { [g["r"]] = fed }).ToArray<int>(), Is.EqualTo(new[] { 7, 8 }));
    }

    [Test]
    public void AConsumerOfAnOutputOfUnknownDtypeIsInert()
    {
        var def = new GraphDef();
        def.Node.Add(new NodeDef { Name = "q", Op = Unknown });
        def.Node.Add(new NodeDef { Name = "r", Op = Unknown2, Input = { "q" } });
        var id = new NodeDef { Name = "id", Op = "Shape", Input = { "r" } };
        id.Attr["out_type"] = Attr.Type(DType.Int32);
        def.Node.Add(id);
        var g = Graph.FromGraphDef(def);
        // Shape's T is not in its NodeDef, so nothing declares r's dtype: Shape cannot be built.
        var shape = g.GetOperation("id");
        Assert.That(shape.IsInert, Is.True);
        Assert.That(shape.InertReason, Does.Contain("dtype is unknown"));
        Assert.That(g.ToGraphDef().Node.Single(n => n.Name == "id"), Is.EqualTo(id));
    }

    [Test]
    public void GradientsThroughAnInertNodeAreUnimplemented()
    {
        var g = Graph.FromGraphDef(SyntheticGraph());
        var e = Assert.Throws<UnimplementedException>(() => g.Gradients(g["v"], g["x"]))!;
        Assert.That(e.Message, Does.Contain("'u'").And.Contain(Unknown));
        // A gradient that does not pass through it is built and runs: d(z)/dx = 2.
        var dz = g.Gradients(g["z"], g["x"]).Single()!.Value;
        using var s = new Session(g);
        Assert.That(s.Run(dz, XFeed(g)).ToArray<float>(), Is.EqualTo(new[] { 2f, 2f }));
    }

    // ------------------------------------------------------------------ TensorFlow-written graphs

    /// <summary>The op types, not importable, that running <paramref name="fetch"/> needs: a walk over the NodeDefs' inputs.</summary>
    private static string[] MissingTypesNeededBy(GraphDef def, params string[] fetch)
    {
        var byName = def.Node.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(fetch.Select(f => f.Split(':')[0]));
        while (stack.Count > 0)
        {
            var name = stack.Pop();
            if (!seen.Add(name)) continue;
            foreach (var raw in byName[name].Input)
            {
                var src = raw.TrimStart('^');
                int colon = src.LastIndexOf(':');
                stack.Push(colon > 0 ? src[..colon] : src);
            }
        }
        return [.. seen.Select(n => byName[n].Op).Where(t => !Graph.IsImportableOpType(t)).Distinct().Order(StringComparer.Ordinal)];
    }

    [TestCase("tfnet/graph/word_rnn_untrained.meta")]
    [TestCase("tfnet/graph/att_rnn_untrained.meta")]
    public void RnnMetaGraphImportsAndRunsWhatItCan(string rel)
    {
        var path = Fixtures.File_(rel);
        var meta = MetaGraphs.Read(path);
        var def = meta.GraphDef;
        var g = Graph.FromMetaGraphDef(meta, path);
        var unknownTypes = def.Node.Select(n => n.Op).Where(t => !Graph.IsImportableOpType(t)).Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.That(g.InertOperations.Where(o => o.IsUnknownOpType).Select(o => o.Type).Distinct().Order(StringComparer.Ordinal), Is.EqualTo(unknownTypes));
        Assert.That(g.Operations, Has.Count.EqualTo(def.Node.Count));

        // Sum(Sign(x), 1): the sequence lengths, which need none of the RNN.
        using var s = new Session(g);
        var x = new int[2 * 100];
        for (int i = 0; i < 7; i++) x[i] = i + 1;
        for (int i = 0; i < 3; i++) x[100 + i] = 3;
        var lengths = s.Run(g["Sum"], new FeedDict { [g["x"]] = Tensor.Create(x, 2, 100) });
        Assert.That(lengths.ToArray<int>(), Is.EqualTo(new[] { 7, 3 }));

        // The accuracy needs the RNN: while ops of the graph are missing, the run names them all.
        var missing = MissingTypesNeededBy(def, "accuracy/accuracy");
        if (missing.Length > 0)
        {
            var e = Assert.Throws<UnimplementedException>(() => s.Run(g["accuracy/accuracy"], new FeedDict { [g["x"]] = Tensor.Create(x, 2, 100) }))!;
            Assert.That(e.Message, Does.Contain($"(op types not implemented: {string.Join(", ", missing)}):"));
            Assert.That(e.Message, Does.Contain("needed by fetch 'accuracy/accuracy:0'").And.Contain($"from {path}"));
        }

        // Export gives back every inert node's NodeDef exactly; a second round trip changes nothing.
        var originals = def.Node.ToDictionary(n => n.Name, StringComparer.Ordinal);
        foreach (var op in g.InertOperations) Assert.That(op.ToNodeDef().ToByteArray(), Is.EqualTo(originals[op.Name].ToByteArray()), op.Name);
        var once = g.ToGraphDef();
        Assert.That(Graph.FromGraphDef(once).ToGraphDef().ToByteArray(), Is.EqualTo(once.ToByteArray()));

        if (unknownTypes.Length > 0)
        {
            var strict = Assert.Throws<UnimplementedException>(() => Graph.FromMetaGraphDef(meta, path, ImportOptions.StrictOptions))!;
            foreach (var t in unknownTypes) Assert.That(strict.Message, Does.Contain(t + " (node '"));
        }
    }

    [Test]
    public void Tf2SavedModelGraphImportsWithItsFunctionCallsInert()
    {
        var dir = Fixtures.Existing("serving/servables/tensorflow/testdata/saved_model_half_plus_two_tf2_cpu/00000123");
        var def = SavedModelBundle.ReadProto(dir).MetaGraphs[0].GraphDef;
        var g = Graph.FromGraphDef(def);
        // serving_default_x is a PlaceholderWithDefault of a constant: it runs without the function call.
        var input = def.Node.Single(n => n.Name == "serving_default_x/input");
        var expected = TensorProtos.FromProto(input.Attr["value"].Tensor).ToArray<float>();
        using var s = new Session(g);
        Assert.That(s.Run(g["serving_default_x"]).ToArray<float>(), Is.EqualTo(expected));

        var call = g.GetOperation("StatefulPartitionedCall_5");
        var missing = MissingTypesNeededBy(def, call.Name);
        if (missing.Length > 0)
        {
            Assert.That(call.IsInert, Is.True);
            // Tout and _output_shapes of the call give its output.
            Assert.That(call[0].DType, Is.EqualTo(DType.Float32));
            Assert.That(call[0].Shape, Is.EqualTo(new Shape(1)));
            var e = Assert.Throws<UnimplementedException>(() => s.Run(call[0]))!;
            Assert.That(e.Message, Does.Contain($"(op types not implemented: {string.Join(", ", missing)}):")
                .And.Contain("node 'StatefulPartitionedCall_5' (StatefulPartitionedCall) needed by fetch 'StatefulPartitionedCall_5:0'"));
        }
        var once = g.ToGraphDef();
        Assert.That(Graph.FromGraphDef(once).ToGraphDef().ToByteArray(), Is.EqualTo(once.ToByteArray()));
        Assert.That(once.Library, Is.EqualTo(def.Library));
    }
}
