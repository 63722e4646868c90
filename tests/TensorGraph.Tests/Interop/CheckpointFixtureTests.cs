using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph.Tests.Serialization;

/// <summary>Reads every TF-written V2 checkpoint in the shared fixtures and checks documented values.</summary>
public class CheckpointFixtureTests
{
    private const string Serving = "serving/servables/tensorflow/testdata/";

    /// <summary>Every V2 checkpoint prefix in the fixtures README.</summary>
    public static IEnumerable<string> AllPrefixes =>
    [
        Serving + "saved_model_half_plus_two_cpu/00000123/variables/variables",
        Serving + "saved_model_half_plus_two_gpu/00000123/variables/variables",
        Serving + "saved_model_half_plus_two_mkl/00000123/variables/variables",
        Serving + "saved_model_half_plus_two_mlmd/00000123/variables/variables",
        Serving + "saved_model_half_plus_two_2_versions/00000123/variables/variables",
        Serving + "saved_model_half_plus_two_2_versions/00000124/variables/variables",
        Serving + "saved_model_half_plus_three/00000123/variables/variables",
        Serving + "saved_model_half_plus_two_tf2_cpu/00000123/variables/variables",
        Serving + "saved_model_counter/00000123/variables/variables",
        "tfrust/test_resources/regression-model/variables/variables",
        "tfrust/examples/regression_savedmodel/variables/variables",
        "tf2onnx/tests/models/regression/checkpoint/model",
        "tf2onnx/tests/models/regression/saved_model/variables/variables",
        "tfnet/test/TensorFlowNET.Keras.UnitTest/Assets/simple_model_from_auto_compile/variables/variables",
        "tfnet/test/TensorFlowNET.Keras.UnitTest/Assets/python_func_model/variables/variables",
        "tfnet/tools/TensorFlowNET.Benchmarks/Leak/TestModel/saved_model/variables/variables",
        "mltestdata/Microsoft.ML.TensorFlow.TestModels/cifar_model/model.ckpt",
        "mltestdata/Microsoft.ML.TensorFlow.TestModels/cifar_saved_model/variables/variables",
        "mltestdata/Microsoft.ML.TensorFlow.TestModels/mnist_conv_model/variables/variables",
        "mltestdata/Microsoft.ML.TensorFlow.TestModels/mnist_lr_model/variables/variables",
    ];

    private static CheckpointReader Open(string relative) => new(CheckpointFixtures.Tf(relative + ".index")[..^".index".Length]);

    private static float F(CheckpointReader r, string name) => r.GetTensor(name).AsSpan<float>()[0];

    [TestCaseSource(nameof(AllPrefixes))]
    public void EveryTensorReadsWithValidChecksums(string prefix)
    {
        using var r = Open(prefix);
        Assert.That(r.TensorNames, Is.Not.Empty);
        Assert.That(r.Header.NumShards, Is.EqualTo(1));
        foreach (var info in r.Tensors)
        {
            var t = r.GetTensor(info.Name);
            Assert.That(t.DType, Is.EqualTo(info.DType), info.Name);
            Assert.That(t.Shape, Is.EqualTo(info.Shape), info.Name);
        }
    }

    [Test]
    public void HalfPlusTwo_SnappyCompressedIndex()
    {
        using var r = Open(Serving + "saved_model_half_plus_two_cpu/00000123/variables/variables");
        Assert.That(r.TensorNames, Is.EqualTo(new[] { "a", "a2", "b", "c", "c2" }));
        Assert.Multiple(() =>
        {
            Assert.That(F(r, "a"), Is.EqualTo(0.5f));
            Assert.That(F(r, "b"), Is.EqualTo(2f));
            Assert.That(F(r, "c"), Is.EqualTo(3f));
            Assert.That(F(r, "a2"), Is.EqualTo(0.5f));
            Assert.That(F(r, "c2"), Is.EqualTo(3f));
            Assert.That(r.GetInfo("a").Shape, Is.EqualTo(Shape.Scalar));
        });
    }

    [TestCase("saved_model_half_plus_two_gpu/00000123", 2f)]
    [TestCase("saved_model_half_plus_two_2_versions/00000123", 2f)]
    [TestCase("saved_model_half_plus_two_2_versions/00000124", 2f)]
    [TestCase("saved_model_half_plus_two_mlmd/00000123", 2f)]
    [TestCase("saved_model_half_plus_two_mkl/00000123", 2f)]
    [TestCase("saved_model_half_plus_three/00000123", 3f)]
    public void HalfPlusN_Variables(string dir, float b)
    {
        using var r = Open(Serving + dir + "/variables/variables");
        Assert.That(F(r, "a"), Is.EqualTo(0.5f));
        Assert.That(F(r, "b"), Is.EqualTo(b));
    }

    [Test]
    public void HalfPlusTwoTf2_ObjectGraphKeys()
    {
        using var r = Open(Serving + "saved_model_half_plus_two_tf2_cpu/00000123/variables/variables");
        Assert.That(F(r, "a/.ATTRIBUTES/VARIABLE_VALUE"), Is.EqualTo(0.5f));
        Assert.That(F(r, "b/.ATTRIBUTES/VARIABLE_VALUE"), Is.EqualTo(2f));
        Assert.That(F(r, "c/.ATTRIBUTES/VARIABLE_VALUE"), Is.EqualTo(3f));
        var graph = r.GetTensor("_CHECKPOINTABLE_OBJECT_GRAPH");
        Assert.That(graph.DType, Is.EqualTo(DType.String));
        Assert.That(graph.AsSpan<byte[]>()[0], Has.Length.EqualTo(619 - 2 - 4));
    }

