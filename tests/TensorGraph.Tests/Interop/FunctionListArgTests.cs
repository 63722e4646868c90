using TensorGraph.Proto;

namespace TensorGraph.Tests.Serialization;

/// <summary>
/// FunctionDefs whose arguments are lists (<c>N * T</c>, <c>list(type)</c>), written as TF writes
/// them: each such argument stands for several tensors of a call, a body input or ret names either
/// one element (<c>arg:i</c>, <c>node:out_arg:i</c>) or the whole list (<c>arg</c>, <c>node:out_arg</c>).
/// </summary>
public class FunctionListArgTests
{
    private static AttrValue Placeholder(string attr) => new() { Placeholder = attr };

    private static AttrValue Types(params DataType[] types)
    {
        var l = new AttrValue.Types.ListValue();
        l.Type.AddRange(types);
        return new AttrValue { List = l };
    }

    /// <summary>unstack_n(x: T) -> rows: N * T, the rows of x (Unpack with num = N), returned as one list.</summary>
    private static FunctionDef UnstackN()
    {
        var f = new FunctionDef
        {
            Signature = new OpDef
            {
                Name = "unstack_n",
                InputArg = { new OpDef.Types.ArgDef { Name = "x", TypeAttr = "T" } },
                OutputArg = { new OpDef.Types.ArgDef { Name = "rows", NumberAttr = "N", TypeAttr = "T" } },
                Attr =
                {
                    new OpDef.Types.AttrDef { Name = "N", Type = "int", HasMinimum = true, Minimum = 1 },
                    new OpDef.Types.AttrDef { Name = "T", Type = "type" },
                },
            },
        };
        var unstack = new NodeDef { Name = "unstack", Op = "Unpack", Input = { "x" } };
        unstack.Attr["num"] = Placeholder("N");
        unstack.Attr["T"] = Placeholder("T");
        unstack.Attr["axis"] = new AttrValue { I = 0 };
        f.NodeDef.Add(unstack);
        f.Ret["rows"] = "unstack:output";
        return f;
    }

    /// <summary>
    /// mix(xs: Tin, ys: N * float) -> (total: float, echo: Tin) with Tin = [float, int32]:
    /// total = xs[0] + float(xs[1]) + AddN(ys), echo = xs as it came.
    /// </summary>
    private static FunctionDef Mix()
    {
        var f = new FunctionDef
        {
            Signature = new OpDef
            {
                Name = "mix",
                InputArg =
                {
                    new OpDef.Types.ArgDef { Name = "xs", TypeListAttr = "Tin" },
                    new OpDef.Types.ArgDef { Name = "ys", NumberAttr = "N", Type = DataType.DtFloat },
                },
                OutputArg =
                {
                    new OpDef.Types.ArgDef { Name = "total", Type = DataType.DtFloat },
                    new OpDef.Types.ArgDef { Name = "echo", TypeListAttr = "Tin" },
                },
                Attr =
                {
                    new OpDef.Types.AttrDef { Name = "Tin", Type = "list(type)", HasMinimum = true, Minimum = 1 },
                    new OpDef.Types.AttrDef { Name = "N", Type = "int", HasMinimum = true, Minimum = 1 },
                },
            },
        };
        var cast = new NodeDef { Name = "cast", Op = "Cast", Input = { "xs:1" } };
        cast.Attr["SrcT"] = new AttrValue { Type = DataType.DtInt32 };
        cast.Attr["DstT"] = new AttrValue { Type = DataType.DtFloat };
        cast.Attr["Truncate"] = new AttrValue { B = false };
        var addn = new NodeDef { Name = "addn", Op = "AddN", Input = { "ys" } };
        addn.Attr["N"] = Placeholder("N");
        addn.Attr["T"] = new AttrValue { Type = DataType.DtFloat };
        var add = new NodeDef { Name = "add", Op = "AddV2", Input = { "xs:0", "cast:y:0" } };
        add.Attr["T"] = new AttrValue { Type = DataType.DtFloat };
        var add2 = new NodeDef { Name = "add2", Op = "AddV2", Input = { "add:z:0", "addn:sum:0" } };
        add2.Attr["T"] = new AttrValue { Type = DataType.DtFloat };
        f.NodeDef.Add([cast, addn, add, add2]);
        f.Ret["total"] = "add2:z:0";
        f.Ret["echo"] = "xs";
        return f;
    }

    private static Graph WithLibrary(params FunctionDef[] functions)
    {
        var g = new Graph { Library = new FunctionDefLibrary() };
        g.Library.Function.Add(functions);
        return g;
    }

