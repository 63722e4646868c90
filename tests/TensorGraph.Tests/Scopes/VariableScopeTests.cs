using TensorGraph.Initializers;
using TensorGraph.Serialization;
using TensorGraph.Tests.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Tests.Scopes;

/// <summary>tf.variable_scope / tf.get_variable as TF 1.15's variable_scope.py and its tests (variable_scope_test.py) describe them.</summary>
public class VariableScopeTests
{
    [Test]
    public void NestedScopesComposeVariableNames()
    {
        var g = new Graph();
        Variable v;
        using (g.VariableScope("foo"))
        using (g.VariableScope("bar"))
            v = g.GetVariable("v", [1]);
        Assert.Multiple(() =>
        {
            Assert.That(v.Name, Is.EqualTo("foo/bar/v"));
            Assert.That(v.Op.Type, Is.EqualTo("VariableV2"));
            Assert.That(v.Initializer.Name, Is.EqualTo("foo/bar/v/Assign"));
            Assert.That(v.Value.Op.Name, Is.EqualTo("foo/bar/v/read"));
            // glorot_uniform, built under <var>/Initializer/ as TF builds it.
            Assert.That(g.TryGetOperation("foo/bar/v/Initializer/random_uniform/RandomUniform"), Is.Not.Null);
            Assert.That(v.InitialValue.Op.Name, Is.EqualTo("foo/bar/v/Initializer/random_uniform"));
            Assert.That(g.GlobalVariables, Is.EqualTo(new[] { v }));
            Assert.That(g.TrainableVariables, Is.EqualTo(new[] { v }));
            Assert.That(g.GetVariableScope().Name, Is.EqualTo(""));
        });
    }

    [Test]
    public void VariableScopeOpensANameScopeAndReenteringMakesANewOne()
    {
        var g = new Graph();
        Variable w;
        Output c1, c2;
        VariableScope first, second;
        using (first = g.VariableScope("a"))
        {
            w = g.GetVariable("w", [2]);
            c1 = g.Constant(1f, name: "c");
        }
        using (second = g.VariableScope("a", reuse: true))
        {
            Assert.That(g.GetVariable("w", [2]), Is.SameAs(w));
            c2 = g.Constant(1f, name: "c");
        }
        Assert.Multiple(() =>
        {
            Assert.That(w.Name, Is.EqualTo("a/w"));
            Assert.That(c1.Op.Name, Is.EqualTo("a/c"));
            Assert.That(c2.Op.Name, Is.EqualTo("a_1/c"));
            Assert.That(first.Name, Is.EqualTo("a"));
            Assert.That(second.Name, Is.EqualTo("a"));
            Assert.That(first.OriginalNameScope, Is.EqualTo("a/"));
            Assert.That(second.OriginalNameScope, Is.EqualTo("a_1/"));
            Assert.That(g.CurrentNameScope, Is.EqualTo(""));
        });
    }

    [Test]
    public void VariablesIgnoreTheNameScope()
    {
        var g = new Graph();
        Variable v;
        Output op;
        using (g.NameScope("outer"))
        using (g.VariableScope("s"))
        {
            v = g.GetVariable("v", [1]);
            op = g.Constant(1f, name: "c");
        }
        Assert.That(v.Name, Is.EqualTo("s/v"));
        Assert.That(op.Op.Name, Is.EqualTo("outer/s/c"));
    }

    [Test]
    public void ReuseIsInheritedByChildScopes()
    {
        var g = new Graph();
        Variable v;
        using (g.VariableScope("a"))
        using (g.VariableScope("b"))
            v = g.GetVariable("v", [3]);
        using (var a = g.VariableScope("a", reuse: true))
        {
            Assert.That(a.Reuse, Is.EqualTo(Reuse.True));
            using var b = g.VariableScope("b");
            Assert.That(b.Reuse, Is.EqualTo(Reuse.True));
            // reuse: false cannot turn reuse off in a child (TF: "False = None here").
            using var b2 = g.VariableScope("c", reuse: false);
            Assert.That(b2.Reuse, Is.EqualTo(Reuse.True));
        }
        using (g.VariableScope("a", reuse: true))
        using (g.VariableScope("b"))
            Assert.That(g.GetVariable("v", [3]), Is.SameAs(v));
        Assert.That(g.GlobalVariables, Has.Count.EqualTo(1));
    }