    [Test]
    public void Counter_IsZero()
    {
        using var r = Open(Serving + "saved_model_counter/00000123/variables/variables");
        Assert.That(F(r, "counter"), Is.EqualTo(0f));
    }

    [Test]
    public void TfRustRegressionModel_DocumentedWeights()
    {
        using var r = Open("tfrust/test_resources/regression-model/variables/variables");
        Assert.That(r.GetTensor("w").AsSpan<float>().ToArray(), Is.EqualTo(new[] { -0.8578622f }).Within(1e-6f));
        Assert.That(r.GetTensor("b").AsSpan<float>().ToArray(), Is.EqualTo(new[] { 0f }));
    }

    [Test]
    public void Tf2OnnxRegression_CheckpointMatchesFrozenGraphConstants()
    {
        var frozen = GraphDef.Parser.ParseFrom(File.ReadAllBytes(CheckpointFixtures.Tf("tf2onnx/tests/models/regression/graphdef/frozen.pb")));
        float Const(string n) => TensorProtos.FromProto(frozen.Node.Single(x => x.Name == n).Attr["value"].Tensor).AsSpan<float>()[0];
        foreach (var prefix in new[] { "tf2onnx/tests/models/regression/checkpoint/model", "tf2onnx/tests/models/regression/saved_model/variables/variables" })
        {
            using var r = Open(prefix);
            Assert.That(F(r, "W"), Is.EqualTo(Const("W")), prefix);
            Assert.That(F(r, "b"), Is.EqualTo(Const("b")), prefix);
        }
    }

    [Test]
    public void Tf2OnnxRegression_CheckpointStateFileParses()
    {
        var dir = Path.GetDirectoryName(CheckpointFixtures.Tf("tf2onnx/tests/models/regression/checkpoint/checkpoint"))!;
        var state = CheckpointStateFile.Read(dir)!;
        Assert.That(state.ModelCheckpointPath, Is.EqualTo("model"));
        Assert.That(state.AllModelCheckpointPaths, Is.EqualTo(new[] { "model" }));
        Assert.That(TensorGraph.Training.Saver.LatestCheckpoint(dir), Is.EqualTo(Path.Combine(dir, "model")));
        var cifar = Path.GetDirectoryName(CheckpointFixtures.Tf("mltestdata/Microsoft.ML.TensorFlow.TestModels/cifar_model/checkpoint"))!;
        Assert.That(TensorGraph.Training.Saver.LatestCheckpoint(cifar), Is.EqualTo(Path.Combine(cifar, "model.ckpt")));
    }

    [Test]
    public void MnistLr_AllWeightsAreOneTenth()
    {
        using var r = Open("mltestdata/Microsoft.ML.TensorFlow.TestModels/mnist_lr_model/variables/variables");
        var w = r.GetTensor("W");
        Assert.That(w.Shape, Is.EqualTo(new Shape(784, 10)));
        Assert.That(w.AsSpan<float>().ToArray(), Is.All.EqualTo(0.1f));
        Assert.That(r.GetTensor("b").AsSpan<float>().ToArray(), Is.All.EqualTo(0.1f));
    }

    [Test]
    public void KerasSimpleModel_MatchesNpyFiles()
    {
        const string dir = "tfnet/test/TensorFlowNET.Keras.UnitTest/Assets/simple_model_from_auto_compile/";
        using var r = Open(dir + "variables/variables");
        var (kShape, kernel) = CheckpointFixtures.ReadNpy(CheckpointFixtures.Tf(dir + "kernel1.npy"));
        var (bShape, bias) = CheckpointFixtures.ReadNpy(CheckpointFixtures.Tf(dir + "bias0.npy"));
        var k = r.GetTensor("layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE");
        var b = r.GetTensor("layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE");
        Assert.That(k.Shape, Is.EqualTo(new Shape(kShape)));
        Assert.That(b.Shape, Is.EqualTo(new Shape(bShape)));
        Assert.That(k.AsSpan<float>().ToArray().Select(x => (double)x), Is.EqualTo(kernel));
        Assert.That(b.AsSpan<float>().ToArray().Select(x => (double)x), Is.EqualTo(bias));
    }

    [Test]
    public void PythonFuncModel_Int64Iterations()
    {
        using var r = Open("tfnet/test/TensorFlowNET.Keras.UnitTest/Assets/python_func_model/variables/variables");
        var it = r.GetTensor("optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE");
        Assert.That(it.DType, Is.EqualTo(DType.Int64));
        Assert.That(it.Shape, Is.EqualTo(Shape.Scalar));
    }

    [Test]
    public void MissingKeyAndMissingCheckpoint_AreNotFound()
    {
        using var r = Open(Serving + "saved_model_counter/00000123/variables/variables");
        var e = Assert.Throws<NotFoundException>(() => r.GetTensor("nope"));
        Assert.That(e!.Message, Does.Contain("nope"));
        Assert.Throws<NotFoundException>(() => new CheckpointReader(Path.Combine(Path.GetTempPath(), "no-such-ckpt-" + Guid.NewGuid())));
    }
}
