using TensorGraph.Proto;
using TensorGraph.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Tests.Serialization;

public class SavedModelTests
{
    private const string Serving = "serving/servables/tensorflow/testdata/";

    private static string Dir(string relative)
    {
        var p = Path.Combine(Fixtures.Root, relative);
        if (!Directory.Exists(p)) Assert.Fail($"Fixture directory missing: '{p}'");
        return p;
    }

    private static float[] Y(SavedModelBundle m, string signature, string input, Tensor x, string output = "y") =>
        m.Run(signature, new Dictionary<string, Tensor> { [input] = x })[output].ToArray<float>();

    [Test]
    public void HalfPlusTwoServingDefault()
    {
        using var m = SavedModelBundle.Load(Dir(Serving + "saved_model_half_plus_two_cpu/00000123"), "serve");
        Assert.That(Y(m, "serving_default", "x", new float[,] { { 1 }, { 2 }, { 5 } }), Is.EqualTo(new[] { 2.5f, 3.0f, 4.5f }));
        Assert.That(Y(m, "serving_default", "x", new float[,] { { 2 } }), Is.EqualTo(new[] { 3f }));
        Assert.That(m.Tags, Is.EqualTo(new[] { "serve" }));
        Assert.That(m.SignatureDefs["serving_default"].Inputs["x"].Name, Is.EqualTo("x:0"));
    }

    [Test]
    public void LoadForServingTakesFeedsOfAnyShapeLikeTfsCppSession()
    {
        var dir = Dir(Serving + "saved_model_half_plus_two_cpu/00000123");
        // x is declared (?, 1): the Python-style check of a normal load refuses a [3] value ...
        using (var strict = SavedModelBundle.Load(dir))
            Assert.Throws<InvalidArgumentException>(() => strict.Run("serving_default", new Dictionary<string, Tensor> { ["x"] = new[] { 1f, 2f, 5f } }));
        // ... TF's C++ session (TF Serving) runs it, and so does a bundle loaded for serving.
        using var m = SavedModelBundle.LoadForServing(dir);
        var y = m.Run("serving_default", new Dictionary<string, Tensor> { ["x"] = new[] { 1f, 2f, 5f } })["y"];
        Assert.That(y.Dims.ToArray(), Is.EqualTo(new[] { 3 }));
        Assert.That(y.ToArray<float>(), Is.EqualTo(new[] { 2.5f, 3.0f, 4.5f }));
        Assert.That(Y(m, "serving_default", "x", new float[,] { { 1, 2 }, { 3, 4 } }), Is.EqualTo(new[] { 2.5f, 3f, 3.5f, 4f }));
        // x (an Identity of the parsed examples) still computes from tf.Example when not fed.
        var example = new Example { Features = new Features() };
        var f = new Feature { FloatList = new FloatList() };
        f.FloatList.Value.Add(6f);
        example.Features.Feature.Add("x", f);
        var batch = Tensor.Create(new[] { Google.Protobuf.MessageExtensions.ToByteArray(example) }, 1);
        Assert.That(m.Run("regress_x_to_y", new Dictionary<string, Tensor> { ["inputs"] = batch })["outputs"].ToArray<float>(), Is.EqualTo(new[] { 5f }));
        // The meta graph keeps the declared signatures.
        Assert.That(m.MetaGraph.SignatureDef["serving_default"].Inputs["x"].TensorShape.Dim.Select(d => d.Size), Is.EqualTo(new long[] { -1, 1 }));
    }