    [Test]
    public void AutoReuseCreatesOnceThenReturnsTheSameVariable()
    {
        var g = new Graph();
        Variable Foo()
        {
            using (g.VariableScope("foo", reuse: Reuse.AutoReuse))
                return g.GetVariable("v", [1]);
        }
        var v1 = Foo();
        var v2 = Foo();
        Assert.That(v2, Is.SameAs(v1));
        Assert.That(v1.Name, Is.EqualTo("foo/v"));
        Assert.That(g.GlobalVariables, Has.Count.EqualTo(1));
        Assert.That(Reuse.AutoReuse.ToString(), Is.EqualTo("AUTO_REUSE"));
    }

    [Test]
    public void CreatingAnExistingVariableWithoutReuseFails()
    {
        var g = new Graph();
        using (g.VariableScope("a")) g.GetVariable("w", [2]);
        using var s = g.VariableScope("a");
        var e = Assert.Throws<InvalidArgumentException>(() => g.GetVariable("w", [2]))!;
        Assert.Multiple(() =>
        {
            Assert.That(e.Message, Does.StartWith("Variable a/w already exists, disallowed. Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope? Originally defined at:"));
            // The line that made it and the line that asked again are both named.
            Assert.That(e.Message, Does.Contain("VariableScopeTests.cs\", line "));
            Assert.That(e.Message, Does.Match(@"\[variable 'a/w', defined at VariableScopeTests\.cs:\d+\]$"));
            Assert.That(e.NodeName, Is.EqualTo("a/w"));
        });
    }

    [Test]
    public void ReusingAMissingVariableFails()
    {
        var g = new Graph();
        using var s = g.VariableScope("a", reuse: true);
        var e = Assert.Throws<InvalidArgumentException>(() => g.GetVariable("w", [2]))!;
        Assert.That(e.Message, Does.StartWith(
            "Variable a/w does not exist, or was not created with tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?"));
        Assert.That(e.Message, Does.Match(@"\[variable 'a/w', defined at VariableScopeTests\.cs:\d+\]$"));
    }

    [Test]
    public void AVariableMadeByVariableIsNotReusable()
    {
        var g = new Graph();
        g.Variable(1f, name: "a/w");
        using var s = g.VariableScope("a", reuse: true);
        Assert.That(() => g.GetVariable("w", []), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("was not created with tf.get_variable()"));
    }

    [Test]
    public void SharingWithAnotherShapeOrDtypeFails()
    {
        var g = new Graph();
        using (g.VariableScope("a")) g.GetVariable("w", [2]);
        using var s = g.VariableScope("a", reuse: true);
        Assert.Multiple(() =>
        {
            Assert.That(() => g.GetVariable("w", [3]), Throws.TypeOf<InvalidArgumentException>().With.Message.StartWith(
                "Trying to share variable a/w, but specified shape (3,) and found shape (2,)."));
            Assert.That(() => g.GetVariable("w", [2], DType.Float64), Throws.TypeOf<InvalidArgumentException>().With.Message.StartWith(
                "Trying to share variable a/w, but specified dtype float64 and found dtype float32_ref."));
            // A shape left out or partly known is compatible.
            Assert.That(g.GetVariable("w").Name, Is.EqualTo("a/w"));
            Assert.That(g.GetVariable("w", new Shape(-1)).Name, Is.EqualTo("a/w"));
        });
    }

    [Test]
    public void ANewVariableNeedsAFullyDefinedShape()
    {
        var g = new Graph();
        Assert.That(() => g.GetVariable("w"), Throws.TypeOf<InvalidArgumentException>().With.Message.StartWith("The initializer passed is not valid."));
        Assert.That(() => g.GetVariable("w", new Shape(-1, 2)), Throws.TypeOf<InvalidArgumentException>());
        Assert.That(g.GlobalVariables, Is.Empty);
    }

