namespace TensorGraph.Data;

/// <summary>
/// An in-memory set of examples (images flattened to <see cref="ImageSize"/> float32 values,
/// integer class labels) served in mini-batches with the epoch and shuffle semantics of
/// TensorFlow's <c>mnist.DataSet.next_batch</c>: the examples are shuffled at the start of the
/// first epoch and again whenever an epoch is finished, and a batch that runs past the end of an
/// epoch is completed with the first examples of the next (reshuffled) epoch, so every example
/// is served exactly once per epoch. <see cref="EpochsCompleted"/> counts finished epochs the way
/// TensorFlow does (it goes up when a batch first needs examples beyond the end).
/// </summary>
/// <remarks>
/// Shuffling permutes an index table, not the stored examples: <see cref="Images"/> and
/// <see cref="Labels"/> keep the original order. Not thread-safe.
/// </remarks>
public sealed class DataSet
{
    private const int FakeExamples = 10000;

    private readonly float[] _images;   // NumExamples × ImageSize, row-major
    private readonly int[] _labels;     // NumExamples class ids
    private readonly int[] _perm;       // current epoch order
    private readonly Random _rng;
    private int[] _scratch = [];
    private int _indexInEpoch;
    private Tensor? _imagesTensor;
    private Tensor? _labelsTensor;