    private static NameAttrList Call(string name, params (string Key, AttrValue Value)[] attrs)
    {
        var f = new NameAttrList { Name = name };
        foreach (var (k, v) in attrs) f.Attr[k] = v;
        return f;
    }

    private static readonly float[,] Matrix = { { 1, 2 }, { 3, 4 }, { 5, 6 } };

    [Test]
    public void PartitionedCallReturnsEachTensorOfANumberAttrOutput()
    {
        var g = WithLibrary(UnstackN());
        var x = g.Constant(Tensor.Create(new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2));
        var f = Call("unstack_n", ("N", new AttrValue { I = 3 }), ("T", new AttrValue { Type = DataType.DtFloat }));
        var rows = g.PartitionedCall([x], f, [DType.Float32, DType.Float32, DType.Float32], "pc");
        Assert.That(rows, Has.Length.EqualTo(3));
        Assert.That(rows.Select(r => r.Shape), Is.All.EqualTo(new Shape(2)), "the body's Unpack infers each row's shape");
        using var s = new Session(g);
        for (int i = 0; i < 3; i++)
            Assert.That(s.Run(rows[i]).ToArray<float>(), Is.EqualTo(new[] { Matrix[i, 0], Matrix[i, 1] }), $"row {i}");
    }

    [Test]
    public void DirectCallByOpNameExpandsTheListOutputAndRoundTrips()
    {
        var def = new GraphDef { Library = new FunctionDefLibrary { Function = { UnstackN() } } };
        var x = new NodeDef { Name = "x", Op = "Placeholder" };
        x.Attr["dtype"] = new AttrValue { Type = DataType.DtFloat };
        x.Attr["shape"] = new AttrValue { Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dim { Size = 2 }, new TensorShapeProto.Types.Dim { Size = 2 } } } };
        var call = new NodeDef { Name = "call", Op = "unstack_n", Input = { "x" } };
        call.Attr["N"] = new AttrValue { I = 2 };
        call.Attr["T"] = new AttrValue { Type = DataType.DtFloat };
        def.Node.Add([x, call]);
        var g = Graph.FromGraphDef(def);
        var op = g.GetOperation("call");
        Assert.That(op.NumOutputs, Is.EqualTo(2));
        using var s = new Session(g);
        var feed = new FeedDict { [g["x:0"]] = Tensor.Create(new float[] { 7, 8, 9, 10 }, 2, 2) };
        Assert.That(s.Run(g["call:0"], feed).ToArray<float>(), Is.EqualTo(new float[] { 7, 8 }));
        Assert.That(s.Run(g["call:1"], feed).ToArray<float>(), Is.EqualTo(new float[] { 9, 10 }));
    }

    [Test]
    public void GradientFlowsThroughEachTensorOfAListOutput()
    {
        var g = WithLibrary(UnstackN());
        var x = g.Placeholder(DType.Float32, new Shape(3, 2), "x");
        var f = Call("unstack_n", ("N", new AttrValue { I = 3 }), ("T", new AttrValue { Type = DataType.DtFloat }));
        var rows = g.PartitionedCall([x], f, [DType.Float32, DType.Float32, DType.Float32]);
        // loss = sum(row0 * 3 + row2^2): d/dx is 3 on row 0, 0 on row 1, 2 x on row 2.
        var loss = g.ReduceSum(rows[0] * 3f) + g.ReduceSum(g.Square(rows[2]));
        var dx = g.Gradients(loss, x)[0]!.Value;
        using var s = new Session(g);
        float[] xv = [1, 2, 3, 4, 5, 6];
        var feed = new FeedDict { [x] = Tensor.Create(xv, 3, 2) };
        Assert.That(s.Run(dx, feed).ToArray<float>(), Is.EqualTo(new float[] { 3, 3, 0, 0, 10, 12 }).Within(1e-6));
        Assert.That(GradientChecker.ComputeGradientError(s, x, Tensor.Create(new float[] { 0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f }, 3, 2), loss),
            Is.LessThan(2e-3));
    }

    [Test]
    public void TypeListAndNumberAttrInputsAreExpandedIntoSeparateArguments()
    {
        var g = WithLibrary(Mix());
        var x0 = g.Constant(new float[] { 0.5f, 1.5f });
        var x1 = g.Constant(new int[] { 10, 20 });
        var ys = new[] { g.Constant(new float[] { 1, 2 }), g.Constant(new float[] { 3, 4 }), g.Constant(new float[] { 5, 6 }) };
        var f = Call("mix", ("Tin", Types(DataType.DtFloat, DataType.DtInt32)), ("N", new AttrValue { I = 3 }));
        var r = g.PartitionedCall([x0, x1, .. ys], f, [DType.Float32, DType.Float32, DType.Int32], "mix_call");
        Assert.That(r, Has.Length.EqualTo(3));
        using var s = new Session(g);
        // total = x0 + float(x1) + y0 + y1 + y2.
        float[] expect = [0.5f + 10 + 1 + 3 + 5, 1.5f + 20 + 2 + 4 + 6];
        Assert.That(s.Run(r[0]).ToArray<float>(), Is.EqualTo(expect).Within(1e-6));
        Assert.That(s.Run(r[1]).ToArray<float>(), Is.EqualTo(new float[] { 0.5f, 1.5f }), "echo[0] is xs[0]");
        Assert.That(s.Run(r[2]).ToArray<int>(), Is.EqualTo(new[] { 10, 20 }), "echo[1] is xs[1]");
    }

    [Test]
    public void GradientThroughListInputsMatchesFiniteDifferences()
    {
        var g = WithLibrary(Mix());
        var x0 = g.Placeholder(DType.Float32, new Shape(2), "x0");
        var x1 = g.Constant(new int[] { 0, -1 });
        var y1 = g.Placeholder(DType.Float32, new Shape(2), "y1");
        var f = Call("mix", ("Tin", Types(DataType.DtFloat, DataType.DtInt32)), ("N", new AttrValue { I = 2 }));
        var r = g.StatefulPartitionedCall([x0, x1, y1, y1], f, [DType.Float32, DType.Float32, DType.Int32]);
        // total = x0 + float(x1) + 2 y1 (y1 passed twice): d total/d x0 = 1, d total/d y1 = 2.
        var grads = g.Gradients(g.ReduceSum(r[0]), x0, y1);
        using var s = new Session(g);
        var feed = new FeedDict { [x0] = new float[] { 0.1f, 0.2f }, [y1] = new float[] { 3, 4 } };
        var (d0, d1) = s.Run(grads[0]!.Value, grads[1]!.Value, feed);
        Assert.That(d0.ToArray<float>(), Is.EqualTo(new float[] { 1, 1 }));
        Assert.That(d1.ToArray<float>(), Is.EqualTo(new float[] { 2, 2 }));
        var sq = g.Square(r[0]);
        Assert.That(GradientChecker.ComputeGradientError(s, y1, new float[] { 0.3f, 0.4f }, sq, new FeedDict { [x0] = new float[] { 0.1f, 0.2f } }),
            Is.LessThan(2e-3));
    }

    [Test]
    public void WrongListLengthIsATypedErrorNamingTheCall()
    {
        var g = WithLibrary(UnstackN(), Mix());
        var x = g.Constant(Tensor.Create(new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2));
        // N = 3 rows, but Tout declares two results.
        var f = Call("unstack_n", ("N", new AttrValue { I = 3 }), ("T", new AttrValue { Type = DataType.DtFloat }));
        var e = Assert.Throws<InvalidArgumentException>(() => g.PartitionedCall([x], f, [DType.Float32, DType.Float32], "bad_rows"))!;
        Assert.That(e.Message, Does.Contain("'bad_rows'").And.Contain("returns 3 result(s), the call declares 2"));
        Assert.That(e.NodeName, Is.EqualTo("bad_rows"));

        // N = 3 ys declared, two passed.
        var mix = Call("mix", ("Tin", Types(DataType.DtFloat, DataType.DtInt32)), ("N", new AttrValue { I = 3 }));
        var y = g.Constant(new float[] { 1 });
        var e2 = Assert.Throws<InvalidArgumentException>(() =>
            g.PartitionedCall([y, g.Constant(new int[] { 1 }), y, y], mix, [DType.Float32, DType.Float32, DType.Int32], "bad_ys"))!;
        Assert.That(e2.Message, Does.Contain("'bad_ys'").And.Contain("takes 5 argument(s)"));
        Assert.That(e2.NodeName, Is.EqualTo("bad_ys"));
    }

    [Test]
    public void RetNamingOneElementForAListOutputIsATypedError()
    {
        var bad = UnstackN();
        bad.Ret["rows"] = "unstack:output:0";
        var g = WithLibrary(bad);
        var x = g.Constant(Tensor.Create(new float[] { 1, 2, 3, 4 }, 2, 2));
        var f = Call("unstack_n", ("N", new AttrValue { I = 2 }), ("T", new AttrValue { Type = DataType.DtFloat }));
        var r = g.PartitionedCall([x], f, [DType.Float32, DType.Float32], "one_row");
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(r[0]))!;
        Assert.That(e.Message, Does.Contain("output 'rows' stands for 2 tensor(s)"));
        Assert.That(e.NodeName, Is.EqualTo("one_row"));
    }
}
