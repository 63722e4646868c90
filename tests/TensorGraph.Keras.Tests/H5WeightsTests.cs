using PureHDF;
using TensorGraph.Keras.Layers;

namespace TensorGraph.Keras.Tests;

public class H5WeightsTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        Backend.ClearSession(seed: 41);
        _dir = Path.Combine(Path.GetTempPath(), "tg-keras-h5-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    [Test]
    public void RoundTripIsBitExactWithKerasLayout()
    {
        var model = new Sequential(new Dense(4, activation: "relu", inputShape: [3]), new Dropout(0.5), new Dense(2));
        var before = model.GetWeights();
        var path = Path.Combine(_dir, "weights.h5");
        Assert.That(model.SaveWeights(path), Is.EqualTo(path));

        using (var file = H5File.OpenRead(path))
        {
            Assert.That(file.Attribute("layer_names").Read<string[]>().Select(s => s.TrimEnd('\0')), Is.EqualTo(new[] { "dense", "dropout", "dense_1" }));
            Assert.That(file.Attribute("backend").Read<string>().TrimEnd('\0'), Is.EqualTo("tensorflow"));
            var dense = file.Group("dense");
            Assert.That(dense.Attribute("weight_names").Read<string[]>().Select(s => s.TrimEnd('\0')), Is.EqualTo(new[] { "dense/kernel:0", "dense/bias:0" }));
            var kernel = file.Group("dense").Group("dense").Dataset("kernel:0");
            Assert.That(kernel.Space.Dimensions, Is.EqualTo(new ulong[] { 3, 4 }));
            Assert.That(kernel.Read<float[]>(), Is.EqualTo(before[0].ToArray<float>()));
            Assert.That(file.Group("dense_1").Group("dense_1").Dataset("bias:0").Read<float[]>(), Is.EqualTo(before[3].ToArray<float>()));
        }

        // Into a fresh model of the same architecture in a new graph: bit-exact weights.
        Backend.ClearSession(seed: 42);
        var other = new Sequential(new Dense(4, activation: "relu", inputShape: [3]), new Dropout(0.5), new Dense(2));
        Assert.That(other.GetWeights()[0].ToArray<float>(), Is.Not.EqualTo(before[0].ToArray<float>()));
        other.LoadWeights(path);
        var after = other.GetWeights();
        for (int i = 0; i < before.Length; i++)
        {
            Assert.That(after[i].Dims.ToArray(), Is.EqualTo(before[i].Dims.ToArray()));
            Assert.That(after[i].ToArray<float>(), Is.EqualTo(before[i].ToArray<float>()));
        }

        Backend.ClearSession();
        var wrong = new Sequential(new Dense(5, inputShape: [3]), new Dense(2));
        Assert.Throws<ArgumentException>(() => wrong.LoadWeights(path));
    }
}
