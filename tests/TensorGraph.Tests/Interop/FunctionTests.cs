using Google.Protobuf;
using TensorGraph.Proto;

namespace TensorGraph.Tests.Serialization;

/// <summary>Library functions: direct calls, PartitionedCall, StatefulPartitionedCall, nesting, gradients and DefineFunction's encoding.</summary>
public class FunctionTests
{
    /// <summary>f(x, y) = x * y + sin(x).</summary>
    private static GraphFunction DefineMulSin(Graph g, string name = "mul_sin", Shape? shape = null) =>
        g.DefineFunction(name, [DType.Float32, DType.Float32], (fg, a) => [a[0] * a[1] + fg.Sin(a[0])],
            shape is null ? null : [shape, shape], ["x", "y"]);

    private static Tensor T(float[] v) => v;

    private static float[] MulSin(float[] x, float[] y) => [.. x.Zip(y, (a, b) => a * b + MathF.Sin(a))];

    [Test]
    public void DirectCallComputesTheBody()
    {
        var g = new Graph();
        var f = DefineMulSin(g);
        var x = g.Constant(new float[] { 1, 2, 3 });
        var y = g.Constant(new float[] { 4, 5, 6 });
        var r = f.Call(x, y);
        Assert.That(r, Has.Length.EqualTo(1));
        Assert.That(r[0].Op.Type, Is.EqualTo("mul_sin"));
        Assert.That(r[0].Op.Name, Is.EqualTo("mul_sin"));
        Assert.That(r[0].Shape, Is.EqualTo(new Shape(3)), "the body's inferred shape for the call's inputs");
        using var s = new Session(g);
        Assert.That(s.Run(r[0]).ToArray<float>(), Is.EqualTo(MulSin([1, 2, 3], [4, 5, 6])).Within(1e-6));
    }

    [Test]
    public void AFunctionMayReturnAnArgumentAsItIs()
    {
        // TF writes such a ret as the bare argument name ("b"), not "node:out:0".
        var g = new Graph();
        var f = g.DefineFunction("swap_double", [DType.Float32, DType.Int64], (fg, a) => [a[1], a[0] * 2f], argNames: ["a", "b"]);
        Assert.That(g.Library!.Function.Single().Ret.Values, Does.Contain("b"));
        var r = f.Call(g.Constant(new float[] { 1, 2 }), g.Constant(new long[] { 7, 8, 9 }));
        using var s = new Session(g);
        Assert.That(s.Run(r[0]).ToArray<long>(), Is.EqualTo(new long[] { 7, 8, 9 }));
        Assert.That(s.Run(r[1]).ToArray<float>(), Is.EqualTo(new float[] { 2, 4 }));
    }

    [Test]
    public void FunctionDefIsEncodedAsTensorFlowDoes()
    {
        var g = new Graph();
        var def = DefineMulSin(g).ToFunctionDef();
        Assert.That(def.Signature.Name, Is.EqualTo("mul_sin"));
        Assert.That(def.Signature.InputArg.Select(a => (a.Name, a.Type)), Is.EqualTo(new[] { ("x", DataType.DtFloat), ("y", DataType.DtFloat) }));
        Assert.That(def.Signature.OutputArg.Select(a => (a.Name, a.Type)), Is.EqualTo(new[] { ("add", DataType.DtFloat) }));
        Assert.That(def.Signature.IsStateful, Is.False);
        var nodes = def.NodeDef.ToDictionary(n => n.Name);
        Assert.That(nodes.Keys, Is.EquivalentTo(new[] { "mul", "Sin", "add" }));
        Assert.That(nodes["mul"].Input, Is.EqualTo(new[] { "x", "y" }));
        Assert.That(nodes["Sin"].Input, Is.EqualTo(new[] { "x" }));
        // Mul's output argument is z, Sin's is y: TF's node:out_arg:index spelling.
        Assert.That(nodes["add"].Input, Is.EqualTo(new[] { "mul:z:0", "Sin:y:0" }));
        Assert.That(nodes["add"].Attr["T"].Type, Is.EqualTo(DataType.DtFloat));
        Assert.That(def.Ret, Is.EquivalentTo(new Dictionary<string, string> { ["add"] = "add:z:0" }));
        Assert.That(g.Library!.Function, Has.Count.EqualTo(1));
    }

