namespace TensorGraph.Tests.Runtime;

/// <summary>
/// The Session's core behaviour. Each test opens its sessions through <see cref="NewSession"/>, so
/// the same cases also run against a remote master (<c>grpc://</c>) in the serving tests.
/// </summary>
public class SessionTests
{
    /// <summary>A session for <paramref name="g"/>; here in this process.</summary>
    protected virtual Session NewSession(Graph g) => new(g);

    [Test]
    public void ControlInputOnAFedPlaceholderIsSatisfiedByTheFeed()
    {
        // TF's FeedInputs moves a fed placeholder's control edges to the fed value
        // (tf.metrics.mean puts one on its values when they are a placeholder).
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(2), "x");
        Output y;
        using (g.ControlDependencies(x)) y = g.Constant(5f) + g.Constant(1f);
        using var s = NewSession(g);
        Assert.That(s.Run(y, new FeedDict { [x] = new[] { 1f, 2f } }).Scalar<float>(), Is.EqualTo(6f));
        Assert.Throws<InvalidArgumentException>(() => s.Run(y));
    }

    [Test]
    public void RunOverloads()
    {
        var g = new Graph();
        var a = g.Constant(3f, name: "a");
        var b = g.Constant(4f, name: "b");
        var c = a * b;
        using var s = NewSession(g);
        Assert.That(s.Run(c).Scalar<float>(), Is.EqualTo(12f));
        var (x, y) = s.Run(a, b);
        Assert.That((x.Scalar<float>(), y.Scalar<float>()), Is.EqualTo((3f, 4f)));
        var (p, q, r) = s.Run(a, b, c);
        Assert.That(r.Scalar<float>(), Is.EqualTo(12f));
        Assert.That(p.Scalar<float>() + q.Scalar<float>(), Is.EqualTo(7f));
        var arr = s.Run([a, c]);
        Assert.That(arr.Select(t => t.Scalar<float>()), Is.EqualTo(new[] { 3f, 12f }));
        Assert.That(s.Run("mul:0")!.Scalar<float>(), Is.EqualTo(12f));
    }

    [Test]
    public void OperationFetchYieldsNull()
    {
        var g = new Graph();
        var v = g.Variable(1f, name: "v");
        var inc = g.AssignAdd(v, g.Constant(1f));
        var init = g.GlobalVariablesInitializer();
        using var s = NewSession(g);
        Assert.That(s.Run(init), Is.Null);
        var (none, val) = s.Run(inc.Op, v);
        Assert.That(none, Is.Null);
        Assert.That(val!.Scalar<float>(), Is.EqualTo(2f).Or.EqualTo(1f));
        Assert.That(s.Run(v).Scalar<float>(), Is.EqualTo(2f));
        Assert.That(s.Run("init"), Is.Null);
        Assert.That(s.Run(v).Scalar<float>(), Is.EqualTo(1f));
    }

    [Test]
    public void TargetsRunBeforeFetchesAreReturned()
    {
        var g = new Graph();
        var v = g.Variable(10, name: "counter");
        var inc = g.AssignAdd(v, g.Constant(5));
        using var s = NewSession(g);
        s.Run(g.GlobalVariablesInitializer());
        var r = s.Run([g.Constant(1)], null, inc.Op);
        Assert.That(r[0].Scalar<int>(), Is.EqualTo(1));
        Assert.That(s.Run(v).Scalar<int>(), Is.EqualTo(15));
    }

    [Test]
    public void FeedsByTensorAndByName()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 2], name: "x");
        var y = g.ReduceSum(x * 2f);
        using var s = NewSession(g);
        var byTensor = s.Run(y, new FeedDict { [x] = new float[,] { { 1, 2 }, { 3, 4 } } });
        var byName = s.Run(y, new FeedDict { ["x:0"] = new float[,] { { 1, 1 } } });
        var dict = s.Run(y, new Dictionary<Output, Tensor> { [x] = new float[,] { { 5, 5 } } });
        Assert.That(byTensor.Scalar<float>(), Is.EqualTo(20f));
        Assert.That(byName.Scalar<float>(), Is.EqualTo(4f));
        Assert.That(dict.Scalar<float>(), Is.EqualTo(20f));
    }

    [Test]
    public void FeedsCutTheGraphAndUnneededPlaceholdersAreFine()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, name: "x");
        var unused = g.Placeholder(DType.Float32, name: "unused");
        var h = x * 3f;
        var y = h + 1f;
        _ = unused + 1f;
        using var s = NewSession(g);
        // Feeding h means x is not needed.
        Assert.That(s.Run(y, new FeedDict { [h] = 10f }).Scalar<float>(), Is.EqualTo(11f));
        // Fetching a fed tensor returns the fed value.
        Assert.That(s.Run(h, new FeedDict { [h] = 7f }).Scalar<float>(), Is.EqualTo(7f));
    }

    [Test]
    public void UnfedPlaceholderNamesItAndItsLine()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 784], name: "images");
        var y = x * 2f;
        using var s = NewSession(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(y))!;
        Assert.That(e.Message, Does.Contain("You must feed a value for placeholder tensor 'images'"));
        Assert.That(e.Message, Does.Contain("(?, 784)"));
        Assert.That(e.Message, Does.Contain("SessionTests.cs:"));
    }

    [Test]
    public void WrongFeedDtypeOrShape()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 2], name: "x");
        var y = x + 1f;
        using var s = NewSession(g);
        // A number of another dtype converts (FeedConversionTests); a string does not.
        Assert.That(s.Run(y, new FeedDict { [x] = new double[,] { { 1, 2 } } }).ToArray<float>(), Is.EqualTo(new[] { 2f, 3f }));
        var e1 = Assert.Throws<InvalidArgumentException>(() => s.Run(y, new FeedDict { [x] = new[] { "1", "2" } }))!;
        Assert.That(e1.Message, Does.Contain("dtype string").And.Contain("'x:0'").And.Contain("SessionTests.cs:"));
        var e2 = Assert.Throws<InvalidArgumentException>(() => s.Run(y, new FeedDict { [x] = new float[,] { { 1, 2, 3 } } }))!;
        Assert.That(e2.Message, Does.Contain("shape [1, 3]").And.Contain("(?, 2)"));
    }

    [Test]
    public void UninitializedVariableIsFailedPrecondition()
    {
        var g = new Graph();
        var v = g.Variable(new float[] { 1, 2 }, name: "weights");
        var y = v * 2f;
        using var s = NewSession(g);
        var e = Assert.Throws<FailedPreconditionException>(() => s.Run(y))!;
        Assert.That(e.Message, Does.Contain("Attempting to use uninitialized value weights"));
        Assert.That(e.Message, Does.Contain("SessionTests.cs:"));
        Assert.Throws<FailedPreconditionException>(() => s.Run(v));
    }

    [Test]
    public void UnknownFetchNameIsNotFound()
    {
        var g = new Graph();
        g.Constant(1f, name: "c");
        using var s = NewSession(g);
        Assert.Throws<NotFoundException>(() => s.Run("nothing:0"));
        Assert.Throws<NotFoundException>(() => s.Run("nothing"));
    }

    [Test]
    public void RuntimeShapeErrorNamesNode()
    {
        var g = new Graph();
        var a = g.Placeholder(DType.Float32, name: "a");
        var b = g.Placeholder(DType.Float32, name: "b");
        var c = g.Add(a, b, name: "sum_ab");
        using var s = NewSession(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(c, new FeedDict { [a] = new float[] { 1, 2 }, [b] = new float[] { 1, 2, 3 } }))!;
        Assert.That(e.Message, Does.Contain("Incompatible shapes").And.Contain("sum_ab").And.Contain("SessionTests.cs:"));
        Assert.That(e.NodeName, Is.EqualTo("sum_ab"));
    }

    [Test]
    public void PlansAreCachedPerSignature()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, name: "x");
        var y = x * 2f;
        var z = y + 1f;
        using var s = NewSession(g);
        // A remote session's plans are cached by the server; this process compiles none.
        int Plans(int local) => s.Target.Length == 0 ? local : 0;
        for (int i = 0; i < 5; i++) Assert.That(s.Run(y, new FeedDict { [x] = (float)i }).Scalar<float>(), Is.EqualTo(2f * i));
        Assert.That(s.CachedPlanCount, Is.EqualTo(Plans(1)));
        Assert.That(s.Run(z, new FeedDict { [x] = 1f }).Scalar<float>(), Is.EqualTo(3f));
        var (py, pz) = s.Run(y, z, new FeedDict { [x] = 1f });
        Assert.That((py.Scalar<float>(), pz.Scalar<float>()), Is.EqualTo((2f, 3f)));
        Assert.That(s.CachedPlanCount, Is.EqualTo(Plans(3)));
        Assert.That(s.Run(y, new FeedDict { [x] = 3f }).Scalar<float>(), Is.EqualTo(6f));
        Assert.That(s.CachedPlanCount, Is.EqualTo(Plans(3)));
    }

    [Test]
    public void BufferReuseKeepsResultsCorrect()
    {
        // A long chain reuses intermediate buffers; results handed out must not change later.
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [3], name: "x");
        Output h = x;
        for (int i = 0; i < 20; i++) h = h * 1.5f - 0.5f;
        var mid = h;
        for (int i = 0; i < 5; i++) h = h + mid;
        using var s = NewSession(g);
        var r1 = s.Run(h, mid, new FeedDict { [x] = new float[] { 1, 2, 3 } });
        var r2 = s.Run(h, mid, new FeedDict { [x] = new float[] { 0, 0, 0 } });
        static double Expect(double v)
        {
            for (int i = 0; i < 20; i++) v = (float)((float)(v * 1.5f) - 0.5f);
            return v;
        }
        Assert.That(r1.Item2.ToArray<float>()[1], Is.EqualTo(Expect(2)).Within(1e-2));
        Assert.That(r1.Item1.ToArray<float>()[1], Is.EqualTo(6 * Expect(2)).Within(1e-1));
        Assert.That(r2.Item1.ToArray<float>()[0], Is.EqualTo(6 * Expect(0)).Within(1e-1));
        Assert.That(r1.Item2.ToArray<float>()[1], Is.EqualTo(Expect(2)).Within(1e-2), "earlier result must not be overwritten");
    }

    [Test]
    public void VariablesLiveInTheSession()
    {
        var g = new Graph();
        var v = g.Variable(1, name: "v");
        var inc = g.AssignAdd(v, g.Constant(1));
        var init = g.GlobalVariablesInitializer();
        using var s1 = NewSession(g);
        using var s2 = NewSession(g);
        s1.Run(init);
        s2.Run(init);
        s1.Run(inc);
        s1.Run(inc);
        Assert.That(s1.Run(v).Scalar<int>(), Is.EqualTo(3));
        Assert.That(s2.Run(v).Scalar<int>(), Is.EqualTo(1));
    }

    [Test]
    public void AssignWithValidateShapeFalseChangesShape()
    {
        var g = new Graph();
        var v = g.Variable(new float[] { 1, 2 }, name: "v");
        var grow = g.Assign(v, g.Constant(new float[] { 1, 2, 3 }), validateShape: false);
        using var s = NewSession(g);
        s.Run(g.GlobalVariablesInitializer());
        Assert.That(s.Run(grow).ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3 }));
        Assert.That(s.Run(v).Dims.ToArray(), Is.EqualTo(new[] { 3 }));
        Assert.Throws<InvalidArgumentException>(() => g.Assign(v, g.Constant(new float[] { 1, 2, 3 })));
    }

    [Test]
    public void ResultsAreIndependentOfVariableUpdates()
    {
        var g = new Graph();
        var v = g.Variable(new float[] { 1, 2 }, name: "v");
        var inc = g.AssignAdd(v, g.Constant(new float[] { 1, 1 }));
        using var s = NewSession(g);
        s.Run(g.GlobalVariablesInitializer());
        var before = s.Run(v);
        s.Run(inc);
        Assert.That(before.ToArray<float>(), Is.EqualTo(new float[] { 1, 2 }));
        Assert.That(s.Run(v).ToArray<float>(), Is.EqualTo(new float[] { 2, 3 }));
    }

    [Test]
    public void ClosedSessionRejectsRuns()
    {
        var g = new Graph();
        var c = g.Constant(1f);
        var s = NewSession(g);
        s.Dispose();
        Assert.Throws<ObjectDisposedException>(() => s.Run(c));
    }
}