    [Test]
    public void ReenteringAScopeObjectKeepsItsNameAndNameScope()
    {
        var g = new Graph();
        VariableScope vs;
        using (vs = g.VariableScope("foo")) { }
        using (g.VariableScope("other"))
        using (var again = g.VariableScope(vs))
        {
            var v = g.GetVariable("v", [1]);
            var c = g.Constant(1f, name: "c");
            Assert.Multiple(() =>
            {
                Assert.That(v.Name, Is.EqualTo("foo/v"));
                Assert.That(again.Name, Is.EqualTo("foo"));
                Assert.That(again.OriginalNameScope, Is.EqualTo("foo/"));
                // TF opens the scope name's last part under the current name scope.
                Assert.That(c.Op.Name, Is.EqualTo("other/foo/c"));
            });
        }
        // TF's docstring example: auxiliary_name_scope=False and the original name scope.
        using (var vs1 = g.VariableScope(vs, auxiliaryNameScope: false))
        {
            using (g.NameScope(vs1.OriginalNameScope))
            {
                var c = g.Constant(new[] { 1 }, name: "c");
                Assert.That(c.Op.Name, Is.EqualTo("foo/c"));
            }
            Assert.That(g.CurrentNameScope, Is.EqualTo(""));
        }
    }

    [Test]
    public void ReenteringAScopeObjectWithReuse()
    {
        var g = new Graph();
        VariableScope vs;
        Variable w;
        using (vs = g.VariableScope("layer")) w = g.GetVariable("w", [2, 2]);
        using (g.VariableScope(vs, reuse: true)) Assert.That(g.GetVariable("w", [2, 2]), Is.SameAs(w));
        using (var s = g.VariableScope(vs))
        {
            s.ReuseVariables();
            Assert.That(g.GetVariable("w"), Is.SameAs(w));
        }
        // The scope object itself was not changed by the copy's ReuseVariables.
        Assert.That(vs.Reuse, Is.EqualTo(Reuse.False));
    }

    [Test]
    public void DefaultNamesAreMadeUniqueAmongSiblingScopes()
    {
        var g = new Graph();
        string[] names = new string[3];
        for (int i = 0; i < 3; i++)
            using (g.VariableScope(null, defaultName: "dense"))
                names[i] = g.GetVariable("kernel", [1]).Name;
        Assert.That(names, Is.EqualTo(new[] { "dense/kernel", "dense_1/kernel", "dense_2/kernel" }));
    }

    [Test]
    public void DefaultNameCountersRestartWhenAScopeIsReentered()
    {
        // TF's docstring example: foo/bar/a, foo/bar_1/b, then foo/bar/c after re-entering foo.
        var g = new Graph();
        VariableScope vs;
        string a, b, c;
        using (vs = g.VariableScope("foo"))
        {
            using (g.VariableScope(null, defaultName: "bar")) a = g.GetVariable("a", [1]).Name;
            using (g.VariableScope(null, defaultName: "bar")) b = g.GetVariable("b", [1]).Name;
        }
        using (g.VariableScope(vs))
        using (g.VariableScope(null, defaultName: "bar"))
            c = g.GetVariable("c", [1]).Name;
        Assert.That(new[] { a, b, c }, Is.EqualTo(new[] { "foo/bar/a", "foo/bar_1/b", "foo/bar/c" }));
    }

    [Test]
    public void DefaultNameWithReuseFails()
    {
        var g = new Graph();
        Assert.That(() => g.VariableScope(null, defaultName: "x", reuse: true),
            Throws.TypeOf<InvalidArgumentException>().With.Message.EqualTo("reuse=True cannot be used without a name_or_scope"));
        Assert.That(() => g.VariableScope((string?)null), Throws.ArgumentException);
        Assert.That(g.CurrentNameScope, Is.EqualTo(""));
        Assert.That(g.GetVariableScope().Name, Is.EqualTo(""));
    }

    [Test]
    public void ClosingOutOfOrderFails()
    {
        var g = new Graph();
        var a = g.VariableScope("a");
        var b = g.VariableScope("b");
        Assert.That(() => a.Dispose(), Throws.InvalidOperationException.With.Message.EqualTo("Improper nesting of variable_scope."));
        b.Dispose();
        a.Dispose();
        Assert.That(g.GetVariableScope().Name, Is.EqualTo(""));
    }

