using System.Globalization;
using TensorGraph.Training;

namespace TensorGraph;

/// <summary>
/// TF 1.15's queue-based input pipelines (python/training/input.py): <c>tf.train.batch</c>,
/// <c>shuffle_batch</c>, <c>input_producer</c>, <c>string_input_producer</c>,
/// <c>range_input_producer</c>, <c>slice_input_producer</c> and <c>limit_epochs</c>, with TF's
/// node names. Each adds a <see cref="QueueRunner"/> to <see cref="GraphKeys.QueueRunners"/>;
/// <see cref="QueueRunner.StartQueueRunners"/> runs them.
/// </summary>
public sealed partial class Graph
{
    private static string Invariant(FormattableString s) => FormattableString.Invariant(s);

    /// <summary>
    /// TF's <c>tf.train.limit_epochs(tensor, num_epochs)</c>: <paramref name="tensor"/> gated by a
    /// local int64 counter <c>limit_epochs/epochs</c> that a <c>CountUpTo</c> raises once per run;
    /// after <paramref name="numEpochs"/> runs, OutOfRange. Null epochs returns the tensor itself.
    /// Run <see cref="LocalVariablesInitializer"/> first.
    /// </summary>
    public Output LimitEpochs(Output tensor, int? numEpochs, string? name = null)
    {
        if (numEpochs is null) return tensor;
        if (numEpochs <= 0) throw new InvalidArgumentException(Invariant($"num_epochs must be > 0 not {numEpochs}."));
        using (NameScope(name ?? "limit_epochs"))
        {
            var scope = CurrentNameScope + "/";
            var zero64 = Constant(Tensor.Scalar(0L));
            var epochs = LocalVariable(zero64, "epochs");
            var counter = CountUpTo(epochs, numEpochs.Value);
            using (ControlDependencies(counter.Op)) return Identity(tensor, scope);
        }
    }

    /// <summary>
    /// TF's <c>tf.train.input_producer</c>: the rows of <paramref name="inputTensor"/> (shuffled by a
    /// <c>RandomShuffle</c> each epoch when <paramref name="shuffle"/>), limited to
    /// <paramref name="numEpochs"/>, enqueued by a queue runner into a FIFO queue of
    /// <paramref name="capacity"/>, which is returned (dequeue from it).
    /// </summary>
    public Queue InputProducer(Output inputTensor, Shape? elementShape = null, int? numEpochs = null, bool shuffle = true, int? seed = null,
        int capacity = 32, string? sharedName = null, string? summaryName = null, string? name = null)
    {
        using (NameScope(name ?? "input_producer"))
        {
            var scope = CurrentNameScope + "/";
            var s = inputTensor.Shape;
            var element = s.IsRankKnown ? new Shape(s.ToArray()[1..]) : Shape.Unknown;
            if (elementShape is not null)
            {
                if (!element.IsCompatibleWith(elementShape))
                    throw new InvalidArgumentException($"Shapes {element} and {elementShape} are incompatible: the rows of '{inputTensor.Name}' do not have element_shape");
                element = element.MergeWith(elementShape);
            }
            if (!element.IsFullyDefined)
                throw new InvalidArgumentException("Either `input_tensor` must have a fully defined shape or `element_shape` must be specified");
            if (shuffle) inputTensor = RandomShuffle(inputTensor, seed);
            inputTensor = LimitEpochs(inputTensor, numEpochs);
            var q = FIFOQueue(capacity, [inputTensor.DType], [element], sharedName, name is null ? null : scope);
            var enq = q.EnqueueMany([inputTensor]);
            QueueRunners.Add(new QueueRunner(q, [enq]));
            if (summaryName is not null)
                ScalarSummary(summaryName, Cast(q.Size(), DType.Float32) * Tensor.Scalar(1f / capacity));
            return q;
        }
    }

