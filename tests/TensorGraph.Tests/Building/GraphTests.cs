namespace TensorGraph.Tests.Building;

public class GraphTests
{
    [Test]
    public void UniqueNamesFollowTensorFlow()
    {
        var g = new Graph();
        var a = g.Constant(1f);
        var b = g.Constant(2f);
        var s1 = a + b;
        var s2 = a + b;
        var s3 = g.Add(a, b);
        var s4 = g.Add(a, b);
        Assert.Multiple(() =>
        {
            Assert.That(a.Op.Name, Is.EqualTo("Const"));
            Assert.That(b.Op.Name, Is.EqualTo("Const_1"));
            Assert.That(s1.Op.Name, Is.EqualTo("add"));
            Assert.That(s1.Op.Type, Is.EqualTo("AddV2"));
            Assert.That(s2.Op.Name, Is.EqualTo("add_1"));
            // Uniqueness is case-insensitive, as in TF: "Add" collides with "add".
            Assert.That(s3.Op.Name, Is.EqualTo("Add_2"));
            Assert.That(s3.Op.Type, Is.EqualTo("Add"));
            Assert.That(s4.Op.Name, Is.EqualTo("Add_3"));
        });
    }

    [Test]
    public void ExplicitNameMarksUsed()
    {
        var g = new Graph();
        var x = g.Constant(1f, name: "foo_1");
        var y = g.Constant(1f, name: "foo");
        var z = g.Constant(1f, name: "foo");
        Assert.That(new[] { x.Op.Name, y.Op.Name, z.Op.Name }, Is.EqualTo(new[] { "foo_1", "foo", "foo_2" }));
    }

    [Test]
    public void NameScopes()
    {
        var g = new Graph();
        Output w, w2, inner;
        using (g.NameScope("hidden1"))
        {
            w = g.Constant(1f, name: "weights");
            using (g.NameScope("inner")) inner = g.Constant(1f);
        }
        using (g.NameScope("hidden1")) w2 = g.Constant(1f, name: "weights");
        Output again;
        using (g.NameScope("hidden1/")) again = g.Constant(1f, name: "weights");
        Assert.Multiple(() =>
        {
            Assert.That(w.Op.Name, Is.EqualTo("hidden1/weights"));
            Assert.That(inner.Op.Name, Is.EqualTo("hidden1/inner/Const"));
            Assert.That(w2.Op.Name, Is.EqualTo("hidden1_1/weights"));
            Assert.That(again.Op.Name, Is.EqualTo("hidden1/weights_1"));
            Assert.That(g.GetTensor("hidden1/weights:0"), Is.EqualTo(w));
            Assert.That(g["hidden1/weights"], Is.EqualTo(w));
            Assert.That(g.GetOperation("hidden1/weights"), Is.SameAs(w.Op));
        });
    }

    [Test]
    public void VariablesAreWiredLikeTensorFlow()
    {
        var g = new Graph();
        Variable v;
        using (g.NameScope("hidden1")) v = g.Variable(new float[] { 1, 2 }, name: "weights");
        var frozen = g.Variable(3, name: "step", trainable: false);
        Assert.Multiple(() =>
        {
            Assert.That(v.Name, Is.EqualTo("hidden1/weights"));
            Assert.That(v.Op.Type, Is.EqualTo("VariableV2"));
            Assert.That(v.Initializer.Name, Is.EqualTo("hidden1/weights/Assign"));
            Assert.That(v.Value.Op.Name, Is.EqualTo("hidden1/weights/read"));
            Assert.That(v.InitialValue.Op.Name, Is.EqualTo("hidden1/weights/initial_value"));
            Assert.That(v.Shape, Is.EqualTo(new Shape(2)));
            Assert.That(g.GlobalVariables, Has.Count.EqualTo(2));
            Assert.That(g.TrainableVariables, Has.Count.EqualTo(1));
            Assert.That(frozen.DType, Is.EqualTo(DType.Int32));
        });
        var init = g.GlobalVariablesInitializer();
        Assert.That(init.Name, Is.EqualTo("init"));
        Assert.That(init.ControlInputs.Select(o => o.Name), Is.EquivalentTo(new[] { "hidden1/weights/Assign", "step/Assign" }));
    }

