using TensorGraph.Keras.Layers;

namespace TensorGraph.Keras.Tests;

public class RegularizerTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        Backend.ClearSession(seed: 5);
        _dir = Path.Combine(Path.GetTempPath(), "tg-keras-reg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private static (Tensor X, Tensor Y) Data()
    {
        var x = Tensor.Create(new float[] { 0.5f, -1f, 2f, 1.5f, 0f, -0.5f }, 2, 3);
        var y = Tensor.Create(new float[] { 1f, -1f, 0.5f, 2f }, 2, 2);
        return (x, y);
    }

    [Test]
    public void EvaluateAddsL1AndL2PenaltiesOfKernelAndBiasToTheLoss()
    {
        var model = new Sequential(new Dense(2, inputShape: [3], kernelRegularizer: new L1L2(0.01, 0.02), biasRegularizer: "l2", biasInitializer: new Constant(0.3)));
        model.Compile("sgd", "mse");
        var (x, y) = Data();
        double loss = model.Evaluate(x, y, verbose: 0)[0];

        var w = model.GetWeights();
        float[] k = w[0].ToArray<float>(), b = w[1].ToArray<float>(), xs = x.ToArray<float>(), ys = y.ToArray<float>();
        double mse = 0;
        for (int s = 0; s < 2; s++)
            for (int o = 0; o < 2; o++)
            {
                double p = b[o];
                for (int i = 0; i < 3; i++) p += xs[s * 3 + i] * k[i * 2 + o];
                mse += (p - ys[s * 2 + o]) * (p - ys[s * 2 + o]) / 4;
            }
        double penalty = 0.01 * k.Sum(v => Math.Abs((double)v)) + 0.02 * k.Sum(v => (double)v * v) + 0.01 * b.Sum(v => (double)v * v);
        Assert.That(loss, Is.EqualTo(mse + penalty).Within(1e-5 * (mse + penalty)));
        Assert.That(model.Layers[0].Losses, Has.Count.EqualTo(2));
    }

    [Test]
    public void TheGradientStepIncludesThePenalty()
    {
        // Zero data term (x = 0, y = b = 0): one SGD step on l2·Σw² moves each weight by −lr·2·l2·w.
        var model = new Sequential(new Dense(1, useBias: false, inputShape: [2], kernelRegularizer: new L1L2(l2: 0.5)));
        model.Compile(new Optimizers.SGD(0.1), "mse");
        var before = model.GetWeights()[0].ToArray<float>();
        model.Fit(Tensor.Create(new float[2], 1, 2), Tensor.Create(new float[1], 1, 1), epochs: 1, verbose: 0);
        var after = model.GetWeights()[0].ToArray<float>();
        for (int i = 0; i < 2; i++) Assert.That(after[i], Is.EqualTo(before[i] * (1 - 0.1 * 2 * 0.5)).Within(1e-6));
    }

    [Test]
    public void RegularizersRoundTripThroughH5()
    {
        var model = new Sequential(new Dense(2, inputShape: [3], kernelRegularizer: new L1L2(0.01, 0.02)), new Dense(1, biasRegularizer: new L1L2(l1: 0.5)));
        var path = Path.Combine(_dir, "m.h5");
        model.Save(path);
        Backend.ClearSession();
        var loaded = Models.LoadModel(path);
        var d0 = (Dense)loaded.Layers[0];
        var d1 = (Dense)loaded.Layers[1];
        Assert.That(d0.KernelRegularizer, Is.InstanceOf<L1L2>().With.Property("L1").EqualTo(0.01).And.Property("L2").EqualTo(0.02));
        Assert.That(d0.BiasRegularizer, Is.Null);
        Assert.That(d1.KernelRegularizer, Is.Null);
        Assert.That(d1.BiasRegularizer, Is.InstanceOf<L1L2>().With.Property("L1").EqualTo(0.5));
    }

    [Test]
    public void ConstraintsAndOtherRegularizersAreRefusedNamingTheLayer()
    {
        const string json = """
            {"class_name": "Sequential", "config": {"name": "s", "layers": [
              {"class_name": "Dense", "config": {"name": "capped", "units": 2, "batch_input_shape": [null, 3], "activation": "linear",
                "kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}}}}]}}
            """;
        var e = Assert.Throws<NotSupportedException>(() => Models.ModelFromJson(json));
        Assert.That(e!.Message, Does.Contain("capped").And.Contain("kernel_constraint"));
        Assert.Throws<NotSupportedException>(() => Models.ModelFromJson(json.Replace("kernel_constraint", "activity_regularizer")));
        Assert.That(() => Regularizer.Get("l3"), Throws.ArgumentException);
    }
}
