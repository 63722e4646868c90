using TensorGraph.Proto;
using TensorGraph.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Tests.Serialization;

/// <summary>
/// SavedModelBuilder / SimpleSave: the written directory has TF's layout and saver ops, and a
/// fresh graph loads it back (restoring the variables with the saved restore op) and predicts
/// what the exporting session predicted.
/// </summary>
public class SavedModelBuilderTests
{
    /// <summary>y = x·W + b trained a few steps toward y = 2x₀ − x₁ + 0.5.</summary>
    private static (Graph G, Session S, Output X, Output Y) Trained()
    {
        var g = new Graph { Seed = 3 };
        var x = g.Placeholder(DType.Float32, [-1, 2], name: "x");
        var w = g.Variable(g.Constant(new float[,] { { 0.1f }, { 0.2f } }), name: "w");
        var b = g.Variable(g.Constant(new float[] { 0 }), name: "b");
        var y = g.Identity(g.MatMul(x, w.Value) + b.Value, name: "y");
        var target = g.Placeholder(DType.Float32, [-1, 1], name: "target");
        var train = new GradientDescentOptimizer(0.1).Minimize(g.ReduceMean(g.Square(y - target)));
        var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var xs = new float[,] { { 1, 0 }, { 0, 1 }, { 1, 1 }, { 2, -1 } };
        var ts = new float[,] { { 2.5f }, { -0.5f }, { 1.5f }, { 5.5f } };
        for (int i = 0; i < 20; i++) s.Run([], new FeedDict { [x] = xs, [target] = ts }, train);
        return (g, s, x, y);
    }

    [Test]
    public void SimpleSave_WritesTfsLayout_AndLoadsBackWithTheTrainedValues()
    {
        using var tmp = CheckpointFixtures.Temp();
        var export = tmp["model/1"];
        var (g, s, x, y) = Trained();
        using var _ = s;
        var probe = new float[,] { { 3, 1 }, { -1, 2 } };
        var expected = s.Run(y, new FeedDict { [x] = probe }).ToArray<float>();

        var pb = SavedModelBuilder.SimpleSave(s, export, new Dictionary<string, Output> { ["x"] = x }, new Dictionary<string, Output> { ["y"] = y });
        Assert.That(pb, Is.EqualTo(Path.Combine(export, "saved_model.pb")));
        Assert.That(File.Exists(Path.Combine(export, "variables", "variables.index")), Is.True);
        Assert.That(File.Exists(Path.Combine(export, "variables", "variables.data-00000-of-00001")), Is.True);

        // The proto: schema 1, one meta graph tagged serve, TF's saver def and ops, the signature.
        var proto = SavedModelBundle.ReadProto(export);
        Assert.That(proto.SavedModelSchemaVersion, Is.EqualTo(1));
        var meta = proto.MetaGraphs.Single();
        Assert.That(meta.MetaInfoDef.Tags, Is.EqualTo(new[] { "serve" }));
        Assert.That(meta.SaverDef.FilenameTensorName, Is.EqualTo("save/Const:0"));
        Assert.That(meta.SaverDef.RestoreOpName, Is.EqualTo("save/restore_all"));
        Assert.That(meta.SaverDef.SaveTensorName, Is.EqualTo("save/control_dependency:0"));
        Assert.That(meta.SaverDef.Version, Is.EqualTo(SaverDef.Types.CheckpointFormatVersion.V2));
        var nodes = meta.GraphDef.Node.ToDictionary(n => n.Name, n => n.Op);
        Assert.That(nodes["save/SaveV2"], Is.EqualTo("SaveV2"));
        Assert.That(nodes["save/RestoreV2"], Is.EqualTo("RestoreV2"));
        Assert.That(nodes["save/Assign"], Is.EqualTo("Assign"));
        Assert.That(nodes["save/Assign_1"], Is.EqualTo("Assign"));
        var sig = meta.SignatureDef["serving_default"];
        Assert.That(sig.MethodName, Is.EqualTo("tensorflow/serving/predict"));
        Assert.That(sig.Inputs["x"].Name, Is.EqualTo("x:0"));
        Assert.That(sig.Inputs["x"].Dtype, Is.EqualTo(DataType.DtFloat));
        Assert.That(sig.Inputs["x"].TensorShape.Dim.Select(d => d.Size), Is.EqualTo(new long[] { -1, 2 }));
        Assert.That(sig.Outputs["y"].Name, Is.EqualTo("y:0"));
        Assert.That(meta.CollectionDef.ContainsKey("variables"), Is.True);

        // The checkpoint holds the trained values under the variables' names.
        using (var r = new CheckpointReader(Path.Combine(export, "variables", "variables")))
            Assert.That(r.GetTensor("w").ToArray<float>(), Is.EqualTo(s.Run(g.GetTensor("w:0")).ToArray<float>()));

        // A fresh load restores through save/restore_all and predicts the same.
        using var m = SavedModelBundle.Load(export);
        Assert.That(m.Run("serving_default", new Dictionary<string, Tensor> { ["x"] = probe })["y"].ToArray<float>(), Is.EqualTo(expected));
        Assert.That(expected, Is.Not.EqualTo(new float[] { 0.5f, 0.3f }), "the model was trained away from its initial values");
    }

