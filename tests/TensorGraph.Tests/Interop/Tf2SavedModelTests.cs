using TensorGraph.Serialization;

namespace TensorGraph.Tests.Serialization;

/// <summary>TF2 SavedModels: function libraries, resource variables restored from object-based checkpoints, signatures run through calls.</summary>
public class Tf2SavedModelTests
{
    private const string HalfPlusTwoTf2 = "serving/servables/tensorflow/testdata/saved_model_half_plus_two_tf2_cpu/00000123";
    private const string KerasAutoCompile = "tfnet/test/TensorFlowNET.Keras.UnitTest/Assets/simple_model_from_auto_compile";

    private static string Dir(string relative)
    {
        var p = Path.Combine(Fixtures.Root, relative);
        if (!Directory.Exists(p)) Assert.Fail($"Fixture directory missing: '{p}'");
        return p;
    }

    [Test]
    public void HalfPlusTwoTf2ServingDefault()
    {
        using var m = SavedModelBundle.Load(Dir(HalfPlusTwoTf2), "serve");
        var sig = m.SignatureDefs["serving_default"];
        Assert.That(sig.Inputs["x"].Name, Is.EqualTo("serving_default_x:0"));
        Assert.That(sig.Outputs["y"].Name, Is.EqualTo("StatefulPartitionedCall_5:0"));
        // x is declared [1]: one value per run, as TF's Python client feeds it.
        float[] xs = [1, 2, 5];
        var ys = xs.Select(x => m.Run("serving_default", new Dictionary<string, Tensor> { ["x"] = new[] { x } })["y"].ToArray<float>().Single());
        Assert.That(ys, Is.EqualTo(new[] { 2.5f, 3f, 4.5f }));
        // The variables came from the object-based checkpoint (a = 0.5, b = 2, c = 3).
        var values = new[] { "a", "b", "c" }.Select(v => m.Session.Run(m.Graph.ReadVariableOp(m.Graph[$"{v}:0"], DType.Float32)).Scalar<float>());
        Assert.That(values, Is.EqualTo(new[] { 0.5f, 2f, 3f }));
    }

    [Test]
    public void HalfPlusTwoTf2ForServingTakesABatch()
    {
        using var m = SavedModelBundle.LoadForServing(Dir(HalfPlusTwoTf2), "serve");
        var y = m.Run("serving_default", new Dictionary<string, Tensor> { ["x"] = new float[,] { { 1 }, { 2 }, { 5 } } })["y"];
        Assert.That(y.ToArray<float>(), Is.EqualTo(new[] { 2.5f, 3f, 4.5f }));
        Assert.That(y.Dims.ToArray(), Is.EqualTo(new[] { 3, 1 }));
    }

    [Test]
    public void KerasTf2ModelPredictsWithItsStoredWeights()
    {
        var dir = Dir(KerasAutoCompile);
        using var m = SavedModelBundle.Load(dir, "serve");
        var sig = m.SignatureDefs["serving_default"];
        var x = new float[2, 28, 28, 1];
        for (int n = 0; n < 2; n++)
            for (int i = 0; i < 28; i++)
                for (int j = 0; j < 28; j++)
                    x[n, i, j, 0] = ((n * 31 + i * 7 + j * 3) % 17) / 17f;
        var y = m.Run("serving_default", new Dictionary<string, Tensor> { [sig.Inputs.Keys.Single()] = Tensor.FromArray(x) })["softmax"];
        Assert.That(y.Dims.ToArray(), Is.EqualTo(new[] { 2, 10 }));

        // Independently: the .npy files beside the model and the checkpoint's other tensors,
        // flatten → dense(relu) → dense → softmax computed here.
        var k1 = Npy.Read(Path.Combine(dir, "kernel1.npy")).ToArray<float>();
        var b0 = Npy.Read(Path.Combine(dir, "bias0.npy")).ToArray<float>();
        float[] k0, b1;
        using (var ckpt = new CheckpointReader(Path.Combine(dir, "variables", "variables")))
        {
            Assert.That(ckpt.GetTensor("layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE").ToArray<float>(), Is.EqualTo(k1));
            k0 = ckpt.GetTensor("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE").ToArray<float>();
            b1 = ckpt.GetTensor("layer_with_weights-1/bias/.ATTRIBUTES/VARIABLE_VALUE").ToArray<float>();
        }
        var got = y.ToArray<float>();
        for (int n = 0; n < 2; n++)
        {
            var h = new double[100];
            for (int u = 0; u < 100; u++)
            {
                double s = b0[u];
                for (int p = 0; p < 784; p++) s += x[n, p / 28, p % 28, 0] * k0[p * 100 + u];
                h[u] = Math.Max(0, s);
            }
            var logits = new double[10];
            for (int c = 0; c < 10; c++)
            {
                double s = b1[c];
                for (int u = 0; u < 100; u++) s += h[u] * k1[u * 10 + c];
                logits[c] = s;
            }
            double max = logits.Max(), z = logits.Sum(l => Math.Exp(l - max));
            for (int c = 0; c < 10; c++) Assert.That(got[n * 10 + c], Is.EqualTo(Math.Exp(logits[c] - max) / z).Within(1e-5), $"example {n}, class {c}");
        }
    }

    [Test]
    public void KerasTf2CustomLayerModelPredicts()
    {
        var dir = Dir("tfnet/test/TensorFlowNET.Keras.UnitTest/Assets/python_func_model");
        using var m = SavedModelBundle.Load(dir, "serve");
        var x = new float[3, 784];
        for (int n = 0; n < 3; n++)
            for (int p = 0; p < 784; p++)
                x[n, p] = ((n * 13 + p * 5) % 11) / 11f;
        var y = m.Run("serving_default", new Dictionary<string, Tensor> { ["input_1"] = Tensor.FromArray(x) })["softmax"].ToArray<float>();
        float[] w;
        using (var ckpt = new CheckpointReader(Path.Combine(dir, "variables", "variables")))
            w = ckpt.GetTensor("layer_with_weights-0/matrix/.ATTRIBUTES/VARIABLE_VALUE").ToArray<float>();
        // The custom layer (its function body): m = (x + 1) · matrix; out = m + (m - 1); then softmax.
        for (int n = 0; n < 3; n++)
        {
            var logits = new double[10];
            for (int c = 0; c < 10; c++)
            {
                double mm = 0;
                for (int p = 0; p < 784; p++) mm += (x[n, p] + 1) * w[p * 10 + c];
                logits[c] = mm + (mm - 1);
            }
            double max = logits.Max(), z = logits.Sum(l => Math.Exp(l - max));
            for (int c = 0; c < 10; c++) Assert.That(y[n * 10 + c], Is.EqualTo(Math.Exp(logits[c] - max) / z).Within(1e-5), $"example {n}, class {c}");
        }
    }
}