    [Test]
    public void ScopeInitializerDtypeAndRegularizerAreInherited()
    {
        var g = new Graph();
        using (g.VariableScope("a", initializer: new Constant(0.5), dtype: DType.Float64, regularizer: Regularizers.L2(0.1)))
        using (var b = g.VariableScope("b"))
        {
            Assert.That(b.DType, Is.EqualTo(DType.Float64));
            var v = g.GetVariable("v", [2]);
            var u = g.GetVariable("u", [2], initializer: new Ones(), regularizer: Regularizers.None);
            Assert.That(v.DType, Is.EqualTo(DType.Float64));
            Assert.That(v.InitialValue.Op.Name, Is.EqualTo("a/b/v/Initializer/Const"));
            using var s = new Session(g);
            s.Run(g.GlobalVariablesInitializer());
            Assert.That(s.Run(v.Value).ToArray<double>(), Is.EqualTo(new[] { 0.5, 0.5 }));
            Assert.That(s.Run(u.Value).ToArray<double>(), Is.EqualTo(new[] { 1.0, 1.0 }));
            Assert.That(g.GetRegularizationLosses(), Has.Count.EqualTo(1));
        }
    }

    [Test]
    public void DefaultInitializersFollowTheDtype()
    {
        var g = new Graph();
        var i = g.GetVariable("i", [3], DType.Int32);
        var b = g.GetVariable("b", [2], DType.Bool);
        var d = g.GetVariable("d", [4, 5], DType.Float64);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        Assert.Multiple(() =>
        {
            Assert.That(i.InitialValue.Op.Name, Is.EqualTo("i/Initializer/zeros"));
            Assert.That(s.Run(i.Value).ToArray<int>(), Is.EqualTo(new[] { 0, 0, 0 }));
            Assert.That(s.Run(b.Value).ToArray<bool>(), Is.EqualTo(new[] { false, false }));
            double limit = Math.Sqrt(6.0 / 9);
            Assert.That(s.Run(d.Value).ToArray<double>(), Has.All.InRange(-limit, limit));
        });
    }

    [Test]
    public void TensorInitialValueGivesTheShapeAndDtype()
    {
        var g = new Graph();
        var init = g.Constant(new[] { 1, 2, 3 });
        Variable v;
        using (g.VariableScope("s")) v = g.GetVariable("v", init);
        Assert.That(v.Shape, Is.EqualTo(new Shape(3)));
        Assert.That(v.DType, Is.EqualTo(DType.Int32));
        Assert.That(() => g.GetVariable("w", init, DType.Float32), Throws.TypeOf<InvalidArgumentException>().With.Message.StartWith(
            "Initializer type '<dtype: 'int32'>' and explicit dtype '<dtype: 'float32'>' don't match."));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        Assert.That(s.Run(v.Value).ToArray<int>(), Is.EqualTo(new[] { 1, 2, 3 }));
    }

    [Test]
    public void TrainableAndCollections()
    {
        var g = new Graph();
        var frozen = g.GetVariable("frozen", [1], trainable: false);
        var local = g.GetVariable("local", [1], collections: [GraphKeys.LocalVariables]);
        var both = g.GetVariable("both", [1], collections: [GraphKeys.GlobalVariables, "mine"]);
        Assert.Multiple(() =>
        {
            Assert.That(g.GlobalVariables, Is.EqualTo(new[] { frozen, both }));
            Assert.That(g.TrainableVariables, Is.EqualTo(new[] { local, both }));
            Assert.That(g.LocalVariables, Is.EqualTo(new[] { local }));
            Assert.That(g.GetCollection<Variable>("mine"), Is.EqualTo(new[] { both }));
        });
    }

    [Test]
    public void ScopeCollectionsAndTrainableVariablesByScope()
    {
        var g = new Graph();
        VariableScope gen;
        using (gen = g.VariableScope("gen"))
        {
            g.GetVariable("w", [1]);
            g.GetVariable("step", [], DType.Int64, trainable: false);
        }
        using (g.VariableScope("disc")) g.GetVariable("w", [1]);
        using (g.VariableScope("generator")) g.GetVariable("w", [1]);
        Assert.Multiple(() =>
        {
            Assert.That(gen.TrainableVariables().Select(v => v.Name), Is.EqualTo(new[] { "gen/w" }));
            Assert.That(gen.GlobalVariables().Select(v => v.Name), Is.EqualTo(new[] { "gen/w", "gen/step" }));
            Assert.That(g.GetTrainableVariables("disc").Select(v => v.Name), Is.EqualTo(new[] { "disc/w" }));
            // A scope is a regular expression matched at the start of the name, as in TF.
            Assert.That(g.GetTrainableVariables("gen").Select(v => v.Name), Is.EqualTo(new[] { "gen/w", "generator/w" }));
            Assert.That(g.GetGlobalVariables().Count, Is.EqualTo(4));
        });
    }