    /// <summary>
    /// TF's <c>tf.train.string_input_producer</c>: a queue of the strings (file names) in
    /// <paramref name="strings"/>, which must not be empty (an <c>Assert</c> checks it at run time),
    /// shuffled per epoch unless <paramref name="shuffle"/> is false, for
    /// <paramref name="numEpochs"/> epochs (null: forever). The queue node is <c>input_producer</c>.
    /// </summary>
    public Queue StringInputProducer(Output strings, int? numEpochs = null, bool shuffle = true, int? seed = null, int capacity = 32,
        string? sharedName = null, string? name = null)
    {
        const string notNull = "string_input_producer requires a non-null input tensor";
        if (strings.DType != DType.String) throw new InvalidArgumentException($"string_input_producer needs a string tensor, got {strings.DType.Name()} ('{strings.Name}')");
        using (NameScope(name ?? "input_producer"))
        {
            var scope = CurrentNameScope + "/";
            var check = Assert(Greater(Size(strings), Constant(0)), [Constant(notNull)]);
            using (ControlDependencies(check)) strings = Identity(strings);
            return InputProducer(strings, null, numEpochs, shuffle, seed, capacity, sharedName,
                Invariant($"fraction_of_{capacity}_full"), scope);
        }
    }

    /// <summary>String input producer over a list of strings (a Const named <c>input_producer/Const</c>).</summary>
    public Queue StringInputProducer(string[] strings, int? numEpochs = null, bool shuffle = true, int? seed = null, int capacity = 32,
        string? sharedName = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(strings);
        if (strings.Length == 0) throw new InvalidArgumentException("string_input_producer requires a non-null input tensor");
        using (NameScope(name ?? "input_producer"))
        {
            var scope = CurrentNameScope + "/";
            var t = Constant(Tensor.FromArray(strings));
            return StringInputProducer(t, numEpochs, shuffle, seed, capacity, sharedName, scope);
        }
    }

    /// <summary>TF's <c>tf.train.range_input_producer</c>: a queue of the integers 0 … limit-1 per epoch.</summary>
    public Queue RangeInputProducer(Output limit, int? numEpochs = null, bool shuffle = true, int? seed = null, int capacity = 32,
        string? sharedName = null, string? name = null)
    {
        using (NameScope(name ?? "input_producer"))
        {
            var scope = CurrentNameScope + "/";
            var range = Range(Constant(0), limit, Constant(1), "range");
            return InputProducer(range, Shape.Scalar, numEpochs, shuffle, seed, capacity, sharedName,
                Invariant($"fraction_of_{capacity}_full"), scope);
        }
    }

    /// <summary>
    /// TF's <c>tf.train.slice_input_producer</c>: one row of every tensor of
    /// <paramref name="tensors"/> at a time (the same row of each), in a shuffled order per epoch
    /// unless <paramref name="shuffle"/> is false, through a range input producer of row indices
    /// and <c>GatherV2</c>s.
    /// </summary>
    public Output[] SliceInputProducer(Output[] tensors, int? numEpochs = null, bool shuffle = true, int? seed = null, int capacity = 32,
        string? sharedName = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new InvalidArgumentException("Expected at least one tensor in slice_input_producer().");
        using (NameScope(name ?? "input_producer"))
        {
            var rangeSize = StridedSlice(ShapeOf(tensors[0]), [0], [1], [1], shrinkAxisMask: 1);
            var queue = RangeInputProducer(rangeSize, numEpochs, shuffle, seed, capacity, sharedName);
            var index = queue.Dequeue()[0];
            return [.. tensors.Select(t => Gather(t, index))];
        }
    }

    /// <summary>
    /// TF's <c>tf.train.batch</c>: a FIFO queue (a padding FIFO queue with
    /// <paramref name="dynamicPad"/>) of <paramref name="capacity"/> elements filled by
    /// <paramref name="numThreads"/> copies of an enqueue op run by a queue runner, and a
    /// DequeueMany (DequeueUpTo with <paramref name="allowSmallerFinalBatch"/>) of
    /// <paramref name="batchSize"/> named after the scope (<c>batch</c>). With
    /// <paramref name="enqueueMany"/> the inputs are batches already.
    /// </summary>
    public Output[] Batch(Output[] tensors, int batchSize, int numThreads = 1, int capacity = 32, bool enqueueMany = false, Shape[]? shapes = null,
        bool dynamicPad = false, bool allowSmallerFinalBatch = false, string? sharedName = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using (NameScope(name ?? "batch"))
        {
            var scope = CurrentNameScope + "/";
            var types = tensors.Select(t => t.DType).ToArray();
            var elementShapes = InputShapes(tensors, shapes, enqueueMany);
            var queue = dynamicPad
                ? PaddingFIFOQueue(capacity, types, elementShapes, sharedName)
                : FIFOQueue(capacity, types, CheckFullyDefined(elementShapes), sharedName);
            EnqueueForRunner(queue, tensors, numThreads, enqueueMany);
            ScalarSummary(Invariant($"fraction_of_{capacity}_full"), Cast(queue.Size(), DType.Float32) * Tensor.Scalar(1f / capacity));
            return allowSmallerFinalBatch ? queue.DequeueUpTo(batchSize, scope) : queue.DequeueMany(batchSize, scope);
        }
    }