    [Test]
    public void HalfPlusTwoRegressAndClassifySignaturesParseExamples()
    {
        using var m = SavedModelBundle.Load(Dir(Serving + "saved_model_half_plus_two_cpu/00000123"));
        Assert.That(Y(m, "regress_x2_to_y3", "inputs", new float[,] { { 2 } }, "outputs"), Is.EqualTo(new[] { 4f }));
        var y3 = m.Session.Run(m.Graph["y3:0"], new FeedDict { ["x2:0"] = new float[,] { { 2 } } });
        Assert.That(y3.ToArray<float>(), Is.EqualTo(new[] { 4f }));
        // The regress/classify signatures take serialized tf.Example protos (ParseExample).
        static byte[] Example(float x)
        {
            var e = new Example { Features = new Features() };
            var f = new Feature { FloatList = new FloatList() };
            f.FloatList.Value.Add(x);
            e.Features.Feature.Add("x", f);
            return Google.Protobuf.MessageExtensions.ToByteArray(e);
        }
        var batch = Tensor.Create(new[] { Example(1), Example(2), Example(5) }, 3);
        Assert.That(m.Run("regress_x_to_y", new Dictionary<string, Tensor> { ["inputs"] = batch })["outputs"].ToArray<float>(),
            Is.EqualTo(new[] { 2.5f, 3.0f, 4.5f }));
        Assert.That(m.Run("regress_x_to_y2", new Dictionary<string, Tensor> { ["inputs"] = batch })["outputs"].ToArray<float>(),
            Is.EqualTo(new[] { 3.5f, 4.0f, 5.5f }));
        Assert.That(m.UnavailableSignatures, Is.Empty);
        // A missing required feature is a clear error naming the feature and the node.
        var empty = Tensor.Create(new[] { Google.Protobuf.MessageExtensions.ToByteArray(new Example()) }, 1);
        var e = Assert.Throws<InvalidArgumentException>(() => m.Run("regress_x_to_y", new Dictionary<string, Tensor> { ["inputs"] = empty }))!;
        Assert.That(e.Message, Does.Contain("Feature: x").And.Contain("ParseExample"));
    }

    /// <summary>Models written by TF 2.x's compat.v1 export: tf.Example parsing is ParseExampleV2, the saver uses StaticRegexFullMatch.</summary>
    [TestCase("saved_model_half_plus_two_cpu_with_saved_model_config/00000123")]
    [TestCase("saved_model_half_plus_two_cpu_with_empty_saved_model_config/00000123")]
    [TestCase("saved_model_half_plus_two_mlmd/00000123")]
    [TestCase("saved_model_half_plus_two_gpu_trt/00000123")]
    public void HalfPlusTwoParseExampleV2Models(string dir)
    {
        using var m = SavedModelBundle.Load(Dir(Serving + dir), "serve");
        Assert.That(m.UnavailableSignatures, Is.Empty);
        Assert.That(m.Graph.Operations.Select(o => o.Type), Does.Contain("ParseExampleV2").And.Contain("StaticRegexFullMatch"));
        // TF 2.3+'s VarHandleOp attr allowed_devices is kept when a graph has it and never added otherwise.
        var handle = m.Graph.Operations.FirstOrDefault(o => o.Type == "VarHandleOp");
        if (handle is not null) Assert.That(handle.HasAttr("allowed_devices"), Is.True);
        Assert.That(new Graph().VarHandleOp(DType.Float32, [1]).Op.HasAttr("allowed_devices"), Is.False);
        Assert.That(Y(m, "serving_default", "x", new float[,] { { 1 }, { 2 }, { 5 } }), Is.EqualTo(new[] { 2.5f, 3.0f, 4.5f }));
        var example = new Example { Features = new Features() };
        var f = new Feature { FloatList = new FloatList() };
        f.FloatList.Value.Add(2f);
        example.Features.Feature.Add("x", f);
        var batch = Tensor.Create(new[] { Google.Protobuf.MessageExtensions.ToByteArray(example) }, 1);
        Assert.That(m.Run("regress_x_to_y", new Dictionary<string, Tensor> { ["inputs"] = batch })["outputs"].ToArray<float>(), Is.EqualTo(new[] { 3f }));
        // x2 is optional (default 0): y3 = 0.5 * 0 + 3.
        var y3 = m.Session.Run(m.Graph["y3:0"], new FeedDict { ["tf_example:0"] = batch });
        Assert.That(y3.ToArray<float>(), Is.EqualTo(new[] { 3f }));
        var empty = Tensor.Create(new[] { Google.Protobuf.MessageExtensions.ToByteArray(new Example()) }, 1);
        var e = Assert.Throws<InvalidArgumentException>(() => m.Run("regress_x_to_y", new Dictionary<string, Tensor> { ["inputs"] = empty }))!;
        Assert.That(e.Message, Does.Contain("Feature: x").And.Contain("ParseExampleV2"));
    }