    [Test]
    public void VariablesAreCreatedOutsideControlDependencies()
    {
        var g = new Graph();
        var x = g.Constant(1f);
        using (g.ControlDependencies(x.Op))
        {
            var v = g.GetVariable("v", [2], regularizer: Regularizers.L2(1.0));
            Assert.That(v.Op.ControlInputs, Is.Empty);
            Assert.That(v.InitialValue.Op.ControlInputs, Is.Empty);
            Assert.That(g.GetRegularizationLosses()[0].Op.ControlInputs, Is.Empty);
        }
    }

    [Test]
    public void RegularizationLossesAreNamedUnderTheVariable()
    {
        var g = new Graph();
        Variable w, b;
        using (g.VariableScope("layer", regularizer: Regularizers.L2(0.5)))
        {
            w = g.GetVariable("w", g.Constant(new[] { 1f, -2f, 3f }));
            b = g.GetVariable("b", g.Constant(new[] { 4f }), regularizer: Regularizers.L1(0.25));
        }
        var losses = g.GetRegularizationLosses();
        Assert.Multiple(() =>
        {
            Assert.That(losses.Select(l => l.Op.Name), Is.EqualTo(new[] { "layer/w/Regularizer/l2_regularizer", "layer/b/Regularizer/l1_regularizer" }));
            Assert.That(g.TryGetOperation("layer/w/Regularizer/l2_regularizer/scale"), Is.Not.Null);
            Assert.That(g.TryGetOperation("layer/w/Regularizer/l2_regularizer/L2Loss"), Is.Not.Null);
            Assert.That(g.GetRegularizationLosses("layer/b").Select(l => l.Op.Name), Is.EqualTo(new[] { "layer/b/Regularizer/l1_regularizer" }));
        });
        var total = g.GetRegularizationLoss();
        Assert.That(total.Op.Name, Is.EqualTo("total_regularization_loss"));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        // 0.5 · (1 + 4 + 9) / 2 = 3.5 and 0.25 · |4| = 1.
        Assert.That(s.Run(losses[0]).Scalar<float>(), Is.EqualTo(3.5f).Within(1e-6));
        Assert.That(s.Run(losses[1]).Scalar<float>(), Is.EqualTo(1f).Within(1e-6));
        Assert.That(s.Run(total).Scalar<float>(), Is.EqualTo(4.5f).Within(1e-6));
    }

    [Test]
    public void L1L2AndDisabledRegularizers()
    {
        var g = new Graph();
        g.GetVariable("a", g.Constant(new[] { 1.0, -3.0 }), regularizer: Regularizers.L1L2(0.5, 2.0));
        g.GetVariable("z", g.Constant(new[] { 1.0 }), regularizer: Regularizers.L2(0));
        var losses = g.GetRegularizationLosses();
        Assert.That(losses.Select(l => l.Op.Name), Is.EqualTo(new[] { "a/Regularizer/l1_l2_regularizer" }));
        Assert.That(() => Regularizers.L2(-1), Throws.TypeOf<InvalidArgumentException>().With.Message.EqualTo("Setting a scale less than 0 on a regularizer: -1."));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        // 0.5 · 4 + 2 · 10 / 2 = 12.
        Assert.That(s.Run(losses[0]).Scalar<double>(), Is.EqualTo(12.0).Within(1e-12));
        var g2 = new Graph();
        var zero = g2.GetRegularizationLoss();
        using var s2 = new Session(g2);
        Assert.That(s2.Run(zero).Scalar<float>(), Is.EqualTo(0f));
    }