    [Test]
    public void Builder_SeveralMetaGraphs_MainOp_AndTextFormat()
    {
        using var tmp = CheckpointFixtures.Temp();
        var export = tmp["m"];
        var (g, s, x, y) = Trained();
        using var _ = s;
        var counter = g.Variable(g.Constant(0f), name: "loaded_marker", trainable: false);
        var mainOp = g.Assign(counter, g.Constant(42f), name: "main_op").Op;
        s.Run(counter.Initializer);
        var sigs = new Dictionary<string, SignatureDef> { ["predict"] = SignatureDefs.Predict(new Dictionary<string, Output> { ["in"] = x }, new Dictionary<string, Output> { ["out"] = y }) };
        var path = new SavedModelBuilder(export)
            .AddMetaGraphAndVariables(s, ["serve"], sigs, mainOp)
            .AddMetaGraph(["train", "gpu"], sigs)
            .Save(asText: true);
        Assert.That(Path.GetFileName(path), Is.EqualTo("saved_model.pbtxt"));
        using var m = SavedModelBundle.Load(export, "train", "gpu");
        Assert.That(m.Tags, Is.EquivalentTo(new[] { "train", "gpu" }));
        using var served = SavedModelBundle.Load(export, "serve");
        Assert.That(served.Session.Run(served.Graph.GetTensor("loaded_marker:0")).Scalar<float>(), Is.EqualTo(42f), "the main op ran after the restore");
        Assert.That(served.Run("predict", new Dictionary<string, Tensor> { ["in"] = new float[,] { { 1, 1 } } })["out"].ToArray<float>(),
            Is.EqualTo(s.Run(y, new FeedDict { [x] = new float[,] { { 1, 1 } } }).ToArray<float>()));
    }

    [Test]
    public void Builder_RefusesANonEmptyDirectory_DuplicateTags_AndUnknownSignatureTensors()
    {
        using var tmp = CheckpointFixtures.Temp();
        File.WriteAllText(tmp["keep.txt"], "x");
        Assert.Throws<AlreadyExistsException>(() => new SavedModelBuilder(tmp.Path).Save());
        var (g, s, x, y) = Trained();
        using var _ = s;
        var b = new SavedModelBuilder(tmp["fresh"]).AddMetaGraphAndVariables(s, ["serve"]);
        Assert.Throws<AlreadyExistsException>(() => b.AddMetaGraph(["serve"]));
        var bad = new SignatureDef { MethodName = SignatureDefs.PredictMethod };
        bad.Inputs["x"] = new TensorInfo { Name = "nope:0", Dtype = DataType.DtFloat };
        var e = Assert.Throws<InvalidArgumentException>(() => b.AddMetaGraph(["other"], new Dictionary<string, SignatureDef> { ["bad"] = bad }))!;
        Assert.That(e.Message, Does.Contain("nope:0"));
        Assert.Throws<FailedPreconditionException>(() => b.AddMetaGraphAndVariables(s, ["x"]));
        Assert.Throws<InvalidArgumentException>(() => SignatureDefs.Predict(new Dictionary<string, Output>(), new Dictionary<string, Output> { ["y"] = y }));
    }
}