    [TestCase("saved_model_half_plus_two_2_versions/00000123", 2f)]
    [TestCase("saved_model_half_plus_two_2_versions/00000124", 2f)]
    [TestCase("saved_model_half_plus_two_gpu/00000123", 2f)]
    [TestCase("saved_model_half_plus_three/00000123", 3f)]
    [TestCase("saved_model_half_plus_two_mkl/00000123", 2f)]
    public void HalfPlusFamily(string dir, float b)
    {
        using var m = SavedModelBundle.Load(Dir(Serving + dir), "serve");
        Assert.That(Y(m, "serving_default", "x", new float[,] { { 1 }, { 2 }, { 5 } }), Is.EqualTo(new[] { 0.5f + b, 1f + b, 2.5f + b }));
    }

    [Test]
    public void Counter()
    {
        using var m = SavedModelBundle.Load(Dir(Serving + "saved_model_counter/00000123"), "serve");
        float Call(string sig, float? delta = null) => m.Run(sig, delta is { } d ? new Dictionary<string, Tensor> { ["delta"] = d } : null)["output"].ToArray<float>()[0];
        Assert.That(Call("get_counter"), Is.EqualTo(0f));
        Assert.That(Call("incr_counter"), Is.EqualTo(1f));
        Assert.That(Call("reset_counter"), Is.EqualTo(0f));
        Assert.That(Call("incr_counter"), Is.EqualTo(1f));
        Assert.That(Call("incr_counter_by", 3f), Is.EqualTo(4f));
    }

    [Test]
    public void MatrixHalfPlusTwo()
    {
        using var m = SavedModelBundle.Load(Dir("serving/batching/testdata/matrix_half_plus_two/1"), "serve");
        var x = Tensor.Create(Enumerable.Range(1, 9).Select(i => (float)i).ToArray(), 1, 3, 3);
        var y = m.Session.Run(m.Graph["y:0"], new FeedDict { [m.Graph["x:0"]] = x });
        Assert.That(y.ToArray<float>(), Is.EqualTo(new[] { 2.5f, 3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f }));
    }

    [Test]
    public void TfRustRegressionModel()
    {
        using var m = SavedModelBundle.Load(Dir("tfrust/test_resources/regression-model"), "train", "serve");
        var w = m.Session.Run(m.Graph["w:0"]).ToArray<float>();
        var b = m.Session.Run(m.Graph["b:0"]).ToArray<float>();
        Assert.That(w[0], Is.EqualTo(-0.8578622f).Within(1e-6f));
        Assert.That(b[0], Is.EqualTo(0f));
        var yHat = m.Session.Run(m.Graph["y_hat:0"], new FeedDict { ["x:0"] = new[] { 2f }, ["y:0"] = new[] { 4f } });
        Assert.That(yHat.ToArray<float>()[0], Is.EqualTo(-0.8578622f * 2).Within(1e-5f));
    }

    [Test]
    public void LoadsIntoGivenGraphAndSession()
    {
        var g = new Graph();
        using (var m = SavedModelBundle.Load(g, Dir(Serving + "saved_model_half_plus_three/00000123")))
        {
            Assert.That(m.Graph, Is.SameAs(g));
            Assert.That(Y(m, "serving_default", "x", new float[,] { { 1 } }), Is.EqualTo(new[] { 3.5f }));
        }
        var g2 = new Graph();
        using var s = new Session(g2);
        using (var m = SavedModelBundle.Load(s, Dir(Serving + "saved_model_half_plus_three/00000123"), "serve"))
        {
            Assert.That(m.Session, Is.SameAs(s));
        }
        Assert.That(s.Run(g2["y:0"], new FeedDict { ["x:0"] = new float[,] { { 2 } } }).ToArray<float>(), Is.EqualTo(new[] { 4f }));
    }