    [Test]
    public void GetVariableVariablesSaveRestoreAndExport()
    {
        using var dir = CheckpointFixtures.Temp();
        var prefix = dir["model"];
        float[] saved;
        {
            var g = new Graph { Seed = 3 };
            Variable w;
            using (g.VariableScope("net"))
            using (g.VariableScope("dense"))
                w = g.GetVariable("kernel", [3, 4], initializer: new GlorotNormal());
            using var s = new Session(g);
            s.Run(g.GlobalVariablesInitializer());
            saved = s.Run(w.Value).ToArray<float>();
            new Saver(g).Save(s, prefix, writeState: false);
            var meta = new Saver(g).ExportMetaGraph(dir["model.meta"]);
            Assert.That(meta.CollectionDef["variables"].BytesList.Value, Has.Count.EqualTo(1));
        }
        using (var r = new CheckpointReader(prefix))
            Assert.That(r.GetTensor("net/dense/kernel").ToArray<float>(), Is.EqualTo(saved));
        {
            var g = new Graph();
            Variable w;
            using (g.VariableScope("net"))
            using (g.VariableScope("dense"))
                w = g.GetVariable("kernel", [3, 4], initializer: new Zeros());
            using var s = new Session(g);
            new Saver(g).Restore(s, prefix);
            Assert.That(s.Run(w.Value).ToArray<float>(), Is.EqualTo(saved));
        }
        {
            var g = new Graph();
            var saver = Saver.ImportMetaGraph(g, dir["model.meta"])!;
            using var s = new Session(g);
            saver.Restore(s, prefix);
            Assert.That(g.GlobalVariables.Select(v => v.Name), Is.EqualTo(new[] { "net/dense/kernel" }));
            Assert.That(s.Run(g["net/dense/kernel/read:0"]).ToArray<float>(), Is.EqualTo(saved));
        }
    }

    [Test]
    public void GetVariableInsideAWhileLoopIsCreatedOutsideIt()
    {
        var g = new Graph();
        Variable? made = null;
        var r = g.WhileLoop(v => g.Less(v[0], g.Constant(3f)), v =>
        {
            using (g.VariableScope("body", reuse: Reuse.AutoReuse))
                made = g.GetVariable("inc", [], initializer: new Ones());
            return [g.AddV2(v[0], made.Value)];
        }, [g.Constant(0f)]);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        Assert.That(s.Run(r[0]).Scalar<float>(), Is.EqualTo(3f));
        Assert.That(made!.Name, Is.EqualTo("body/inc"));
    }
    [Test]
    public void ARefusedVariableLeavesItsNameFree()
    {
        var g = new Graph();
        Assert.That(() => g.GetVariable("w"), Throws.TypeOf<InvalidArgumentException>());
        Assert.That(() => g.GetVariable("w", [2], DType.Resource), Throws.TypeOf<InvalidArgumentException>().With.Message.StartWith(
            "An initializer for variable w of <dtype: 'resource'> is required"));
        var w = g.GetVariable("w", [2]);
        Assert.That(w.Name, Is.EqualTo("w"));
        Assert.That(w.InitialValue.Op.Name, Is.EqualTo("w/Initializer/random_uniform"));
    }

    [Test]
    public void LocalVariablesAreNotTrainableNorGlobal()
    {
        var g = new Graph();
        Variable count;
        using (g.VariableScope("metrics")) count = g.GetLocalVariable("count", [], DType.Int64);
        Assert.Multiple(() =>
        {
            Assert.That(count.Name, Is.EqualTo("metrics/count"));
            Assert.That(g.LocalVariables, Is.EqualTo(new[] { count }));
            Assert.That(g.GlobalVariables, Is.Empty);
            Assert.That(g.TrainableVariables, Is.Empty);
        });
        using var s = new Session(g);
        s.Run(g.LocalVariablesInitializer());
        Assert.That(s.Run(count.Value).Scalar<long>(), Is.EqualTo(0L));
    }

    [Test]
    public void ARegularizerRunsOnlyWhenTheVariableIsCreated()
    {
        var g = new Graph();
        for (int i = 0; i < 3; i++)
            using (g.VariableScope("s", reuse: Reuse.AutoReuse, regularizer: Regularizers.L2(0.1)))
                g.GetVariable("w", [2]);
        Assert.That(g.GetRegularizationLosses(), Has.Count.EqualTo(1));
    }