    [Test]
    public void ListOutputsAreIndexedWithinTheirArgument()
    {
        var g = new Graph();
        var f = g.DefineFunction("second_half", [DType.Float32], (fg, a) => [fg.Split(a[0], 2, 0)[1]], argNames: ["v"]);
        var def = f.ToFunctionDef();
        Assert.That(def.Signature.OutputArg.Single().Name, Is.EqualTo("split_o1"));
        Assert.That(def.Ret["split_o1"], Is.EqualTo("split:output:1"));
        using var s = new Session(g);
        Assert.That(s.Run(f.Call(g.Constant(new float[] { 1, 2, 3, 4 }))[0]).ToArray<float>(), Is.EqualTo(new float[] { 3, 4 }));
    }

    [Test]
    public void DefinedFunctionRoundTripsThroughGraphDef()
    {
        var g = new Graph();
        var f = DefineMulSin(g);
        var x = g.Placeholder(DType.Float32, new Shape(2), "x_in");
        var call = f.Call([x, g.Constant(new float[] { 3, -1 })], "call")[0];
        var def = g.ToGraphDef();
        Assert.That(def.Library.Function.Single().Signature.Name, Is.EqualTo("mul_sin"));
        Assert.That(def.Node.Single(n => n.Name == "call").Op, Is.EqualTo("mul_sin"));

        var g2 = Graph.FromGraphDef(def);
        Assert.That(g2.InertOperations, Is.Empty);
        Assert.That(g2.ToGraphDef().ToByteArray(), Is.EqualTo(def.ToByteArray()), "export of the import is the same GraphDef");
        using var s1 = new Session(g);
        using var s2 = new Session(g2);
        var feed = T(new float[] { 0.5f, 2 });
        var expect = s1.Run(call, new FeedDict { [x] = feed }).ToArray<float>();
        Assert.That(s2.Run(g2["call:0"], new FeedDict { [g2["x_in:0"]] = feed }).ToArray<float>(), Is.EqualTo(expect));
        Assert.That(expect, Is.EqualTo(MulSin([0.5f, 2], [3, -1])).Within(1e-6));
    }

    [Test]
    public void PartitionedCallRunsTheFunctionAndRoundTrips()
    {
        var g = new Graph();
        DefineMulSin(g);
        var x = g.Constant(new float[] { 0.25f, 1 });
        var r = g.PartitionedCall([x, x], new NameAttrList { Name = "mul_sin" }, [DType.Float32], "pc");
        Assert.That(r[0].Op.Type, Is.EqualTo("PartitionedCall"));
        using var s = new Session(g);
        Assert.That(s.Run(r[0]).ToArray<float>(), Is.EqualTo(MulSin([0.25f, 1], [0.25f, 1])).Within(1e-6));

        var def = g.ToGraphDef();
        var g2 = Graph.FromGraphDef(def);
        Assert.That(g2.ToGraphDef().ToByteArray(), Is.EqualTo(def.ToByteArray()));
        using var s2 = new Session(g2);
        Assert.That(s2.Run(g2["pc:0"]).ToArray<float>(), Is.EqualTo(MulSin([0.25f, 1], [0.25f, 1])).Within(1e-6));
    }

    [Test]
    public void PartitionedCallChecksItsDeclaredTypes()
    {
        var g = new Graph();
        DefineMulSin(g);
        var x = g.Constant(new float[] { 1 });
        Assert.Throws<InvalidArgumentException>(() => g.PartitionedCall([x, x], new NameAttrList { Name = "mul_sin" }, [DType.Int32]));
        Assert.Throws<InvalidArgumentException>(() => g.PartitionedCall([x], new NameAttrList { Name = "mul_sin" }, [DType.Float32]));
        Assert.Throws<NotFoundException>(() => g.PartitionedCall([x], new NameAttrList { Name = "nope" }, [DType.Float32]));
    }

    /// <summary>bump(v, d): reads the variable, stores value + d, returns what it read (TF2's captured-variable pattern).</summary>
    private static GraphFunction DefineBump(Graph g) =>
        g.DefineFunction("bump", [DType.Resource, DType.Float32], (fg, a) =>
        {
            var old = fg.ReadVariableOp(a[0], DType.Float32);
            fg.AssignVariableOp(a[0], old + a[1]);
            return [fg.Identity(old)];
        }, argNames: ["v", "d"]);