    [Test]
    public void MnistLrModelGivesPointOnePerClass()
    {
        using var m = SavedModelBundle.Load(Dir("mltestdata/Microsoft.ML.TensorFlow.TestModels/mnist_lr_model"), "serve");
        var x = Tensor.Create(Enumerable.Range(0, 2 * 784).Select(i => (i % 7) / 7f).ToArray(), 2, 784);
        var p = m.Run("serving_default", new Dictionary<string, Tensor> { ["Features"] = x })["Prediction"];
        Assert.That(p.Dims.ToArray(), Is.EqualTo(new[] { 2, 10 }));
        Assert.That(p.ToArray<float>(), Is.All.EqualTo(0.1f).Within(1e-6f));
    }

    [Test]
    public void SignaturesNeedingMissingOpsReportThem()
    {
        using var m = SavedModelBundle.Load(Dir("mltestdata/Microsoft.ML.TensorFlow.TestModels/model_string_test"), "serve");
        var e = Assert.Throws<UnimplementedException>(() => m.GetSignature("serving_default"));
        Assert.That(e!.Message, Does.Contain("StringSplit"));
        var nf = Assert.Throws<NotFoundException>(() => m.GetSignature("nope"));
        Assert.That(nf!.Message, Does.Contain("unavailable: serving_default"));
    }

    [Test]
    public void TagMismatchListsAvailableTagSets()
    {
        var e = Assert.Throws<NotFoundException>(() => SavedModelBundle.Load(Dir("tfrust/test_resources/regression-model"), "serve"));
        Assert.That(e!.Message, Does.Contain("train").And.Contain("serve").And.Contain("Available tag sets"));
    }