    [Test]
    public void ControlDependencies()
    {
        var g = new Graph();
        var a = g.Constant(1f);
        var noop = g.NoOp("first");
        Output b, c;
        using (g.ControlDependencies(noop))
        {
            b = g.Identity(a);
            using (g.ControlDependencies((Operation[]?)null)) c = g.Identity(a);
        }
        Assert.That(b.Op.ControlInputs, Is.EqualTo(new[] { noop }));
        Assert.That(c.Op.ControlInputs, Is.Empty);
        var def = g.ToGraphDef();
        var node = def.Node.Single(n => n.Name == b.Op.Name);
        Assert.That(node.Input, Is.EqualTo(new[] { "Const", "^first" }));
    }

    [Test]
    public void Collections()
    {
        var g = new Graph();
        var x = g.Constant(1f);
        g.AddToCollection(GraphKeys.Summaries, x);
        g.AddToCollection(GraphKeys.UpdateOps, x.Op);
        Assert.That(g.GetCollection<Output>(GraphKeys.Summaries), Is.EqualTo(new[] { x }));
        Assert.That(g.GetCollection<Operation>(GraphKeys.UpdateOps), Is.EqualTo(new[] { x.Op }));
        Assert.That(g.GetCollection<Output>("nothing"), Is.Empty);
    }

    [Test]
    public void LookupErrorsAreTyped()
    {
        var g = new Graph();
        g.Constant(1f, name: "c");
        Assert.Throws<NotFoundException>(() => g.GetTensor("missing:0"));
        Assert.Throws<NotFoundException>(() => g.GetTensor("c:1"));
        Assert.Throws<InvalidArgumentException>(() => g.GetTensor("c:x"));
        Assert.Throws<NotFoundException>(() => g.GetOperation("nope"));
    }

    [Test]
    public void ShapeInferenceErrorNamesNodeAndSourceLine()
    {
        var g = new Graph();
        var a = g.Placeholder(DType.Float32, [2, 3], name: "a");
        var b = g.Placeholder(DType.Float32, [4], name: "b");
        var e = Assert.Throws<InvalidArgumentException>(() => _ = a + b)!;
        Assert.That(e.Message, Does.Contain("'add'"));
        Assert.That(e.Message, Does.Contain("GraphTests.cs:"));
        Assert.That(e.NodeName, Is.EqualTo("add"));
    }

    [Test]
    public void DtypeMismatchIsInvalidArgument()
    {
        var g = new Graph();
        var a = g.Constant(1f);
        var b = g.Constant(1);
        var e = Assert.Throws<InvalidArgumentException>(() => g.Multiply(a, b))!;
        Assert.That(e.Message, Does.Contain("Mul"));
    }

    [Test]
    public void MixingGraphsIsRejected()
    {
        var g1 = new Graph();
        var g2 = new Graph();
        var a = g1.Constant(1f);
        var b = g2.Constant(1f);
        Assert.Throws<InvalidArgumentException>(() => _ = a + b);
    }