    [Test]
    public void StatefulPartitionedCallReachesTheSessionsVariable()
    {
        var g = new Graph();
        var bump = DefineBump(g);
        Assert.That(bump.ToFunctionDef().Signature.IsStateful, Is.True);
        var h = g.VarHandleOp(DType.Float32, [2], sharedName: "counter", name: "counter");
        var init = g.AssignVariableOp(h, g.Constant(new float[] { 1, 10 }));
        var call = g.StatefulPartitionedCall([h, g.Constant(new float[] { 2, 3 })], new NameAttrList { Name = "bump" }, [DType.Float32], "step")[0];
        var read = g.ReadVariableOp(h, DType.Float32);
        using var s = new Session(g);
        s.Run(init);
        Assert.That(s.Run(call).ToArray<float>(), Is.EqualTo(new float[] { 1, 10 }), "the value before the assign");
        Assert.That(s.Run(read).ToArray<float>(), Is.EqualTo(new float[] { 3, 13 }), "the assign inside the function reached the variable");
        // Once per step: fetching the result twice in one run runs the call once.
        var (a, b) = s.Run(call, g.Identity(call));
        Assert.That(a.ToArray<float>(), Is.EqualTo(new float[] { 3, 13 }));
        Assert.That(b.ToArray<float>(), Is.EqualTo(new float[] { 3, 13 }));
        Assert.That(s.Run(read).ToArray<float>(), Is.EqualTo(new float[] { 5, 16 }));
        // A direct call runs the same body.
        s.Run(bump.Call(h, g.Constant(new float[] { 100, 100 }))[0]);
        Assert.That(s.Run(read).ToArray<float>(), Is.EqualTo(new float[] { 105, 116 }));
    }

    [Test]
    public void StatefulCallRunsAsATargetWithoutFetchingItsResult()
    {
        var g = new Graph();
        DefineBump(g);
        var h = g.VarHandleOp(DType.Float32, [], name: "v");
        var init = g.AssignVariableOp(h, g.Constant(5f));
        var call = g.StatefulPartitionedCall([h, g.Constant(1f)], new NameAttrList { Name = "bump" }, [DType.Float32], "step")[0];
        using var s = new Session(g);
        s.Run(init);
        s.Run(call.Op);
        s.Run(call.Op);
        Assert.That(s.Run(g.ReadVariableOp(h, DType.Float32)).Scalar<float>(), Is.EqualTo(7f));
    }

    [Test]
    public void NestedCallsWork()
    {
        var g = new Graph();
        var inner = DefineMulSin(g);
        // outer(a) = mul_sin(a, a) * 2, calling the inner function from its body.
        var outer = g.DefineFunction("outer", [DType.Float32], (fg, a) =>
        {
            var r = fg.PartitionedCall([a[0], a[0]], new NameAttrList { Name = inner.Name }, [DType.Float32], "inner_call")[0];
            return [r * 2f];
        }, argNames: ["a"]);
        var outer2 = g.DefineFunction("outer2", [DType.Float32], (fg, a) => [outer.Call(a[0])[0] + 1f], argNames: ["b"]);
        var x = g.Constant(new float[] { 0.5f, -2 });
        using var s = new Session(g);
        var expect = MulSin([0.5f, -2], [0.5f, -2]).Select(v => v * 2 + 1).ToArray();
        Assert.That(s.Run(outer2.Call(x)[0]).ToArray<float>(), Is.EqualTo(expect).Within(1e-5));
        var g2 = Graph.FromGraphDef(g.ToGraphDef());
        using var s2 = new Session(g2);
        Assert.That(s2.Run(g2.Operations[^1][0]).ToArray<float>(), Is.EqualTo(expect).Within(1e-5));
    }

    [Test]
    public void GradientThroughACallMatchesFiniteDifferences()
    {
        var g = new Graph();
        DefineMulSin(g, shape: new Shape(3));
        var x = g.Placeholder(DType.Float32, new Shape(3), "x");
        var y = g.Constant(new float[] { 0.5f, -1, 2 });
        var call = g.PartitionedCall([x, y], new NameAttrList { Name = "mul_sin" }, [DType.Float32], "pc")[0];
        var loss = g.Square(call);
        using var s = new Session(g);
        var err = GradientChecker.ComputeGradientError(s, x, T(new float[] { 0.3f, 1.1f, -0.7f }), loss);
        Assert.That(err, Is.LessThan(2e-3));
        // And the formula: d/dx (x*y + sin x)^2 = 2 (x*y + sin x)(y + cos x).
        var dx = g.Gradients(g.ReduceSum(loss), x)[0]!.Value;
        float[] xv = [0.3f, 1.1f, -0.7f], yv = [0.5f, -1, 2];
        var expect = xv.Select((a, i) => 2 * (a * yv[i] + MathF.Sin(a)) * (yv[i] + MathF.Cos(a))).ToArray();
        Assert.That(s.Run(dx, new FeedDict { [x] = T(xv) }).ToArray<float>(), Is.EqualTo(expect).Within(1e-5));
    }