    [Test]
    public void RegressionCheckpointSavesAndRestoresWithItsOwnSaveSubgraph()
    {
        var g = Graph.Load(Fixtures.File_("tfrust/examples/regression_checkpoint/model.pb"));
        var rng = new Random(7);
        var xs = Enumerable.Range(0, 100).Select(_ => (float)rng.NextDouble()).ToArray();
        var ys = xs.Select(x => 0.1f * x + 0.3f).ToArray();
        var dir = Directory.CreateTempSubdirectory("tg-regckpt").FullName;
        try
        {
            var prefix = Path.Combine(dir, "model");
            using (var s = new Session(g))
            {
                s.Run(g.GetOperation("init"));
                var feeds = new FeedDict { ["x"] = xs, ["y"] = ys };
                for (int i = 0; i < 201; i++) s.Run(g.GetOperation("train"), feeds);
                s.Run(g["save/control_dependency:0"], new FeedDict { ["save/Const:0"] = Tensor.Scalar(prefix) });
            }
            Assert.That(CheckpointFiles.Exists(prefix));
            using (var s = new Session(g))
            {
                s.Run(g.GetOperation("init"));
                s.Run(g.GetOperation("save/restore_all"), new FeedDict { ["save/Const:0"] = Tensor.Scalar(prefix) });
                var w = s.Run(g["w"]).ToArray<float>()[0];
                var b = s.Run(g["b"]).ToArray<float>()[0];
                Assert.That(Math.Abs(w - 0.1f), Is.LessThan(1e-3f), $"w = {w}");
                Assert.That(Math.Abs(b - 0.3f), Is.LessThan(1e-3f), $"b = {b}");
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void MetaGraphRoundTripKeepsVariablesAndTrainOp()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, name: "x");
        var w = g.Variable(new float[] { 2f }, name: "w");
        var y = g.Multiply(x, w, name: "y");
        g.AddToCollection(GraphKeys.TrainOp, y.Op);
        g.AddToCollection(GraphKeys.Summaries, y);
        g.AddToCollection("counts", 7L);
        var meta = g.ToMetaGraphDef(new SaverDef { FilenameTensorName = "save/Const:0" }, "serve");
        Assert.That(meta.MetaInfoDef.Tags, Is.EqualTo(new[] { "serve" }));
        var vd = VariableDef.Parser.ParseFrom(meta.CollectionDef[GraphKeys.GlobalVariables].BytesList.Value[0]);
        Assert.That(vd.VariableName, Is.EqualTo("w:0"));
        Assert.That(vd.InitializerName, Is.EqualTo("w/Assign"));
        Assert.That(vd.SnapshotName, Is.EqualTo("w/read:0"));
        Assert.That(vd.InitialValueName, Is.EqualTo("w/initial_value:0"));
        Assert.That(meta.CollectionDef[GraphKeys.TrainOp].NodeList.Value, Is.EqualTo(new[] { "y" }));
        Assert.That(meta.CollectionDef[GraphKeys.Summaries].NodeList.Value, Is.EqualTo(new[] { "y:0" }));
        Assert.That(meta.CollectionDef["counts"].Int64List.Value, Is.EqualTo(new[] { 7L }));

        var dir = Directory.CreateTempSubdirectory("tg-meta").FullName;
        try
        {
            var path = Path.Combine(dir, "model.meta");
            var saver = new Saver(g);
            saver.ExportMetaGraph(path);
            var g2 = new Graph();
            var saver2 = Saver.ImportMetaGraph(g2, path);
            Assert.That(saver2, Is.Not.Null);
            Assert.That(g2.GlobalVariables.Select(v => v.Name), Is.EqualTo(new[] { "w" }));
            Assert.That(g2.TrainableVariables.Select(v => v.Name), Is.EqualTo(new[] { "w" }));
            Assert.That(g2.GetCollection<Operation>(GraphKeys.TrainOp).Select(o => o.Name), Is.EqualTo(new[] { "y" }));
            Assert.That(g2.GetCollection<Output>(GraphKeys.Summaries).Select(o => o.Name), Is.EqualTo(new[] { "y:0" }));
            Assert.That(g2.GetCollection<long>("counts"), Is.EqualTo(new[] { 7L }));
            using var s = new Session(g2);
            s.Run(g2.GlobalVariablesInitializer());
            var r = s.Run(g2["y:0"], new FeedDict { ["x:0"] = new[] { 3f } });
            Assert.That(r.ToArray<float>(), Is.EqualTo(new[] { 6f }));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void ImportsTfWrittenMetaGraph()
    {
        var g = new Graph();
        var saver = Saver.ImportMetaGraph(g, Fixtures.File_("tfnet/graph/xor.meta"));
        Assert.That(saver, Is.Not.Null);
        Assert.That(g.GlobalVariables.Select(v => v.Name), Does.Contain("global_step"));
        Assert.That(g.GetCollection<Operation>(GraphKeys.TrainOp), Is.Not.Empty);
        Assert.That(g.TrainableVariables.Select(v => v.Name), Is.EqualTo(new[] { "Variable", "Variable_1" }));
        Assert.That(g.TrainableVariables.All(v => v.Trainable));
        Assert.That(g.GlobalVariables.Single(v => v.Name == "global_step").Trainable, Is.False);
    }

    [Test]
    public void FrozenGraphRunsWithoutCheckpoint()
    {
        GraphDef frozen;
        float[] expected;
        using (var m = SavedModelBundle.Load(Dir(Serving + "saved_model_half_plus_two_cpu/00000123")))
        {
            expected = m.Session.Run(m.Graph["y:0"], new FeedDict { ["x:0"] = new float[,] { { 1 }, { 7 } } }).ToArray<float>();
            frozen = FreezeGraph.Freeze(m.Graph, m.Session, ["y"]);
        }
        Assert.That(frozen.Node.Select(n => n.Op), Has.None.EqualTo("VariableV2").And.None.EqualTo("Assign").And.None.EqualTo("SaveV2"));
        Assert.That(frozen.Node.Single(n => n.Name == "a").Op, Is.EqualTo("Const"));
        Assert.That(frozen.Node.Select(n => n.Name), Has.None.EqualTo("y2"));
        var g = Graph.FromGraphDef(frozen);
        using var s = new Session(g);
        var y = s.Run(g["y:0"], new FeedDict { ["x:0"] = new float[,] { { 1 }, { 7 } } }).ToArray<float>();
        Assert.That(y, Is.EqualTo(expected));
        Assert.That(y, Is.EqualTo(new[] { 2.5f, 5.5f }));
    }

    [Test]
    public void BrokenSignaturesAreListedAsUnavailableAndTheRestLoads()
    {
        var dir = Directory.CreateTempSubdirectory("tg-sm-broken").FullName;
        try
        {
            BrokenSignatureModel.Create(dir);
            using var m = SavedModelBundle.Load(dir, "serve");
            // The valid signatures still work.
            Assert.That(Y(m, "serving_default", "x", new float[,] { { 1 }, { 2 } }), Is.EqualTo(new[] { 2.5f, 3f }));
            Assert.That(m.SignatureDefs.Keys, Does.Contain("regress_x2_to_y3").And.Contain("classify_x_to_y"));
            Assert.That(m.SignatureDefs.Keys, Has.None.AnyOf(BrokenSignatureModel.Broken.Keys.ToArray()));
            Assert.That(m.UnavailableSignatures.Keys, Is.EquivalentTo(BrokenSignatureModel.Broken.Keys));
            foreach (var (key, reason) in BrokenSignatureModel.Broken)
                Assert.That(m.UnavailableSignatures[key], Does.Contain(reason), key);

            // Asking for a broken signature is a typed error naming it and the reason.
            var e = Assert.Throws<NotFoundException>(() => m.GetSignature("missing_node"))!;
            Assert.That(e.Message, Does.Contain("'missing_node'").And.Contain("unavailable").And.Contain("no_such_node"));
            var bad = Assert.Throws<InvalidArgumentException>(() => m.Run("malformed_index", new Dictionary<string, Tensor> { ["x"] = new float[,] { { 1 } } }))!;
            Assert.That(bad.Message, Does.Contain("'malformed_index'").And.Contain("y:abc"));
            Assert.That(Assert.Throws<InvalidArgumentException>(() => m.GetSignature("empty_name"))!.Message, Does.Contain("'empty_name'"));
            Assert.That(Assert.Throws<NotFoundException>(() => m.GetSignature("index_out_of_range"))!.Message, Does.Contain("'index_out_of_range'").And.Contain("y:7"));
            // An unknown key lists the available and the unavailable ones.
            var unknown = Assert.Throws<NotFoundException>(() => m.GetSignature("nope"))!;
            Assert.That(unknown.Message, Does.Contain("serving_default").And.Contain("unavailable: ").And.Contain("missing_node"));

            // The same problems are found from the protos alone.
            var meta = SavedModelBundle.ReadProto(dir).MetaGraphs[0];
            Assert.That(SavedModelBundle.FindUnavailableSignatures(meta), Is.EquivalentTo(m.UnavailableSignatures));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void FindUnavailableSignaturesOfAnUnimportableGraphChecksNodeNames()
    {
        var meta = new MetaGraphDef { GraphDef = new GraphDef() };
        // Two nodes with one name: the graph cannot be imported.
        meta.GraphDef.Node.Add(new NodeDef { Name = "x", Op = "NoOp" });
        meta.GraphDef.Node.Add(new NodeDef { Name = "x", Op = "NoOp" });
        var good = new SignatureDef();
        good.Inputs["a"] = new TensorInfo { Name = "x:0" };
        var bad = new SignatureDef();
        bad.Inputs["a"] = new TensorInfo { Name = "y:0" };
        meta.SignatureDef["good"] = good;
        meta.SignatureDef["bad"] = bad;
        var found = SavedModelBundle.FindUnavailableSignatures(meta);
        Assert.That(found.Keys, Is.EqualTo(new[] { "bad" }));
        Assert.That(found["bad"], Does.Contain("no node 'y'"));
    }

    [Test]
    public void FreezeOfOwnGraph()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, name: "x");
        var w = g.Variable(new float[] { 2f }, name: "w");
        var y = g.Add(g.Multiply(x, w), w, name: "y");
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        s.Run(g.Assign(w.Ref, g.Constant(new float[] { 5f })).Op);
        var frozen = FreezeGraph.Freeze(g, s, ["y:0"]);
        var g2 = Graph.FromGraphDef(frozen);
        using var s2 = new Session(g2);
        Assert.That(s2.Run(g2["y"], new FeedDict { ["x"] = new[] { 2f } }).ToArray<float>(), Is.EqualTo(new[] { 15f }));
        Assert.Throws<NotFoundException>(() => FreezeGraph.Freeze(g, s, ["nope"]));
    }
}
