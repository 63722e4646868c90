using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// ShuffleDataset: the input's elements in random order, drawn from a buffer of <c>buffer_size</c>
/// elements (TF's <c>Dataset.shuffle</c>): the buffer is filled, then each element out is a random
/// slot of it, refilled from the input. Seeds follow TF: (seed, seed2) both 0 is nondeterministic,
/// anything else a fixed sequence. With <c>reshuffle_each_iteration</c> every iterator made from
/// one dataset (each epoch of a RepeatDataset above it) draws fresh seeds from a generator seeded
/// by (seed, seed2), so epochs differ but the whole sequence is fixed per seed; without it every
/// iterator repeats the same order.
/// </summary>
internal sealed class ShuffleDatasetSpec : UnaryDatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("reshuffle_each_iteration", "bool", Attr.Bool(true)), .. ElementAttrs(), Metadata];

    public const string OpType = "ShuffleDataset";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input_dataset: variant", "buffer_size: int64", "seed: int64", "seed2: int64"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var reshuffle = b.Op.GetAttrBool("reshuffle_each_iteration");
        var types = DatasetOps.Types(b.Op.GetAttr("output_types"));
        var shapes = DatasetOps.Shapes(b.Op.GetAttr("output_shapes"));
        return new LambdaKernel(ctx => ctx.SetOutput(0, Make(ctx, types, shapes, reshuffle).ToTensor()), OutputKind.External);
    }

    protected override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes) => Make(ctx, types, shapes, true);

    private static DatasetBase Make(OpContext ctx, DType[] types, Shape[] shapes, bool reshuffle)
    {
        var input = Input(ctx, types);
        long buffer = DatasetOps.Int64Scalar(ctx, 1, "buffer_size");
        if (buffer <= 0) throw new InvalidArgumentException("buffer_size must be greater than zero.");
        long seed = DatasetOps.Int64Scalar(ctx, 2, "seed");
        long seed2 = DatasetOps.Int64Scalar(ctx, 3, "seed2");
        if (seed == 0 && seed2 == 0)
        {
            seed = Random.Shared.NextInt64(1, long.MaxValue);
            seed2 = Random.Shared.NextInt64(1, long.MaxValue);
        }
        return new Dataset(input, types, shapes, (int)Math.Min(buffer, int.MaxValue), seed, seed2, reshuffle);
    }

    private sealed class Dataset(DatasetBase input, DType[] types, Shape[] shapes, int buffer, long seed, long seed2, bool reshuffle)
        : DatasetBase(OpType, types, shapes)
    {
        private readonly RandomStream _seeds = new(seed, seed2);

        public override DatasetIterator MakeIterator()
        {
            RandomStream rng;
            if (reshuffle)
            {
                lock (_seeds.Sync) rng = new RandomStream((long)_seeds.NextUInt64() | 1, (long)_seeds.NextUInt64());
            }
            else rng = new RandomStream(seed, seed2);
            return new It(input.MakeIterator(), buffer, rng);
        }
    }

    private sealed class It(DatasetIterator input, int size, RandomStream rng) : DatasetIterator
    {
        private readonly List<Tensor[]> _buffer = [];
        private bool _inputDone;

        public override Tensor[]? GetNext(OpContext ctx)
        {
            while (!_inputDone && _buffer.Count < size)
            {
                if (input.GetNext(ctx) is { } e) _buffer.Add(e);
                else _inputDone = true;
            }
            if (_buffer.Count == 0) return null;
            int i = (int)rng.NextInt64(0, _buffer.Count);
            var r = _buffer[i];
            int last = _buffer.Count - 1;
            _buffer[i] = _buffer[last];
            _buffer.RemoveAt(last);
            return r;
        }

        public override void Dispose()
        {
            input.Dispose();
            _buffer.Clear();
            base.Dispose();
        }
    }
}

public sealed partial class Graph
{
    /// <summary>A ShuffleDataset node (int64 scalar <paramref name="bufferSize"/>, <paramref name="seed"/>, <paramref name="seed2"/>).</summary>
    public Output ShuffleDataset(Output inputDataset, Output bufferSize, Output seed, Output seed2, DType[] outputTypes, Shape[] outputShapes,
        bool reshuffleEachIteration = true, string? name = null) =>
        AddOp(ShuffleDatasetSpec.OpType, [inputDataset, bufferSize, seed, seed2], name,
            attrs: [.. DatasetElementAttrs(outputTypes, outputShapes), new("reshuffle_each_iteration", Attr.Bool(reshuffleEachIteration))])[0];
}