    [Test]
    public void OutputIsADictionaryKeyAndHasTfName()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 784], name: "x");
        var d = new Dictionary<Output, int> { [x] = 1 };
        Assert.That(d[g.GetTensor("x:0")], Is.EqualTo(1));
        Assert.That(x.ToString(), Is.EqualTo("Tensor(\"x:0\", shape=(?, 784), dtype=float32)"));
    }

    [Test]
    public void OperatorsWithScalarsAndArrays()
    {
        var g = new Graph();
        var x = g.Constant(new float[] { 1, 2, 3 });
        var y = 2 * x + 1;
        var z = x * new float[] { 1, 0, -1 };
        var w = 1 - x / 2.0;
        using var s = new Session(g);
        Assert.That(s.Run(y).ToArray<float>(), Is.EqualTo(new float[] { 3, 5, 7 }));
        Assert.That(s.Run(z).ToArray<float>(), Is.EqualTo(new float[] { 1, 0, -3 }));
        Assert.That(s.Run(w).ToArray<float>(), Is.EqualTo(new float[] { 0.5f, 0, -0.5f }));
        Assert.That(y.Op.Inputs[1].Op.Name, Is.EqualTo("add/y"));
        Assert.Throws<InvalidArgumentException>(() => _ = g.Constant(1) * 0.5);
    }

    [Test]
    public void TrueDivideOfIntsIsFloat64()
    {
        var g = new Graph();
        var q = g.Divide(g.Constant(11), g.Constant(5));
        Assert.That(q.DType, Is.EqualTo(DType.Float64));
        Assert.That(q.Op.Name, Is.EqualTo("truediv"));
        Assert.That(q.Op.Inputs[0].Op.Name, Is.EqualTo("truediv/Cast"));
        using var s = new Session(g);
        Assert.That(s.Run(q).Scalar<double>(), Is.EqualTo(2.2));
    }

    [Test]
    public void GraphDefHasProducerAndAttrs()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 2], name: "x");
        _ = g.ReduceSum(x, [1], name: "s");
        var def = g.ToGraphDef();
        Assert.That(def.Versions.Producer, Is.EqualTo(Graph.GraphDefVersion));
        var sum = def.Node.Single(n => n.Name == "s");
        Assert.That(sum.Op, Is.EqualTo("Sum"));
        Assert.That(sum.Input, Is.EqualTo(new[] { "x", "s/reduction_indices" }));
        Assert.That(sum.Attr["keep_dims"].B, Is.False);
        Assert.That(sum.Attr["T"].Type, Is.EqualTo(Proto.DataType.DtFloat));
        var ph = def.Node.Single(n => n.Name == "x");
        Assert.That(ph.Attr["shape"].Shape.Dim[0].Size, Is.EqualTo(-1));
    }

    [Test]
    public void RandomSeedsFollowGetSeed()
    {
        var g = new Graph();
        Assert.That(g.GetSeed(null), Is.EqualTo((0L, 0L)));
        Assert.That(g.GetSeed(5), Is.EqualTo((87654321L, 5L)));
        g.Seed = 0;
        Assert.That(g.GetSeed(0), Is.EqualTo((0L, (long)int.MaxValue)));
        g.Seed = 42;
        g.Constant(1f);
        Assert.That(g.GetSeed(null), Is.EqualTo((42L, 1L)));
    }

    [Test]
    public void GetCollectionFiltersByScopeAsTfDoes()
    {
        // TF's get_collection(key, scope): re.match of the scope against each item's name.
        var g = new Graph();
        Variable gw, gb, dw;
        using (g.NameScope("generator")) { gw = g.Variable(new float[] { 1 }, name: "w"); gb = g.Variable(new float[] { 2 }, name: "b"); }
        using (g.NameScope("discriminator")) dw = g.Variable(new float[] { 3 }, name: "w");
        var gen = g.GetCollection<Variable>(GraphKeys.TrainableVariables, "generator");
        Assert.That(gen.Select(v => v.Name), Is.EqualTo(new[] { "generator/w", "generator/b" }));
        Assert.That(g.GetCollection<Variable>(GraphKeys.TrainableVariables, "disc|gen").Count, Is.EqualTo(3));
        Assert.That(g.GetCollection<Variable>(GraphKeys.TrainableVariables, "w"), Is.Empty, "match anchors at the start");
        Assert.That(g.GetCollection<Variable>(GraphKeys.TrainableVariables, ".*/w").Select(v => v.Name), Is.EqualTo(new[] { "generator/w", "discriminator/w" }));
        Assert.That(g.GetCollection<Variable>(GraphKeys.TrainableVariables, null).Count, Is.EqualTo(3));
        Assert.Throws<InvalidArgumentException>(() => g.GetCollection<Variable>(GraphKeys.TrainableVariables, "("));
        g.AddToCollection("mixed", "no name");
        g.AddToCollection("mixed", dw.Value);
        Assert.That(g.GetCollection<object>("mixed", "disc").Single(), Is.EqualTo(dw.Value));
    }
}
