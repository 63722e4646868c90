using System.Globalization;
using TensorGraph.Data;

namespace TensorGraph.Examples.Classics;

/// <summary>How a classic runs: its full length (the original program's constants) or a short version for tests.</summary>
public sealed class ClassicOptions
{
    /// <summary>Run a few hundred steps instead of the original program's count.</summary>
    public bool Short { get; init; }

    /// <summary>Graph-level seed (the original programs set none; a fixed one makes runs repeatable).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Where checkpoints, event files and model directories go (a folder per classic).</summary>
    public string OutputDir { get; init; } = Path.Combine(Path.GetTempPath(), "tensorgraph", "tf1classics");

    /// <summary>MNIST as input_data.read_data_sets(one_hot=True) gives it (null: read from the cache, downloading once).</summary>
    public Datasets? Mnist { get; init; }

    /// <summary>The text word2vec trains on (null: Moby-Dick through <see cref="TextCorpora.MobyDick"/>).</summary>
    public string? Corpus { get; init; }

    internal Datasets MnistOneHot() => Mnist ?? TensorGraph.Data.Mnist.ReadDataSets(null, oneHot: true, seed: Seed);

    internal int Steps(int full, int shortSteps) => Short ? shortSteps : full;

    /// <summary>Where an estimator's INFO messages go: the program's output in full runs (as TF logs them), nowhere in short ones.</summary>
    internal Action<string>? EstimatorLog(TextWriter log) => Short ? null : m => log.WriteLine("INFO:tensorflow:" + m);

    internal string Dir(string name)
    {
        var d = Path.Combine(OutputDir, name);
        if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
        Directory.CreateDirectory(d);
        return d;
    }
}

/// <summary>What a classic printed last, as numbers (test accuracy, final cost, ...), by the names it printed them with.</summary>
public sealed class ClassicResult(string name)
{
    /// <summary>The classic's name (its original file name without .py).</summary>
    public string Name { get; } = name;

    /// <summary>The figures it reports.</summary>
    public Dictionary<string, double> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>A reported figure.</summary>
    public double this[string key] => Values[key];
}

/// <summary>A TF1 classic, ported line by line.</summary>
public sealed record Classic(string Name, string Description, Func<ClassicOptions, TextWriter, ClassicResult> Run);

/// <summary>The classics, in the order of the original collection.</summary>
public static class ClassicsCatalog
{
    /// <summary>Every classic this example ports.</summary>
    public static IReadOnlyList<Classic> All { get; } =
    [
        new("linear_regression", "Linear regression on 17 points with Adam, one sample per step", LinearRegression.Run),
        new("logistic_regression", "Softmax regression on MNIST with gradient descent", LogisticRegression.Run),
        new("nearest_neighbor", "1-nearest-neighbour MNIST classifier with the L1 distance", NearestNeighbor.Run),
        new("kmeans", "k-means (Lloyd's algorithm in graph ops) on MNIST, centroids labelled by majority", KMeans.Run),
        new("neural_network_raw", "Two-layer MLP on MNIST from raw variables and matmuls", NeuralNetworkRaw.Run),
        new("neural_network", "The same MLP with tf.layers, trained and evaluated by an Estimator", NeuralNetwork.Run),
        new("convolutional_network", "A CNN with tf.layers and a reused variable scope, trained by an Estimator", ConvolutionalNetwork.Run),
        new("word2vec", "Skip-gram word2vec with nce_loss on Moby-Dick", Word2Vec.Run),
        new("autoencoder", "Two-layer sigmoid autoencoder of MNIST digits with RMSProp", Autoencoder.Run),
        new("gan", "Fully connected GAN generating MNIST digits", Gan.Run),
        new("tensorboard_basic", "Logistic regression with name scopes and TensorBoard summaries", TensorBoardBasic.Run),
        new("save_restore_model", "MLP trained, saved, restored into a new session and trained on", SaveRestoreModel.Run),
    ];

    /// <summary>The classic called <paramref name="name"/>.</summary>
    public static Classic Get(string name) =>
        All.FirstOrDefault(c => c.Name == name) ?? throw new ArgumentException($"no classic named '{name}'; the classics are: {string.Join(", ", All.Select(c => c.Name))}", nameof(name));

    internal static string F(double v, string format = "F9") => v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>A float32 as Python prints a NumPy float32 (the shortest text that reads back).</summary>
    internal static string Py(float v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>The class ids of a data set as int32 [N], as input_data.read_data_sets(one_hot=False) gives its labels.</summary>
    internal static Tensor ClassIds(DataSet d) => Tensor.Create(d.ClassIds.ToArray(), d.ClassIds.Length);
}