    [Test]
    public void GradientThroughADirectCallWithTwoUsesOfOneInput()
    {
        var g = new Graph();
        var f = DefineMulSin(g);
        var x = g.Placeholder(DType.Float32, new Shape(2), "x");
        var r = f.Call(x, x)[0]; // x*x + sin x
        using var s = new Session(g);
        Assert.That(GradientChecker.ComputeGradientError(s, x, T(new float[] { 0.4f, -1.3f }), r), Is.LessThan(2e-3));
    }

    [Test]
    public void LibraryGradientFunctionIsUsed()
    {
        var g = new Graph();
        DefineMulSin(g);
        // A deliberately different gradient: dx = 10 dy, dy_input = 20 dy.
        g.DefineFunction("mul_sin_grad", [DType.Float32, DType.Float32, DType.Float32],
            (fg, a) => [fg.Identity(a[2] * 10f), fg.Identity(a[2] * 20f)], argNames: ["x", "y", "dz"]);
        g.Library!.Gradient.Add(new GradientDef { FunctionName = "mul_sin", GradientFunc = "mul_sin_grad" });
        var x = g.Placeholder(DType.Float32, new Shape(2), "x");
        var y = g.Placeholder(DType.Float32, new Shape(2), "y");
        var r = g.PartitionedCall([x, y], new NameAttrList { Name = "mul_sin" }, [DType.Float32])[0];
        var grads = g.Gradients(r, x, y);
        using var s = new Session(g);
        var feeds = new FeedDict { [x] = T(new float[] { 1, 2 }), [y] = T(new float[] { 3, 4 }) };
        var (dx, dy) = s.Run(grads[0]!.Value, grads[1]!.Value, feeds);
        Assert.That(dx.ToArray<float>(), Is.EqualTo(new float[] { 10, 10 }));
        Assert.That(dy.ToArray<float>(), Is.EqualTo(new float[] { 20, 20 }));
    }

    [Test]
    public void ErrorInsideAFunctionNamesTheFunctionNodeAndTheCall()
    {
        var g = new Graph();
        var f = g.DefineFunction("adder", [DType.Float32, DType.Float32], (fg, a) => [fg.Add(a[0], a[1], name: "inner_add")], argNames: ["p", "q"]);
        var x = g.Placeholder(DType.Float32, Shape.Unknown, "x");
        var y = g.Placeholder(DType.Float32, Shape.Unknown, "y");
        var r = f.Call([x, y], "the_call")[0];
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(r, new FeedDict { [x] = T(new float[] { 1, 2 }), [y] = T(new float[] { 1, 2, 3 }) }))!;
        Assert.That(e.Message, Does.Contain("'inner_add'").And.Contain("function 'adder'").And.Contain("'the_call'"));
        Assert.That(e.NodeName, Is.EqualTo("the_call"));
        // The session still works afterwards.
        Assert.That(s.Run(r, new FeedDict { [x] = T(new float[] { 1, 2 }), [y] = T(new float[] { 3, 4 }) }).ToArray<float>(),
            Is.EqualTo(new float[] { 4, 6 }));
    }

    [Test]
    public void FunctionBodyCannotReadTheOuterGraph()
    {
        var g = new Graph();
        var outer = g.Constant(1f);
        Assert.Throws<InvalidArgumentException>(() => g.DefineFunction("bad", [DType.Float32], (fg, a) => [fg.Add(a[0], outer)]));
        Assert.Throws<InvalidArgumentException>(() => g.DefineFunction("Add", [DType.Float32], (fg, a) => [a[0]]));
    }

    [Test]
    public void FunctionRuntimeCallsAFunctionFromKernelCode()
    {
        var g = new Graph();
        DefineMulSin(g);
        using var s = new Session(g);
        var body = Functions.FunctionRuntime.Instantiate(g, new NameAttrList { Name = "mul_sin" });
        var caller = new Functions.FunctionCaller(body, s);
        Assert.That(caller.ArgTypes, Is.EqualTo(new[] { DType.Float32, DType.Float32 }));
        var r = caller.Call([T(new float[] { 1 }), T(new float[] { 2 })]);
        Assert.That(r.Single().ToArray<float>(), Is.EqualTo(MulSin([1], [2])).Within(1e-6));
        var r2 = caller.Call([T(new float[] { 2 }), T(new float[] { 2 })]);
        Assert.That(r[0].ToArray<float>(), Is.EqualTo(MulSin([1], [2])).Within(1e-6), "results are the caller's, not reused buffers");
        Assert.That(r2[0].ToArray<float>(), Is.EqualTo(MulSin([2], [2])).Within(1e-6));
    }
}