    [Test]
    public void OriginalNameScopes()
    {
        var g = new Graph();
        using (g.VariableScope("a"))
        {
            using (var b = g.VariableScope("b")) Assert.That(b.OriginalNameScope, Is.EqualTo("a/b/"));
            using (var d = g.VariableScope(null, defaultName: "d")) Assert.That((d.Name, d.OriginalNameScope), Is.EqualTo(("a/d", "a/d/")));
            using (var d = g.VariableScope(null, defaultName: "d")) Assert.That((d.Name, d.OriginalNameScope), Is.EqualTo(("a/d_1", "a/d_1/")));
            // No auxiliary name scope: ops stay in the current one, which becomes the original name scope.
            using (var x = g.VariableScope("x", auxiliaryNameScope: false))
            {
                Assert.That(x.OriginalNameScope, Is.EqualTo("a/"));
                Assert.That(g.Constant(1f, name: "c").Op.Name, Is.EqualTo("a/c"));
                Assert.That(g.GetVariable("v", [1]).Name, Is.EqualTo("a/x/v"));
                Assert.That(x.ToString(), Is.EqualTo("<VariableScope 'a/x' reuse=False>"));
            }
        }
    }

    [Test]
    public void GetVariableScopeReportsTheCurrentScope()
    {
        var g = new Graph();
        var root = g.GetVariableScope();
        Assert.That((root.Name, root.Reuse, root.DType, root.OriginalNameScope), Is.EqualTo(("", Reuse.False, DType.Float32, "")));
        using (var a = g.VariableScope("a", reuse: Reuse.AutoReuse))
        {
            Assert.That(g.GetVariableScope(), Is.SameAs(a));
            Assert.That(a.Reuse.IsAuto && a.Reuse.IsSet, Is.True);
            // A child scope opened with reuse: true keeps reuse true.
            using var b = g.VariableScope("b", reuse: true);
            Assert.That(g.GetVariableScope().Reuse, Is.EqualTo(Reuse.True));
        }
        Assert.That(g.GetVariableScope(), Is.SameAs(root));
        // Disposing a scope that no block opened does nothing.
        root.Dispose();
        Assert.That(g.GetVariableScope(), Is.SameAs(root));
    }

    [Test]
    public void SetInitializerAndReuseVariablesOnTheCurrentScope()
    {
        var g = new Graph();
        using (var s = g.VariableScope("a"))
        {
            s.SetInitializer(new Constant(7));
            s.SetDType(DType.Float64);
            var v = g.GetVariable("v", [1]);
            s.ReuseVariables();
            Assert.That(g.GetVariable("v", [1]), Is.SameAs(v));
            Assert.That(v.DType, Is.EqualTo(DType.Float64));
            using var sess = new Session(g);
            sess.Run(g.GlobalVariablesInitializer());
            Assert.That(sess.Run(v.Value).ToArray<double>(), Is.EqualTo(new[] { 7.0 }));
        }
    }
    [Test]
    public void TheNodesOfAGetVariableAreTensorFlowsInItsOrder()
    {
        // tf.get_variable("w", [2, 3]) in TF 1.15 builds these nodes, in this order.
        var g = new Graph();
        g.GetVariable("w", [2, 3]);
        Assert.That(g.Operations.Select(o => o.Name), Is.EqualTo(new[]
        {
            "w/Initializer/random_uniform/shape", "w/Initializer/random_uniform/min", "w/Initializer/random_uniform/max",
            "w/Initializer/random_uniform/RandomUniform", "w/Initializer/random_uniform/sub", "w/Initializer/random_uniform/mul",
            "w/Initializer/random_uniform", "w", "w/Assign", "w/read",
        }));
        // The initializer's ops are colocated with the variable, as TF's attr scope makes them.
        foreach (var op in g.Operations.Where(o => o.Name.StartsWith("w/Initializer/", StringComparison.Ordinal)))
            Assert.That(op.GetAttr("_class").List.S.Select(b => b.ToStringUtf8()), Is.EqualTo(new[] { "loc:@w" }), op.Name);
        Assert.That(g.GetOperation("w").Attrs.ContainsKey("_class"), Is.False);
        double limit = Math.Sqrt(6.0 / 5);
        Assert.That(g.GetOperation("w/Initializer/random_uniform/max").GetAttrTensor("value").Scalar<float>(), Is.EqualTo((float)limit));
    }
}