    /// <summary>
    /// Creates a data set over <paramref name="images"/> (<paramref name="labels"/>.Length ×
    /// <paramref name="imageSize"/> float32 values, row-major) and class ids
    /// <paramref name="labels"/> in [0, <paramref name="numClasses"/>). The arrays are used as
    /// they are, not copied. With <paramref name="oneHot"/> the labels are served as float32
    /// one-hot rows of width <paramref name="numClasses"/>. <paramref name="seed"/> makes the
    /// shuffling deterministic.
    /// </summary>
    public DataSet(float[] images, int[] labels, int imageSize, bool oneHot = false, int numClasses = 10, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (imageSize <= 0) throw new InvalidArgumentException($"DataSet imageSize must be positive, got {imageSize}");
        if (numClasses <= 0) throw new InvalidArgumentException($"DataSet numClasses must be positive, got {numClasses}");
        if ((long)labels.Length * imageSize != images.Length)
            throw new InvalidArgumentException(
                $"DataSet has {labels.Length} labels but {images.Length} image values; expected {labels.Length} × {imageSize} = {(long)labels.Length * imageSize}");
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)numClasses)
                throw new InvalidArgumentException($"DataSet label {labels[i]} at index {i} is outside [0, {numClasses})");
        }
        _images = images;
        _labels = labels;
        NumExamples = labels.Length;
        ImageSize = imageSize;
        NumClasses = numClasses;
        OneHot = oneHot;
        _perm = new int[NumExamples];
        for (int i = 0; i < _perm.Length; i++) _perm[i] = i;
        _rng = seed is int s ? new Random(s) : new Random();
    }

    private DataSet(bool oneHot, int imageSize, int numClasses)
    {
        _images = [];
        _labels = [];
        _perm = [];
        _rng = new Random(0);
        NumExamples = FakeExamples;
        ImageSize = imageSize;
        NumClasses = numClasses;
        OneHot = oneHot;
        IsFake = true;
    }

    /// <summary>
    /// A fake data set like TensorFlow's <c>DataSet([], [], fake_data=True)</c>: it reports
    /// 10000 examples, holds none, and every batch is made of images whose values are all 1 with
    /// label 0 (one-hot <c>[1, 0, …, 0]</c> when <paramref name="oneHot"/>).
    /// </summary>
    public static DataSet Fake(bool oneHot = false, int imageSize = 784, int numClasses = 10)
    {
        if (imageSize <= 0) throw new InvalidArgumentException($"DataSet imageSize must be positive, got {imageSize}");
        if (numClasses <= 0) throw new InvalidArgumentException($"DataSet numClasses must be positive, got {numClasses}");
        return new DataSet(oneHot, imageSize, numClasses);
    }

    /// <summary>Number of examples (10000 for a fake data set, as in TensorFlow).</summary>
    public int NumExamples { get; }

    /// <summary>Values per image (784 for MNIST).</summary>
    public int ImageSize { get; }

    /// <summary>Number of classes (the one-hot width).</summary>
    public int NumClasses { get; }

    /// <summary>Whether labels are served as float32 one-hot rows instead of int32 class ids.</summary>
    public bool OneHot { get; }

    /// <summary>Whether this is a fake data set (see <see cref="Fake"/>).</summary>
    public bool IsFake { get; }

    /// <summary>Number of epochs finished so far.</summary>
    public int EpochsCompleted { get; private set; }

    /// <summary>The images in their original order: float32 [NumExamples, ImageSize] in [0, 1]
    /// (shape [0, ImageSize] for a fake data set). The tensor shares this data set's storage.</summary>
    public Tensor Images => _imagesTensor ??= new Tensor(DType.Float32, _images, [_labels.Length, ImageSize], _images.Length);

    /// <summary>The labels in their original order: int32 [NumExamples], or float32
    /// [NumExamples, NumClasses] one-hot rows when <see cref="OneHot"/>.</summary>
    public Tensor Labels => _labelsTensor ??= MakeLabels();

    /// <summary>The class ids in their original order (also when <see cref="OneHot"/>).</summary>
    public ReadOnlySpan<int> ClassIds => _labels;

    private Tensor MakeLabels()
    {
        if (!OneHot) return new Tensor(DType.Int32, _labels, [_labels.Length], _labels.Length);
        var oh = new float[_labels.Length * NumClasses];
        for (int i = 0; i < _labels.Length; i++) oh[i * NumClasses + _labels[i]] = 1f;
        return new Tensor(DType.Float32, oh, [_labels.Length, NumClasses], oh.Length);
    }

    // ------------------------------------------------------------------ batches

    /// <summary>
    /// Returns the next <paramref name="batchSize"/> examples as new tensors: images float32
    /// [batchSize, ImageSize] and labels int32 [batchSize] (float32 [batchSize, NumClasses] when
    /// <see cref="OneHot"/>). See the class remarks for the epoch semantics.
    /// </summary>
    public (Tensor Images, Tensor Labels) NextBatch(int batchSize, bool shuffle = true)
    {
        CheckBatchSize(batchSize);
        var images = Tensor.Zeros(DType.Float32, batchSize, ImageSize);
        var labels = OneHot ? Tensor.Zeros(DType.Float32, batchSize, NumClasses) : Tensor.Zeros(DType.Int32, batchSize);
        NextBatch(images, labels, shuffle);
        return (images, labels);
    }

    /// <summary>
    /// Fills caller-provided tensors with the next batch, allocating nothing in steady state: the
    /// batch size is <paramref name="images"/>' first dimension. <paramref name="images"/> must be
    /// float32 [B, ImageSize]; <paramref name="labels"/> int32 [B], or float32 [B, NumClasses] when
    /// <see cref="OneHot"/>.
    /// </summary>
    public void NextBatch(Tensor images, Tensor labels, bool shuffle = true)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.DType != DType.Float32 || images.Rank != 2 || images.Dims[1] != ImageSize)
            throw new InvalidArgumentException(
                $"NextBatch images must be float32 [batch, {ImageSize}], got {images.DType.Name()} {Shape.Format(images.Dims)}");
        int b = images.Dims[0];
        if (OneHot)
        {
            if (labels.DType != DType.Float32 || labels.Rank != 2 || labels.Dims[0] != b || labels.Dims[1] != NumClasses)
                throw new InvalidArgumentException(
                    $"NextBatch one-hot labels must be float32 [{b}, {NumClasses}], got {labels.DType.Name()} {Shape.Format(labels.Dims)}");
            NextBatch(images.AsSpan<float>(), labels.AsSpan<float>(), shuffle);
        }
        else
        {
            if (labels.DType != DType.Int32 || labels.Rank != 1 || labels.Dims[0] != b)
                throw new InvalidArgumentException(
                    $"NextBatch labels must be int32 [{b}], got {labels.DType.Name()} {Shape.Format(labels.Dims)}");
            NextBatch(images.AsSpan<float>(), labels.AsSpan<int>(), shuffle);
        }
    }

    /// <summary>A batch of <paramref name="b"/> is allowed and <paramref name="images"/> holds exactly B × ImageSize values.</summary>
    private void CheckBuffers(Span<float> images, int b)
    {
        CheckBatchSize(b);
        if (images.Length != b * ImageSize)
            throw new InvalidArgumentException($"NextBatch image buffer has {images.Length} values; a batch of {b} needs {b * ImageSize}");
    }

    /// <summary>
    /// Fills caller-provided buffers with the next batch of <paramref name="labels"/>.Length
    /// examples: <paramref name="images"/> receives B × ImageSize values, <paramref name="labels"/>
    /// the class ids (whether or not <see cref="OneHot"/>). Allocates nothing in steady state.
    /// </summary>
    public void NextBatch(Span<float> images, Span<int> labels, bool shuffle = true)
    {
        int b = labels.Length;
        CheckBuffers(images, b);
        if (IsFake)
        {
            images.Fill(1f);
            labels.Clear();
            return;
        }
        var idx = NextIndices(b, shuffle);
        for (int i = 0; i < b; i++)
        {
            int e = idx[i];
            _images.AsSpan(e * ImageSize, ImageSize).CopyTo(images.Slice(i * ImageSize, ImageSize));
            labels[i] = _labels[e];
        }
    }

    /// <summary>
    /// Fills caller-provided buffers with the next batch, labels as one-hot rows:
    /// <paramref name="oneHotLabels"/> holds B × NumClasses values and <paramref name="images"/>
    /// B × ImageSize. Allocates nothing in steady state.
    /// </summary>
    public void NextBatch(Span<float> images, Span<float> oneHotLabels, bool shuffle = true)
    {
        if (oneHotLabels.Length % NumClasses != 0)
            throw new InvalidArgumentException($"NextBatch one-hot label buffer length {oneHotLabels.Length} is not a multiple of {NumClasses}");
        int b = oneHotLabels.Length / NumClasses;
        CheckBuffers(images, b);
        oneHotLabels.Clear();
        if (IsFake)
        {
            images.Fill(1f);
            for (int i = 0; i < b; i++) oneHotLabels[i * NumClasses] = 1f;
            return;
        }
        var idx = NextIndices(b, shuffle);
        for (int i = 0; i < b; i++)
        {
            int e = idx[i];
            _images.AsSpan(e * ImageSize, ImageSize).CopyTo(images.Slice(i * ImageSize, ImageSize));
            oneHotLabels[i * NumClasses + _labels[e]] = 1f;
        }
    }

    private void CheckBatchSize(int batchSize)
    {
        if (batchSize <= 0)
            throw new InvalidArgumentException($"NextBatch batch size must be positive, got {batchSize}");
        if (!IsFake && batchSize > NumExamples)
            throw new InvalidArgumentException($"NextBatch batch size {batchSize} is larger than the data set ({NumExamples} examples)");
    }

    /// <summary>The example indices of the next batch (TensorFlow's next_batch bookkeeping).</summary>
    private ReadOnlySpan<int> NextIndices(int b, bool shuffle)
    {
        if (_scratch.Length < b) _scratch = new int[b];
        var idx = _scratch.AsSpan(0, b);
        int n = NumExamples;
        int start = _indexInEpoch;
        if (EpochsCompleted == 0 && start == 0 && shuffle) _rng.Shuffle(_perm);
        if (start + b > n)
        {
            EpochsCompleted++;
            int rest = n - start;
            _perm.AsSpan(start, rest).CopyTo(idx);
            if (shuffle) _rng.Shuffle(_perm);
            _indexInEpoch = b - rest;
            _perm.AsSpan(0, _indexInEpoch).CopyTo(idx[rest..]);
        }
        else
        {
            _perm.AsSpan(start, b).CopyTo(idx);
            _indexInEpoch += b;
        }
        return idx;
    }
}

/// <summary>The train, validation and test splits returned by <c>Mnist.ReadDataSets</c> (in TensorGraph.Datasets).</summary>
public sealed class Datasets(DataSet train, DataSet validation, DataSet test)
{
    /// <summary>The training split.</summary>
    public DataSet Train { get; } = train;

    /// <summary>The validation split (the first <c>validationSize</c> training examples).</summary>
    public DataSet Validation { get; } = validation;

    /// <summary>The test split.</summary>
    public DataSet Test { get; } = test;
}
