using TensorGraph.Training;

namespace TensorGraph.Tests.Autodiff;

/// <summary>
/// Gradients through tf.while_loop, built graph-to-graph as TF 1.15 builds them (a backprop loop,
/// stacks of forward values, accumulators for loop invariants), checked against closed forms and
/// central finite differences.
/// </summary>
public class WhileLoopGradientTests
{
    private static void AssertGradientMatches(Session s, Output x, Tensor xValue, Output y, FeedDict? extra = null, double tol = 2e-3)
    {
        var check = GradientChecker.Compute(s, x, xValue, y, extra);
        Assert.That(check.MaxRelativeError, Is.LessThan(tol), $"max error {check.MaxError}");
    }

    [Test]
    public void PowerByRepeatedMultiplicationOfAnInvariant()
    {
        // v = 1; 3 times v *= x  =>  y = x^3, dy/dx = 3x^2 (x enters the loop as an invariant).
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, Shape.Scalar, name: "x");
        var r = g.WhileLoop(v => v[0] < 3, v => [v[0] + 1, v[1] * x], [g.Constant(0), g.Constant(1.0)]);
        var dx = g.Gradients(r[1], x)[0]!.Value;
        using var s = new Session(g);
        var feeds = new FeedDict { [x] = Tensor.Scalar(1.5) };
        Assert.That(s.Run(r[1], feeds).Scalar<double>(), Is.EqualTo(3.375).Within(1e-12));
        Assert.That(s.Run(dx, feeds).Scalar<double>(), Is.EqualTo(3 * 1.5 * 1.5).Within(1e-12));
        AssertGradientMatches(s, x, Tensor.Scalar(0.7), r[1]);
    }

    [Test]
    public void GradientOfTheInitialValue()
    {
        // v0 = x; 3 times v = v * v  =>  y = x^8, dy/dx = 8x^7.
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, Shape.Scalar, name: "x");
        var r = g.WhileLoop(v => v[0] < 3, v => [v[0] + 1, v[1] * v[1]], [g.Constant(0), x]);
        var dx = g.Gradients(r[1], x)[0]!.Value;
        using var s = new Session(g);
        var feeds = new FeedDict { [x] = Tensor.Scalar(1.1) };
        Assert.That(s.Run(dx, feeds).Scalar<double>(), Is.EqualTo(8 * Math.Pow(1.1, 7)).Within(1e-10));
    }

    [Test]
    public void ZeroIterationsGiveTheIdentityAndZeroInvariantGradients()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, Shape.Scalar, name: "x");
        var w = g.Placeholder(DType.Float64, Shape.Scalar, name: "w");
        var n = g.Placeholder(DType.Int32, Shape.Scalar, name: "n");
        var r = g.WhileLoop(v => v[0] < n, v => [v[0] + 1, v[1] * w], [g.Constant(0), x]);
        var grads = g.Gradients(r[1], x, w);
        using var s = new Session(g);
        var feeds = new FeedDict { [x] = Tensor.Scalar(2.0), [w] = Tensor.Scalar(3.0), [n] = Tensor.Scalar(0) };
        Assert.That(s.Run(grads[0]!.Value, feeds).Scalar<double>(), Is.EqualTo(1.0));
        Assert.That(s.Run(grads[1]!.Value, feeds).Scalar<double>(), Is.EqualTo(0.0));
        feeds[n] = Tensor.Scalar(4);
        // y = x w^4: dy/dx = w^4, dy/dw = 4 x w^3.
        Assert.That(s.Run(grads[0]!.Value, feeds).Scalar<double>(), Is.EqualTo(81.0).Within(1e-12));
        Assert.That(s.Run(grads[1]!.Value, feeds).Scalar<double>(), Is.EqualTo(4 * 2.0 * 27).Within(1e-12));
    }

    [Test]
    public void RecurrentTanhCellMatchesFiniteDifferences()
    {
        // h_{t+1} = tanh(W h_t + u), 4 steps: gradients for the invariant W, the invariant u and h_0.
        var g = new Graph();
        var w = g.Placeholder(DType.Float64, [3, 3], name: "W");
        var u = g.Placeholder(DType.Float64, [3, 1], name: "u");
        var h0 = g.Placeholder(DType.Float64, [3, 1], name: "h0");
        var r = g.WhileLoop(v => v[0] < 4, v => [v[0] + 1, g.Tanh(g.MatMul(w, v[1]) + u)], [g.Constant(0), h0]);
        var loss = g.ReduceSum(r[1] * r[1]);
        using var s = new Session(g);
        var wv = Tensor.FromArray(new double[,] { { 0.5, -0.3, 0.2 }, { 0.1, 0.4, -0.6 }, { -0.2, 0.3, 0.7 } });
        var uv = Tensor.FromArray(new double[,] { { 0.1 }, { -0.2 }, { 0.3 } });
        var hv = Tensor.FromArray(new double[,] { { 0.4 }, { 0.0 }, { -0.5 } });
        var feeds = new FeedDict { [w] = wv, [u] = uv, [h0] = hv };
        AssertGradientMatches(s, w, wv, loss, feeds);
        AssertGradientMatches(s, u, uv, loss, feeds);
        AssertGradientMatches(s, h0, hv, loss, feeds);
    }

    [Test]
    public void ACondInsideTheLoop()
    {
        // Each step halves v when it is above 1 and triples it otherwise (times x): the predicate
        // is replayed per iteration in the backprop loop.
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, Shape.Scalar, name: "x");
        var v0 = g.Placeholder(DType.Float64, Shape.Scalar, name: "v0");
        var r = g.WhileLoop(v => v[0] < 5, v =>
        {
            var next = g.Cond(v[1] > 1.0, () => v[1] * 0.5 * x, () => v[1] * 3.0 * x);
            return [v[0] + 1, next];
        }, [g.Constant(0), v0]);
        var grads = g.Gradients(r[1], x, v0);
        using var s = new Session(g);
        var feeds = new FeedDict { [x] = Tensor.Scalar(1.2), [v0] = Tensor.Scalar(0.8) };
        // Closed form by replaying the branches: y = v0 * x^5 * prod(factors).
        double v = 0.8, prod = 1;
        for (int i = 0; i < 5; i++)
        {
            double f = v > 1 ? 0.5 : 3.0;
            prod *= f;
            v = v * f * 1.2;
        }
        Assert.That(s.Run(r[1], feeds).Scalar<double>(), Is.EqualTo(v).Within(1e-12));
        Assert.That(s.Run(grads[1]!.Value, feeds).Scalar<double>(), Is.EqualTo(prod * Math.Pow(1.2, 5)).Within(1e-10));
        Assert.That(s.Run(grads[0]!.Value, feeds).Scalar<double>(), Is.EqualTo(5 * 0.8 * prod * Math.Pow(1.2, 4)).Within(1e-10));
        AssertGradientMatches(s, x, Tensor.Scalar(1.2), r[1], new FeedDict { [v0] = Tensor.Scalar(0.8) });
    }

    [Test]
    public void NestedLoops()
    {
        // Outer 3 iterations, each running an inner loop of 2 steps v = sin(v * x): 6 nested applications.
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, Shape.Scalar, name: "x");
        var v0 = g.Placeholder(DType.Float64, Shape.Scalar, name: "v0");
        var r = g.WhileLoop(o => o[0] < 3, o =>
        {
            var inner = g.WhileLoop(i => i[0] < 2, i => [i[0] + 1, g.Sin(i[1] * x)], [g.Constant(0), o[1]]);
            return [o[0] + 1, inner[1] + 0.1];
        }, [g.Constant(0), v0]);
        using var s = new Session(g);
        double xv = 0.9, vv = 0.7;
        double expected = vv;
        for (int o = 0; o < 3; o++)
        {
            for (int i = 0; i < 2; i++) expected = Math.Sin(expected * xv);
            expected += 0.1;
        }
        var feeds = new FeedDict { [x] = Tensor.Scalar(xv), [v0] = Tensor.Scalar(vv) };
        Assert.That(s.Run(r[1], feeds).Scalar<double>(), Is.EqualTo(expected).Within(1e-12));
        AssertGradientMatches(s, x, Tensor.Scalar(xv), r[1], new FeedDict { [v0] = Tensor.Scalar(vv) });
        AssertGradientMatches(s, v0, Tensor.Scalar(vv), r[1], new FeedDict { [x] = Tensor.Scalar(xv) });
    }

    [Test]
    public void AnUnusedLoopOutputStillCarriesTheGradientThroughTheBody()
    {
        // a and b swap roles each step; only b's final value is used, yet x reaches it through a.
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, Shape.Scalar, name: "x");
        var r = g.WhileLoop(v => v[0] < 3, v => [v[0] + 1, v[2] * 2.0, v[1] + x], [g.Constant(0), x, g.Constant(1.0)]);
        using var s = new Session(g);
        AssertGradientMatches(s, x, Tensor.Scalar(0.3), r[2]);
    }

    [Test]
    public void UnknownShapesAreReplayedFromStackedShapes()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, Shape.Unknown, name: "x");
        var r = g.WhileLoop(v => v[0] < 3, v => [v[0] + 1, g.Sin(v[1]) * x], [g.Constant(0), x],
            shapeInvariants: [Shape.Scalar, Shape.Unknown]);
        var loss = g.ReduceSum(r[1]);
        using var s = new Session(g);
        AssertGradientMatches(s, x, Tensor.FromArray(new[] { 0.2, -0.4, 0.9 }), loss);
    }

    [Test]
    public void BackPropFalseStopsTheGradient()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        var r = g.WhileLoop(v => v[0] < 3, v => [v[0] + 1, v[1] * x], [g.Constant(0), g.Constant(1f)], backProp: false);
        Assert.That(g.Gradients(r[1], x)[0], Is.Null);
    }

    [Test]
    public void GraphLooksLikeTensorFlows()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [2], name: "x");
        var r = g.WhileLoop(v => v[0] < 3, v => [v[0] + 1, v[1] * x], [g.Constant(0), g.Constant(new float[] { 1, 1 })]);
        g.Gradients(r[1], x);
        var ops = g.Operations.ToDictionary(o => o.Name);
        Assert.That(ops["gradients/f_count"].Type, Is.EqualTo("Const"));
        Assert.That(ops["gradients/f_count_1"].Type, Is.EqualTo("Enter"));
        Assert.That(ops["gradients/f_count_1"].GetAttrString("frame_name"), Is.EqualTo("while/while_context"));
        Assert.That(ops["gradients/f_count_2"].Type, Is.EqualTo("Exit"));
        Assert.That(ops["gradients/Add"].Type, Is.EqualTo("Add"));
        Assert.That(ops["gradients/b_count"].Type, Is.EqualTo("Const"));
        Assert.That(ops["gradients/b_count_1"].GetAttrString("frame_name"), Is.EqualTo("gradients/while/while_context"));
        Assert.That(ops["gradients/b_count_2"].Type, Is.EqualTo("LoopCond"));
        Assert.That(ops["gradients/b_count_3"].Type, Is.EqualTo("Exit"));
        Assert.That(ops["gradients/GreaterEqual/Enter"].GetAttrBool("is_constant"), Is.True);
        Assert.That(ops["gradients/while/Exit_1_grad/b_exit"].Type, Is.EqualTo("Enter"));
        Assert.That(ops["gradients/while/Switch_1_grad/b_switch"].Type, Is.EqualTo("Merge"));
        Assert.That(ops["gradients/while/Merge_1_grad/Switch"].Type, Is.EqualTo("Switch"));
        Assert.That(ops["gradients/while/Switch_1_grad_1/NextIteration"].Type, Is.EqualTo("NextIteration"));
        Assert.That(ops["gradients/while/Enter_1_grad/Exit"].Type, Is.EqualTo("Exit"));
        // x is a loop invariant: its gradient is summed by an accumulator loop.
        Assert.That(ops["gradients/while/mul/Enter_grad/b_acc"].Type, Is.EqualTo("Const"));
        Assert.That(ops["gradients/while/mul/Enter_grad/b_acc_1"].Type, Is.EqualTo("Enter"));
        Assert.That(ops["gradients/while/mul/Enter_grad/b_acc_3"].Type, Is.EqualTo("Exit"));
        // The forward value mul's gradient needs (the loop variable) is stacked and popped.
        var pushes = g.Operations.Where(o => o.Type == "StackPushV2").ToList();
        Assert.That(pushes, Is.Not.Empty);
        foreach (var push in pushes)
        {
            Assert.That(ops["gradients/NextIteration"].ControlInputs.ToArray(), Does.Contain(push));
            Assert.That(push.ControlInputs.ToArray(), Does.Contain(ops["gradients/Add"]));
        }
        var pop = g.Operations.First(o => o.Type == "StackPopV2");
        Assert.That(pop.ControlInputs.ToArray(), Does.Contain(ops["gradients/Sub"]));
        // b_sync is created with the first pop, under that gradient op's scope, as in TF.
        var sync = g.Operations.Single(o => o.Type == "ControlTrigger");
        Assert.That(sync.Name, Does.EndWith("/b_sync"));
        Assert.That(sync.ControlInputs.ToArray(), Does.Contain(pop));
        Assert.That(ops["gradients/NextIteration_1"].ControlInputs.ToArray(), Does.Contain(sync));
    }

    [Test]
    public void TrainingThroughALoopLowersTheLoss()
    {
        // Fit w so that applying v = v * w + 1 three times to 0.5 gives 3 (plain gradient descent).
        var g = new Graph();
        var w = g.Variable(Tensor.Scalar(0.5f), name: "w");
        var r = g.WhileLoop(v => v[0] < 3, v => [v[0] + 1, v[1] * w.Value + 1f], [g.Constant(0), g.Constant(0.5f)]);
        var loss = g.Square(r[1] - 3f);
        var train = new GradientDescentOptimizer(0.05).Minimize(loss);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        float first = s.Run(loss).Scalar<float>();
        for (int i = 0; i < 100; i++) s.Run(train);
        float last = s.Run(loss).Scalar<float>();
        Assert.That(first, Is.GreaterThan(0.1f));
        Assert.That(last, Is.LessThan(1e-4f));
    }

    [Test]
    public void ImportedLoopsSayWhyTheyCannotBeDifferentiated()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        g.WhileLoop(v => v[0] < 3, v => [v[0] + 1, v[1] * x], [g.Constant(0), g.Constant(1f)]);
        var imported = Graph.FromGraphDef(g.ToGraphDef());
        var e = Assert.Throws<UnimplementedException>(() => imported.Gradients(imported["while/Exit_1:0"], imported["x:0"]));
        Assert.That(e!.Message, Does.Contain("while/Exit_1").And.Contain("imported"));
    }
}