    /// <summary>
    /// TF's <c>tf.train.shuffle_batch</c>: a random shuffle queue of <paramref name="capacity"/>
    /// that keeps <paramref name="minAfterDequeue"/> elements for mixing, filled by a queue runner,
    /// and a DequeueMany (or DequeueUpTo) of <paramref name="batchSize"/> named after the scope
    /// (<c>shuffle_batch</c>).
    /// </summary>
    public Output[] ShuffleBatch(Output[] tensors, int batchSize, int capacity, int minAfterDequeue, int numThreads = 1, int? seed = null,
        bool enqueueMany = false, Shape[]? shapes = null, bool allowSmallerFinalBatch = false, string? sharedName = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using (NameScope(name ?? "shuffle_batch"))
        {
            var scope = CurrentNameScope + "/";
            if (capacity <= minAfterDequeue)
                throw new InvalidArgumentException(Invariant($"capacity {capacity} must be bigger than min_after_dequeue {minAfterDequeue}."));
            var types = tensors.Select(t => t.DType).ToArray();
            var elementShapes = CheckFullyDefined(InputShapes(tensors, shapes, enqueueMany));
            var queue = RandomShuffleQueue(capacity, minAfterDequeue, types, elementShapes, seed, sharedName);
            EnqueueForRunner(queue, tensors, numThreads, enqueueMany);
            var full = Cast(Maximum(Constant(0), queue.Size() - Tensor.Scalar(minAfterDequeue)), DType.Float32) * Tensor.Scalar(1f / (capacity - minAfterDequeue));
            ScalarSummary(Invariant($"fraction_over_{minAfterDequeue}_of_{capacity - minAfterDequeue}_full"), full);
            return allowSmallerFinalBatch ? queue.DequeueUpTo(batchSize, scope) : queue.DequeueMany(batchSize, scope);
        }
    }

    private static Shape[] InputShapes(Output[] tensors, Shape[]? shapes, bool enqueueMany)
    {
        if (tensors.Length == 0) throw new InvalidArgumentException("Expected at least one tensor in batch().");
        if (shapes is not null)
        {
            if (shapes.Length != tensors.Length) throw new InvalidArgumentException($"Got {shapes.Length} shapes for {tensors.Length} tensors");
            return shapes;
        }
        return [.. tensors.Select(t =>
        {
            if (!t.Shape.IsRankKnown) throw new InvalidArgumentException($"Cannot infer Tensor's rank: {t.Name}");
            if (!enqueueMany) return t.Shape;
            if (t.Shape.Rank == 0) throw new InvalidArgumentException($"Shape must be at least rank 1 for enqueue_many: {t.Name}");
            return new Shape(t.Shape.ToArray()[1..]);
        })];
    }

    private static Shape[] CheckFullyDefined(Shape[] shapes)
    {
        if (shapes.Any(s => !s.IsFullyDefined))
            throw new InvalidArgumentException("All shapes must be fully defined: [" + string.Join(", ", shapes.Select(s => s.ToString())) + "]");
        return shapes;
    }

    private static void EnqueueForRunner(Queue queue, Output[] tensors, int numThreads, bool enqueueMany)
    {
        if (numThreads < 1) throw new InvalidArgumentException(string.Create(CultureInfo.InvariantCulture, $"num_threads must be >= 1, got {numThreads}"));
        var op = enqueueMany ? queue.EnqueueMany(tensors) : queue.Enqueue(tensors);
        QueueRunners.Add(new QueueRunner(queue, [.. Enumerable.Repeat(op, numThreads)]));
    }
}
