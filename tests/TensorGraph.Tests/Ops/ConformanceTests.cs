using TensorGraph.Ops;
using TensorGraph.Proto;

namespace TensorGraph.Tests.Ops;

/// <summary>
/// The conformance table: one row per registered op type saying how to build a small runnable
/// instance. Every row is built and run (twice, so reused buffers are covered) and each output's
/// run-time dtype and dims must agree with what build-time inference said. A registered op type
/// without a row fails <see cref="EveryRegisteredOpHasARow"/>: when you add an op, add its row here
/// (element-wise unary ops get theirs from <see cref="UnaryOpTable"/>).
/// </summary>
public class ConformanceTests
{
    /// <summary>What a row builds into: the graph, values to feed, and ops to run first (initializers).</summary>
    internal sealed class CaseBuilder(Graph graph)
    {
        public Graph G { get; } = graph;

        public FeedDict Feeds { get; } = new();

        public List<Operation> Setup { get; } = [];

        /// <summary>For ops that only run inside a while loop: what to fetch instead of the op's outputs.</summary>
        public Output? FetchInstead { get; set; }

        /// <summary>The outputs to fetch (default all); a Switch computes only one of its outputs.</summary>
        public int[]? LiveOutputs { get; set; }

        /// <summary>A placeholder of static shape <paramref name="shape"/> fed with <paramref name="value"/>.</summary>
        public Output Feed(Tensor value, Shape shape)
        {
            var p = G.Placeholder(value.DType, shape);
            Feeds[p] = value;
            return p;
        }

        /// <summary>The single op of <paramref name="type"/> in the graph (for builders that wrap the op in others).</summary>
        public Operation Find(string type) => G.Operations.Single(o => o.Type == type);

        /// <summary>An initialized variable.</summary>
        public Variable Var(Tensor initial)
        {
            var v = G.Variable(initial);
            Setup.Add(v.Initializer);
            return v;
        }
    }

    /// <summary>An initialized resource variable holding <paramref name="init"/>.</summary>
    private static Output Res(CaseBuilder b, Tensor init)
    {
        var h = b.G.VarHandleOp(init.DType, init.Shape);
        b.Setup.Add(b.G.AssignVariableOp(h, b.G.Constant(init)));
        return h;
    }

    private static Tensor M23 => new float[,] { { 1, 2, 3 }, { 4, 5, 6 } };

    private static Tensor Pos23 => new float[,] { { 0.5f, 1, 2 }, { 4, 9, 16 } };

    private static Tensor I23 => new[,] { { 7, -7, 3 }, { -3, 6, 1 } };

    private static Tensor Bools(params bool[] b) => b;

    /// <summary>An NHWC (or HWIO) float tensor of distinct-ish values, positive and negative.</summary>
    private static Tensor Img(int n, int h, int w, int c)
    {
        var a = new float[n, h, w, c];
        int k = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < h; j++)
                for (int l = 0; l < w; l++)
                    for (int m = 0; m < c; m++)
                        a[i, j, l, m] = (k++ * 7 % 11) - 5;
        return Tensor.FromArray(a);
    }

    /// <summary>
    /// The table: op type → a builder that returns the operation under test. Mix fed (partially
    /// unknown shapes) and constant inputs, and broadcasting where the op allows it.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, Func<CaseBuilder, Operation>> Rows =
        new Dictionary<string, Func<CaseBuilder, Operation>>(UnaryOpTable.ConformanceRows, StringComparer.Ordinal)
        {
            // ---------------------------------------------------------------- core
            ["Const"] = b => b.G.Constant(M23).Op,
            ["Placeholder"] = b => b.Feed(M23, [-1, 3]).Op,
            ["PlaceholderWithDefault"] = b => b.G.PlaceholderWithDefault(b.G.Constant(M23), [-1, 3]).Op,
            ["Identity"] = b => b.G.Identity(b.Feed(I23, [2, -1])).Op,
            ["NoOp"] = b => b.G.NoOp(),
            ["Switch"] = b =>
            {
                b.LiveOutputs = [1];
                return b.G.Switch(b.Feed(M23, [-1, 3]), b.Feed(Tensor.Scalar(true), Shape.Unknown)).True.Op;
            },
            ["RefSwitch"] = b =>
            {
                b.LiveOutputs = [0];
                return b.G.Switch(b.Var(M23).Ref, b.G.Constant(false)).False.Op;
            },
            ["Merge"] = b => b.G.Merge([b.Feed(M23, [-1, 3]), b.G.Constant(M23)]).Output.Op,
            ["Assert"] = b => b.G.Assert(b.Feed(Tensor.Scalar(true), Shape.Scalar), [b.Feed(M23, [-1, 3]), b.G.Constant("msg")]),
            ["All"] = b => b.G.ReduceAll(b.Feed(Tensor.FromArray(new[,] { { true, false }, { true, true } }), [-1, 2]), [1]).Op,
            ["Any"] = b => b.G.ReduceAny(b.Feed(Tensor.FromArray(new[,] { { true, false }, { false, false } }), [2, -1]), [0], keepDims: true).Op,
            ["Unique"] = b => b.G.Unique(b.Feed(new[] { 3, 1, 3, 2 }, [-1])).Y.Op,
            ["ScatterUpdate"] = b => b.G.ScatterUpdate(b.Var(M23), b.G.Constant(new[] { 1 }), b.Feed(new float[,] { { 7, 8, 9 } }, [-1, 3])).Op,
            ["ScatterAdd"] = b => b.G.ScatterAdd(b.Var(M23), b.G.Constant(new[] { 1, 1 }), b.Feed(M23, [2, 3])).Op,
            ["ScatterSub"] = b => b.G.ScatterSub(b.Var(M23), b.Feed(new long[] { 0 }, [-1]), b.G.Constant(new float[,] { { 1, 1, 1 } })).Op,
            // The loop ops run inside a frame: build a small loop and fetch its Exit.
            ["Exit"] = b => Loop(b).Op,
            ["Enter"] = b => LoopPart(b, "Enter"),
            ["NextIteration"] = b => LoopPart(b, "NextIteration"),
            ["LoopCond"] = b => LoopPart(b, "LoopCond"),
            ["RefEnter"] = b =>
            {
                var v = b.Var(M23);
                b.FetchInstead = b.G.WhileLoop(i => i < b.G.Constant(3), i =>
                {
                    var a = b.G.AssignAdd(v, b.G.Constant(M23));
                    using (b.G.ControlDependencies(a.Op)) return i + 1;
                }, b.G.Constant(0));
                return b.Find("RefEnter");
            },
            // ---------------------------------------------------------------- data flow (per-run stacks)
            ["StackV2"] = b => b.G.StackV2(b.Feed(Tensor.Scalar(-1), Shape.Scalar), DType.Float32).Op,
            ["StackPushV2"] = b => b.G.StackPushV2(b.G.StackV2(b.G.Constant(-1), DType.Float32), b.Feed(M23, [-1, 3])).Op,
            ["StackPopV2"] = b =>
            {
                var h = b.G.StackV2(b.G.Constant(2), DType.Float32);
                var push = b.G.StackPushV2(h, b.Feed(M23, [-1, 3]));
                using (b.G.ControlDependencies(push.Op)) return b.G.StackPopV2(h, DType.Float32).Op;
            },
            ["StackCloseV2"] = b => b.G.StackCloseV2(b.G.StackV2(b.G.Constant(-1), DType.Int32)),
            ["Stack"] = b => b.G.StackV1(DType.Float32).Op,
            ["StackPush"] = b => b.G.StackPushV1(b.G.StackV1(DType.Float32), b.Feed(M23, [-1, 3])).Op,
            ["StackPop"] = b =>
            {
                var h = b.G.StackV1(DType.Float32);
                var push = b.G.StackPushV1(h, b.Feed(M23, [-1, 3]));
                using (b.G.ControlDependencies(push.Op)) return b.G.StackPopV1(h, DType.Float32).Op;
            },
            ["StackClose"] = b => b.G.StackCloseV1(b.G.StackV1(DType.Int32)),
            // ---------------------------------------------------------------- data flow (session queues)
            ["FIFOQueueV2"] = b => b.G.FIFOQueue(10, [DType.Float32], [new Shape(3)]).Op,
            ["PaddingFIFOQueueV2"] = b => b.G.PaddingFIFOQueue(10, [DType.Float32], [new Shape(-1)]).Op,
            ["RandomShuffleQueueV2"] = b => b.G.RandomShuffleQueue(10, 2, [DType.Float32], [new Shape(3)], seed: 3).Op,
            ["PriorityQueueV2"] = b => b.G.PriorityQueue(10, [DType.Float32], [new Shape(3)]).Op,
            ["QueueEnqueueV2"] = b => b.G.FIFOQueue(-1, [DType.Float32], [new Shape(3)]).Enqueue(b.Feed(new float[] { 1, 2, 3 }, [-1])),
            ["QueueEnqueueManyV2"] = b => b.G.FIFOQueue(-1, [DType.Float32], [new Shape(3)]).EnqueueMany(b.Feed(M23, [-1, 3])),
            ["QueueDequeueV2"] = b => FilledQueue(b).Dequeue()[0].Op,
            ["QueueDequeueManyV2"] = b => FilledQueue(b).DequeueMany(2)[0].Op,
            ["QueueDequeueUpToV2"] = b => FilledQueue(b).DequeueUpTo(b.Feed(Tensor.Scalar(2), Shape.Scalar))[0].Op,
            ["QueueCloseV2"] = b => b.G.FIFOQueue(-1, [DType.Float32]).Close(cancelPendingEnqueues: true),
            ["QueueSizeV2"] = b => FilledQueue(b).Size().Op,
            ["QueueIsClosedV2"] = b => FilledQueue(b).IsClosed().Op,
            // ---------------------------------------------------------------- lookup tables
            ["HashTableV2"] = b => b.G.HashTableV2(DType.String, DType.Int64).Op,
            ["LookupTableImportV2"] = b => b.G.LookupTableImportV2(b.G.HashTableV2(DType.String, DType.Int64), b.G.Constant(new[] { "W", "L" }), b.G.Constant(new[] { 0L, 1L })),
            ["LookupTableFindV2"] = b =>
            {
                var t = b.G.HashTableV2(DType.String, DType.Int64);
                b.Setup.Add(b.G.LookupTableImportV2(t, b.G.Constant(new[] { "W", "L" }), b.G.Constant(new[] { 0L, 1L })));
                return b.G.LookupTableFindV2(t, b.Feed(Tensor.FromArray(new[] { "L", "x", "W" }), [-1]), b.G.Constant(Tensor.Scalar(-1L))).Op;
            },
            ["CountUpTo"] = b => b.G.CountUpTo(b.Var(Tensor.Scalar(0L)), 10).Op,
            ["RandomShuffle"] = b => b.G.RandomShuffle(b.Feed(M23, [-1, 3]), seed: 5).Op,
            ["TFRecordReaderV2"] = b => b.G.TFRecordReader().Op,
            ["ReaderReadV2"] = b =>
            {
                var files = b.G.FIFOQueue(-1, [DType.String], [Shape.Scalar]);
                b.Setup.Add(files.Enqueue(b.G.Constant(Tensor.Scalar(RecordFile()))));
                return b.G.ReaderRead(b.G.TFRecordReader(), files).Key.Op;
            },
            ["ParseSingleExample"] = b => b.G.ParseSingleExample(b.Feed(Tensor.Scalar(Queues.ReaderTests.ExampleBytes([1, 2], 3)), Shape.Scalar),
                ["x", "label"], [b.G.Constant(Array.Empty<float>()), b.G.Constant(Tensor.Scalar(0L))], [new Shape(2), Shape.Scalar])[0].Op,
            // ---------------------------------------------------------------- tf.data (datasets are variant scalars)
            ["TensorDataset"] = b => b.G.TensorDataset([b.Feed(M23, [-1, 3])]).Op,
            ["TensorSliceDataset"] = b => b.G.TensorSliceDataset([b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 1, 2 })]).Op,
            ["RangeDataset"] = b => b.G.RangeDataset(b.G.Constant(Tensor.Scalar(0L)), b.Feed(Tensor.Scalar(5L), Shape.Scalar), b.G.Constant(Tensor.Scalar(2L))).Op,
            ["TFRecordDataset"] = b => b.G.TFRecordDataset(b.G.Constant(new[] { RecordFile() }), b.G.Constant(Tensor.Scalar("")), b.G.Constant(Tensor.Scalar(0L))).Op,
            ["BatchDatasetV2"] = b => Dataset.Range(b.G, 5).Batch(2).Variant.Op,
            ["BatchDataset"] = b => b.G.BatchDataset(Dataset.Range(b.G, 5).Variant, b.G.Constant(Tensor.Scalar(2L)), [DType.Int64], [new Shape(-1)]).Op,
            ["PaddedBatchDatasetV2"] = b => Dataset.FromTensorSlices(b.G, M23).PaddedBatch(2, [new Shape(4)]).Variant.Op,
            ["ShuffleDataset"] = b => Dataset.Range(b.G, 5).Shuffle(3, seed: 1).Variant.Op,
            ["RepeatDataset"] = b => Dataset.Range(b.G, 5).Repeat(2).Variant.Op,
            ["TakeDataset"] = b => Dataset.Range(b.G, 5).Take(2).Variant.Op,
            ["MapDataset"] = b => Dataset.Range(b.G, 5).Map((g, e) => [g.Multiply(e[0], 2L)]).Variant.Op,
            ["FilterDataset"] = b => Dataset.Range(b.G, 5).Filter((g, e) => g.Greater(e[0], 1L)).Variant.Op,
            ["SkipDataset"] = b => Dataset.Range(b.G, 5).Skip(2).Variant.Op,
            ["PrefetchDataset"] = b => Dataset.Range(b.G, 5).Prefetch(2).Variant.Op,
            ["ZipDataset"] = b => Dataset.Zip(Dataset.Range(b.G, 5), Dataset.FromTensorSlices(b.G, M23)).Variant.Op,
            ["OptimizeDataset"] = b => b.G.OptimizeDataset(Dataset.Range(b.G, 5).Variant, b.G.Constant(new[] { "noop_elimination" }), [DType.Int64], [Shape.Scalar]).Op,
            ["ModelDataset"] = b => b.G.ModelDataset(Dataset.Range(b.G, 5).Variant, [DType.Int64], [Shape.Scalar]).Op,
            ["IteratorV2"] = b => b.G.IteratorV2([DType.Float32], [new Shape(3)]).Op,
            ["Iterator"] = b => b.G.Iterator([DType.Float32], [new Shape(3)]).Op,
            ["MakeIterator"] = b => Dataset.FromTensorSlices(b.G, M23).MakeInitializableIterator().Initializer!,
            ["IteratorGetNext"] = b =>
            {
                // Two runs read two of the three rows.
                var it = Dataset.FromTensorSlices(b.G, b.Feed(new float[3, 3], [-1, 3])).MakeInitializableIterator();
                b.Setup.Add(it.Initializer!);
                return it.GetNext()[0].Op;
            },
            ["IteratorToStringHandle"] = b => Dataset.Range(b.G, 5).MakeInitializableIterator().StringHandle().Op,
            ["IteratorFromStringHandleV2"] = b =>
                Iterator.FromStringHandle(Dataset.Range(b.G, 5).MakeInitializableIterator().StringHandle(), [DType.Int64], [Shape.Scalar]).Handle.Op,
            ["OneShotIterator"] = b =>
            {
                // Its dataset_factory: a library function that makes the dataset (run once per session).
                b.G.DefineFunction("_make_dataset", [], (f, _) => [Dataset.Range(f, 5).Variant]);
                return b.G.AddOp(OneShotIteratorSpec.OpType, [], null, attrs:
                [
                    new("dataset_factory", new AttrValue { Func = new NameAttrList { Name = "_make_dataset" } }),
                    new("output_types", Attr.Types([DType.Int64])), new("output_shapes", Attr.Shapes([Shape.Scalar])),
                ]);
            },
            ["ParallelMapDataset"] = b => Dataset.Range(b.G, 5).Map((g, e) => [g.Multiply(e[0], 2L)], 2).Variant.Op,
            ["ParallelMapDatasetV2"] = b =>
            {
                var input = Dataset.Range(b.G, 5);
                b.G.DefineFunction("_double", [DType.Int64], (f, e) => [f.Multiply(e[0], 2L)], [Shape.Scalar]);
                return b.G.AddOp(ParallelMapDatasetV2Spec.OpType, [input.Variant, b.G.Constant(Tensor.Scalar(-1L))], null, attrs:
                    [.. DatasetOps.FunctionNodeAttrs("f", "_double", [], [DType.Int64], [Shape.Scalar]), new("deterministic", Attr.String("true"))]);
            },
            // ---------------------------------------------------------------- data flow (per-run tensor arrays)
            ["TensorArrayV3"] = b => b.G.TensorArrayV3(b.Feed(Tensor.Scalar(3), Shape.Scalar), DType.Float32, new Shape(-1, 3)).Handle.Op,
            ["TensorArrayGradV3"] = b => b.G.TensorArray(DType.Float32, 2).Write(0, b.Feed(M23, [-1, 3])).Grad("gradients").Handle.Op,
            ["TensorArrayGradWithShape"] = b =>
            {
                var ta = b.G.TensorArray(DType.Float32, 2).Write(0, b.Feed(M23, [-1, 3]));
                return b.G.TensorArrayGradWithShape(ta.Handle, ta.Flow, b.G.Constant(new[] { 4 }), "gradients").Handle.Op;
            },
            ["TensorArrayWriteV3"] = b => b.G.TensorArray(DType.Float32, 2).Write(1, b.Feed(M23, [-1, 3])).Flow.Op,
            ["TensorArrayReadV3"] = b => b.G.TensorArray(DType.Float32, 2).Write(1, b.Feed(M23, [-1, 3])).Read(1).Op,
            ["TensorArrayGatherV3"] = b => b.G.TensorArray(DType.Float32, 2, clearAfterRead: false).Unstack(b.Feed(M23, [-1, 3])).Gather(b.G.Constant(new[] { 1, 0, 1 })).Op,
            ["TensorArrayScatterV3"] = b => b.G.TensorArray(DType.Int32, 3).Scatter(b.G.Constant(new[] { 2, 0 }), b.Feed(I23, [2, -1])).Flow.Op,
            ["TensorArrayConcatV3"] = b =>
            {
                var ta = b.G.TensorArray(DType.Float32, 2, inferShape: false).Split(b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 0, 2 }));
                return b.G.TensorArrayConcatV3(ta.Handle, ta.Flow, DType.Float32).Value.Op;
            },
            ["TensorArraySplitV3"] = b => b.G.TensorArray(DType.Float32, 2).Split(b.Feed(M23, [-1, 3]), b.G.Constant(new long[] { 1, 1 })).Flow.Op,
            ["TensorArraySizeV3"] = b => b.G.TensorArray(DType.Float32, b.Feed(Tensor.Scalar(4), Shape.Scalar), dynamicSize: true).Write(6, b.G.Constant(1f)).Size().Op,
            ["TensorArrayCloseV3"] = b => b.G.TensorArray(DType.Float32, 2).Close(),
            ["ControlTrigger"] = b => b.G.ControlTrigger([b.G.NoOp()]),
            ["Cast"] = b => b.G.Cast(b.Feed(M23, [-1, 3]), DType.Int64).Op,
            ["IsVariableInitialized"] = b => b.G.IsVariableInitialized(b.G.Variable(M23)).Op,
            ["Gather"] = b => b.G.GatherV1(b.Feed(M23, [-1, 3]), b.Feed(new[,] { { 1, 0 }, { 1, 1 } }, [-1, 2])).Op,
            ["Shape"] = b => b.G.ShapeOf(b.Feed(M23, [-1, -1]), DType.Int64).Op,
            ["Rank"] = b => b.G.Rank(b.Feed(M23, Shape.Unknown)).Op,
            ["Size"] = b => b.G.Size(b.Feed(I23, [-1, 3])).Op,

            // ---------------------------------------------------------------- array
            ["Fill"] = b => b.G.Fill(b.Feed(new[] { 2, 3 }, [2]), b.G.Constant(1.5)).Op,
            ["Reshape"] = b => b.G.Reshape(b.Feed(M23, [-1, 3]), [3, -1]).Op,
            ["EnsureShape"] = b => b.G.EnsureShape(b.Feed(M23, [-1, 3]), new Shape(2, -1)).Op,
            ["ZerosLike"] = b => b.G.ZerosLike(b.Feed(I23, [-1, 3])).Op,
            ["OnesLike"] = b => b.G.OnesLike(b.Feed(M23, [2, -1])).Op,

            // ---------------------------------------------------------------- binary arithmetic
            ["Add"] = b => b.G.Add(b.G.Constant(new[] { "a", "b" }), b.Feed("c", [])).Op,
            ["AddV2"] = b => b.G.AddV2(b.Feed(M23, [-1, 3]), b.G.Constant(new float[] { 1, 2, 3 })).Op,
            ["Sub"] = b => b.G.Subtract(b.Feed(new float[,] { { 1 }, { 2 } }, [-1, 1]), b.G.Constant(new float[,] { { 1, 2, 3 } })).Op,
            ["Mul"] = b => b.G.Multiply(b.G.Constant(2), b.Feed(I23, [-1, 3])).Op,
            ["RealDiv"] = b => b.G.RealDiv(b.Feed(M23, [2, 3]), b.G.Constant(4f)).Op,
            ["DivNoNan"] = b => b.G.DivNoNan(b.Feed(M23, [2, 3]), b.G.Constant(new float[] { 2, 0, 4 })).Op,
            ["Div"] = b => b.G.Div(b.Feed(I23, [-1, 3]), b.G.Constant(new[] { 2, 3, -1 })).Op,
            ["FloorDiv"] = b => b.G.FloorDiv(b.Feed(I23, [-1, 3]), b.G.Constant(new[] { 2, 3, -1 })).Op,
            ["FloorMod"] = b => b.G.FloorMod(b.Feed(M23, [-1, 3]), b.G.Constant(-2.5f)).Op,
            ["Pow"] = b => b.G.Pow(b.Feed(Pos23, [-1, 3]), b.G.Constant(new float[] { 2, 0.5f, -1 })).Op,
            ["Maximum"] = b => b.G.Maximum(b.Feed(I23, [-1, -1]), b.G.Constant(0)).Op,
            ["Minimum"] = b => b.G.Minimum(b.Feed(M23, Shape.Unknown), b.G.Constant(new float[] { 2, 2, 2 })).Op,

            // ---------------------------------------------------------------- unary math: UnaryOpTable.Rows

            // ---------------------------------------------------------------- compare / logical / select
            ["Equal"] = b => b.G.Equal(b.Feed(I23, [-1, 3]), b.G.Constant(new[] { 7, 6, 0 })).Op,
            ["NotEqual"] = b => b.G.NotEqual(b.Feed(new[] { "a", "b" }, [-1]), b.G.Constant("a")).Op,
            ["Less"] = b => b.G.Less(b.Feed(M23, [-1, 3]), b.G.Constant(3f)).Op,
            ["LessEqual"] = b => b.G.LessEqual(b.Feed(I23, [-1, 3]), b.G.Constant(new[,] { { 0 }, { 1 } })).Op,
            ["Greater"] = b => b.G.Greater(b.Feed(M23, [-1, 3]), b.G.Constant(3f)).Op,
            ["GreaterEqual"] = b => b.G.GreaterEqual(b.G.Constant(new long[] { 1, 5 }), b.Feed(new long[] { 3 }, [-1])).Op,
            ["LogicalAnd"] = b => b.G.LogicalAnd(b.Feed(Bools(true, false, true), [-1]), b.G.Constant(true)).Op,
            ["LogicalOr"] = b => b.G.LogicalOr(b.Feed(Bools(true, false), [-1]), b.G.Constant(new[] { false, false })).Op,
            ["LogicalNot"] = b => b.G.LogicalNot(b.Feed(Bools(true, false), [2])).Op,
            ["Select"] = b => b.G.Select(b.Feed(Bools(true, false), [-1]), b.G.Constant(M23), b.G.ZerosLike(b.G.Constant(M23))).Op,

            // ---------------------------------------------------------------- more math
            ["SquaredDifference"] = b => b.G.SquaredDifference(b.Feed(M23, [-1, 3]), b.G.Constant(new float[] { 1, 2, 3 })).Op,
            ["ClipByValue"] = b => b.G.ClipByValueOp(b.Feed(M23, [-1, 3]), b.G.Constant(2f), b.G.Constant(5f)).Op,
            ["ArgMax"] = b => b.G.ArgMax(b.Feed(M23, [-1, 3]), 1).Op,
            ["ArgMin"] = b => b.G.ArgMin(b.Feed(I23, [2, -1]), b.Feed(0, []), DType.Int32).Op,
            ["Cumsum"] = b => b.G.Cumsum(b.Feed(M23, [-1, 3]), 1, exclusive: true).Op,
            ["Cumprod"] = b => b.G.Cumprod(b.Feed(I23, [2, -1]), b.G.Constant(0), reverse: true).Op,
            ["SigmoidGrad"] = b => b.G.SigmoidGrad(b.Feed(M23, [-1, 3]), b.G.Constant(M23)).Op,
            ["TanhGrad"] = b => b.G.TanhGrad(b.Feed(M23, [-1, 3]), b.G.Constant(M23)).Op,

            // ---------------------------------------------------------------- activations
            ["LeakyRelu"] = b => b.G.LeakyRelu(b.Feed(M23, [-1, 3]) - 3f, 0.1f).Op,
            ["ReluGrad"] = b => b.G.ReluGrad(b.Feed(M23, [-1, 3]), b.G.Constant(M23) - 3f).Op,
            ["Relu6Grad"] = b => b.G.Relu6Grad(b.Feed(M23, [-1, 3]), b.G.Constant(M23)).Op,
            ["EluGrad"] = b => b.G.EluGrad(b.Feed(M23, [-1, 3]), b.G.Constant(M23) - 3f).Op,
            ["SeluGrad"] = b => b.G.SeluGrad(b.Feed(M23, [-1, 3]), b.G.Constant(M23) - 3f).Op,
            ["SoftplusGrad"] = b => b.G.SoftplusGrad(b.Feed(M23, [-1, 3]), b.G.Constant(M23)).Op,
            ["SoftsignGrad"] = b => b.G.SoftsignGrad(b.Feed(M23, [-1, 3]), b.G.Constant(M23) - 3f).Op,
            ["AsString"] = b => b.G.AsString(b.Feed(new[] { -1.5f, 0f, 2.25f }, [-1]), precision: 2, width: 6).Op,
            ["Bucketize"] = b => b.G.Bucketize(b.Feed(new[] { -1f, 0f, 0.5f, 3f, 10f }, [-1]), [0f, 1f, 5f]).Op,
            ["IsFinite"] = b => b.G.IsFinite(b.Feed(new[] { 1f, float.PositiveInfinity, float.NaN, -2f }, [-1])).Op,
            ["ReverseSequence"] = b => b.G.ReverseSequence(b.Feed(M23, [-1, 3]), b.G.Constant(new long[] { 3, 2 }), seqAxis: 1).Op,
            ["ResourceApplyAdam"] = b =>
            {
                Output Res(Tensor init)
                {
                    var h = b.G.VarHandleOp(DType.Float32, [2, 3]);
                    b.Setup.Add(b.G.AssignVariableOp(h, b.G.Constant(init)));
                    return h;
                }
                return b.G.ResourceApplyAdam(Res(M23), Res(M23), Res(Pos23), b.G.Constant(0.9f), b.G.Constant(0.99f), b.G.Constant(0.01f),
                    b.G.Constant(0.9f), b.G.Constant(0.999f), b.G.Constant(1e-8f), b.Feed(M23, [2, 3]));
            },
            ["ResourceSparseApplyMomentum"] = b => b.G.ResourceSparseApplyMomentum(Res(b, M23), Res(b, M23), b.G.Constant(0.1f), b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 1, 0 }), b.G.Constant(0.9f)),
            ["ResourceSparseApplyAdagrad"] = b => b.G.ResourceSparseApplyAdagrad(Res(b, M23), Res(b, Pos23), b.G.Constant(0.1f), b.Feed(M23, [-1, 3]), b.G.Constant(new long[] { 1, 1 })),
            ["ResourceSparseApplyRMSProp"] = b => b.G.ResourceSparseApplyRMSProp(Res(b, M23), Res(b, Pos23), Res(b, M23), b.G.Constant(0.1f), b.G.Constant(0.9f),
                b.G.Constant(0.5f), b.G.Constant(1e-7f), b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 0, 1 })),
            ["ResourceSparseApplyCenteredRMSProp"] = b => b.G.ResourceSparseApplyCenteredRMSProp(Res(b, M23), Res(b, M23), Res(b, Pos23), Res(b, M23), b.G.Constant(0.1f),
                b.G.Constant(0.9f), b.G.Constant(0.5f), b.G.Constant(100f), b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 1, 0 })),
            ["ResourceApplyFtrl"] = b => b.G.ResourceApplyFtrl(Res(b, M23), Res(b, Pos23), Res(b, M23), b.Feed(M23, [2, 3]), b.G.Constant(0.1f), b.G.Constant(0.01f), b.G.Constant(0.02f), b.G.Constant(-0.5f)),
            ["ResourceApplyFtrlV2"] = b => b.G.ResourceApplyFtrlV2(Res(b, M23), Res(b, Pos23), Res(b, M23), b.Feed(M23, [2, 3]), b.G.Constant(0.1f), b.G.Constant(0.01f), b.G.Constant(0.02f),
                b.G.Constant(0.3f), b.G.Constant(-0.4f)),
            ["ResourceSparseApplyFtrl"] = b => b.G.ResourceSparseApplyFtrl(Res(b, M23), Res(b, Pos23), Res(b, M23), b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 1, 0 }), b.G.Constant(0.1f),
                b.G.Constant(0.01f), b.G.Constant(0.02f), b.G.Constant(-0.5f)),
            ["ResourceSparseApplyFtrlV2"] = b => b.G.ResourceSparseApplyFtrlV2(Res(b, M23), Res(b, Pos23), Res(b, M23), b.Feed(M23, [-1, 3]), b.G.Constant(new long[] { 1, 1 }), b.G.Constant(0.1f),
                b.G.Constant(0.01f), b.G.Constant(0.02f), b.G.Constant(0.3f), b.G.Constant(-0.4f)),
            ["ResourceGather"] = b => b.G.ResourceGather(Res(b, M23), b.Feed(new[] { 1, 0, 1 }, [-1]), DType.Float32).Op,
            ["ResourceScatterAdd"] = b => b.G.ResourceScatterAdd(Res(b, M23), b.Feed(new[] { 1, 1 }, [-1]), b.G.Constant(M23)),
            ["ResourceScatterSub"] = b => b.G.ResourceScatterSub(Res(b, M23), b.G.Constant(new long[] { 0 }), b.G.Constant(new float[,] { { 1, 1, 1 } })),
            ["ResourceScatterUpdate"] = b => b.G.ResourceScatterUpdate(Res(b, M23), b.G.Constant(new[] { 1 }), b.G.Constant(new float[,] { { 1, 1, 1 } })),
            ["VariableShape"] = b => b.G.VariableShape(Res(b, M23), DType.Int64).Op,
            ["LeakyReluGrad"] = b => b.G.LeakyReluGrad(b.Feed(M23, [-1, 3]), b.G.Constant(M23) - 3f, 0.1f).Op,

            // ---------------------------------------------------------------- convolution and pooling
            ["Conv2D"] = b => b.G.Conv2D(b.Feed(Img(1, 4, 4, 2), [-1, 4, -1, 2]), b.G.Constant(Img(2, 2, 2, 3)), [1, 2, 1, 1], "SAME").Op,
            ["Conv2DBackpropInput"] = b => b.G.Conv2DBackpropInput(b.G.Constant(new[] { 1, 4, 4, 2 }), b.G.Constant(Img(2, 2, 2, 3)),
                b.Feed(Img(1, 2, 4, 3), [-1, 2, 4, 3]), [1, 2, 1, 1], "SAME").Op,
            ["Conv2DBackpropFilter"] = b => b.G.Conv2DBackpropFilter(b.Feed(Img(1, 4, 4, 2), [-1, 4, 4, 2]), b.G.Constant(new[] { 2, 2, 2, 3 }),
                b.G.Constant(Img(1, 3, 3, 3)), [1, 1, 1, 1], "VALID").Op,
            ["MaxPool"] = b => b.G.MaxPool(b.Feed(Img(1, 5, 4, 2), [-1, -1, 4, 2]), [1, 2, 2, 1], [1, 2, 2, 1], "SAME").Op,
            ["AvgPool"] = b => b.G.AvgPool(b.Feed(Img(2, 4, 4, 2), [-1, 4, 4, 2]), [1, 2, 2, 1], [1, 2, 2, 1], "VALID").Op,
            ["AvgPoolGrad"] = b => b.G.AvgPoolGrad(b.Feed(new[] { 1, 4, 4, 2 }, [4]), b.G.Constant(Img(1, 2, 2, 2)), [1, 2, 2, 1], [1, 2, 2, 1], "VALID").Op,
            ["MaxPoolGrad"] = b =>
            {
                var x = b.Feed(Img(1, 4, 4, 2), [-1, 4, 4, 2]);
                var y = b.G.MaxPool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID");
                return b.G.MaxPoolGrad(x, y, b.G.OnesLike(y), [1, 2, 2, 1], [1, 2, 2, 1], "VALID").Op;
            },
            ["MaxPoolGradGrad"] = b =>
            {
                var x = b.Feed(Img(1, 4, 4, 2), [-1, 4, 4, 2]);
                var y = b.G.MaxPool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID");
                return b.G.MaxPoolGradGrad(x, y, b.G.OnesLike(x), [1, 2, 2, 1], [1, 2, 2, 1], "VALID").Op;
            },

            // ---------------------------------------------------------------- images
            ["ResizeBilinear"] = b => b.G.ResizeBilinear(b.Feed(Img(2, 3, 4, 2), [-1, 3, -1, 2]), b.G.Constant(new[] { 5, 2 })).Op,
            ["ResizeBilinearGrad"] = b => b.G.ResizeBilinearGrad(b.Feed(Img(2, 5, 2, 2), [-1, 5, 2, 2]), b.Feed(Img(2, 3, 4, 2), [2, 3, 4, -1]), halfPixelCenters: true).Op,
            ["ResizeNearestNeighbor"] = b => b.G.ResizeNearestNeighbor(b.Feed(I23.Reshape(1, 2, 3, 1), [1, -1, 3, 1]), b.Feed((Tensor)new[] { 4, 4 }, [2]), alignCorners: true).Op,
            ["ResizeNearestNeighborGrad"] = b => b.G.ResizeNearestNeighborGrad(b.Feed(Img(1, 4, 4, 2), [-1, 4, 4, 2]), b.G.Constant(new[] { 3, 2 })).Op,
            ["ResizeBicubic"] = b => b.G.ResizeBicubic(b.Feed(Img(2, 3, 4, 2), [-1, 3, -1, 2]), b.G.Constant(new[] { 5, 7 }), halfPixelCenters: true).Op,
            ["ResizeBicubicGrad"] = b => b.G.ResizeBicubicGrad(b.Feed(Img(2, 5, 7, 2), [-1, 5, 7, 2]), b.Feed(Img(2, 3, 4, 2), [2, 3, 4, -1])).Op,
            ["ResizeArea"] = b => b.G.ResizeArea(b.Feed(Img(1, 4, 5, 3), [1, 4, 5, 3]), b.G.Constant(new[] { 3, 2 })).Op,
            ["EncodePng"] = b => b.G.EncodePng(b.Feed(Tensor.Create(new byte[] { 1, 2, 3, 4, 5, 6 }, 1, 2, 3), [-1, -1, 3]), compression: 9).Op,
            ["DecodePng"] = b => b.G.DecodePng(b.Feed(Tensor.Scalar(Image.ImageFixtures.Bytes("palette_trns.png")), Shape.Scalar), channels: 4).Op,
            ["DecodeJpeg"] = b => b.G.DecodeJpeg(b.Feed(Tensor.Scalar(Image.ImageFixtures.Bytes("rgb.jpg")), Shape.Scalar), channels: 3).Op,
            ["DecodeGif"] = b => b.G.DecodeGif(b.Feed(Tensor.Scalar(Image.ImageFixtures.Bytes("two_frames.gif")), Shape.Scalar)).Op,
            ["DecodeBmp"] = b => b.G.DecodeBmp(b.Feed(Tensor.Scalar(Image.ImageFixtures.Bytes("rgb24.bmp")), Shape.Scalar)).Op,
            ["ReadFile"] = b => b.G.ReadFile(b.Feed(Tensor.Scalar(Image.ImageFixtures.Path("rgb24.bmp")), Shape.Scalar)).Op,
            ["WriteFile"] = b => b.G.WriteFile(b.G.Constant(Tensor.Scalar(TempFile())), b.Feed(Tensor.Scalar("contents"), Shape.Unknown)),

            // ---------------------------------------------------------------- more array
            ["ExpandDims"] = b => b.G.ExpandDims(b.Feed(M23, [-1, 3]), b.G.Constant(-1)).Op,
            ["Squeeze"] = b => b.G.Squeeze(b.Feed(Tensor.FromArray(new float[2, 1, 3]), [-1, 1, 3]), [1]).Op,
            ["BroadcastTo"] = b => b.G.BroadcastTo(b.Feed(new float[] { 1, 2, 3 }, [-1]), b.G.Constant(new[] { 2, 3 })).Op,
            ["ConcatV2"] = b => b.G.Concat([b.Feed(M23, [-1, 3]), b.G.Constant(M23)], b.G.Constant(0)).Op,
            ["ConcatOffset"] = b => b.G.ConcatOffset(b.G.Constant(1), [b.Feed(new[] { 2, 3 }, [2]), b.G.Constant(new[] { 2, 5 })])[0].Op,
            ["ShapeN"] = b => b.G.ShapeN([b.Feed(M23, [-1, -1]), b.G.Constant(new float[] { 1 })], DType.Int64)[0].Op,
            ["Pack"] = b => b.G.Stack([b.Feed(M23, [-1, 3]), b.G.Constant(M23)], 1).Op,
            ["Unpack"] = b => b.G.Unstack(b.Feed(M23, [-1, 3]), axis: 1)[0].Op,
            ["GatherV2"] = b => b.G.Gather(b.Feed(M23, [-1, 3]), b.Feed(new[] { 2, 0, 1, 1 }, [-1]), b.G.Constant(1)).Op,
            ["UnsortedSegmentSum"] = b => b.G.UnsortedSegmentSum(b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 2, 0 }), b.G.Constant(3)).Op,
            ["GatherNd"] = b => b.G.GatherNd(b.Feed(M23, [-1, 3]), b.Feed(Tensor.FromArray(new long[,] { { 1, 2 }, { 0, 0 }, { 1, 0 } }), [-1, 2])).Op,
            ["ScatterNd"] = b => b.G.ScatterNd(b.Feed(Tensor.FromArray(new[,] { { 1 }, { 0 }, { 1 } }), [-1, 1]), b.Feed(new float[,] { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 } }, [-1, 3]),
                b.G.Constant(new[] { 2, 3 })).Op,
            ["SparseReshape"] = b => b.G.SparseReshape(b.Feed(Tensor.FromArray(new long[,] { { 0, 1 }, { 1, 2 } }), [-1, 2]), b.G.Constant(new long[] { 2, 3 }),
                b.G.Constant(new long[] { 3, -1 })).OutputIndices.Op,
            ["SparseFillEmptyRows"] = b => b.G.SparseFillEmptyRows(b.Feed(Tensor.FromArray(new long[,] { { 0, 1 }, { 2, 0 } }), [-1, 2]), b.Feed(new[] { 5f, 6f }, [-1]),
                b.G.Constant(new long[] { 4, 3 }), b.G.Constant(-1f)).OutputIndices.Op,
            ["SparseFillEmptyRowsGrad"] = b => b.G.SparseFillEmptyRowsGrad(b.Feed(new long[] { 0, 2 }, [-1]), b.Feed(new[] { 1f, 2f, 3f, 4f }, [-1])).DValues.Op,
            ["SegmentSum"] = b => b.G.SegmentSum(b.Feed(M23, [-1, 3]), b.G.Constant(new long[] { 0, 2 })).Op,
            ["SparseSegmentSum"] = b => b.G.SparseSegmentSum(b.Feed(M23, [-1, 3]), b.G.Constant(new long[] { 1, 0, 1 }), b.G.Constant(new[] { 0, 0, 2 })).Op,
            ["SparseSegmentMean"] = b => b.G.SparseSegmentMean(b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 1, 0, 1 }), b.G.Constant(new[] { 0, 0, 2 })).Op,
            ["SparseSegmentSqrtN"] = b => b.G.SparseSegmentSqrtN(b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 1, 0, 1 }), b.G.Constant(new[] { 0, 0, 2 })).Op,
            ["SparseSegmentMeanGrad"] = b => b.G.SparseSegmentMeanGrad(b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 1, 0, 1 }), b.G.Constant(new[] { 0, 0, 1 }),
                b.G.Constant(4)).Op,
            ["SparseSegmentSqrtNGrad"] = b => b.G.SparseSegmentSqrtNGrad(b.Feed(M23, [-1, 3]), b.G.Constant(new long[] { 1, 0, 1 }), b.G.Constant(new[] { 0, 0, 1 }),
                b.G.Constant(4)).Op,
            ["SparseToDense"] = b => b.G.SparseToDense(b.Feed(Tensor.FromArray(new long[,] { { 0, 1 }, { 1, 2 } }), [-1, 2]), b.G.Constant(new long[] { 2, 3 }),
                b.G.Constant(new[] { 5f, 6f }), b.G.Constant(0f)).Op,
            ["OneHot"] = b => b.G.OneHot(b.Feed(new[] { 0, 2, 1 }, [-1]), b.G.Constant(4), b.G.Constant(1f), b.G.Constant(0f)).Op,
            ["Slice"] = b => b.G.Slice(b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 0, 1 }), b.G.Constant(new[] { -1, 2 })).Op,
            ["StridedSlice"] = b => b.G.StridedSlice(b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 1, 0 }), b.G.Constant(new[] { 2, 3 }),
                b.G.Constant(new[] { 1, 2 }), shrinkAxisMask: 1).Op,
            ["StridedSliceGrad"] = b => b.G.StridedSliceGrad(b.G.Constant(new[] { 2, 3 }), b.G.Constant(new[] { 0, 0 }), b.G.Constant(new[] { 2, 3 }),
                b.G.Constant(new[] { 1, 2 }), b.Feed(new float[,] { { 1, 2 }, { 3, 4 } }, [-1, 2])).Op,
            ["Split"] = b => b.G.Split(b.Feed(M23, [-1, 3]), b.G.Constant(1), 3)[0].Op,
            ["SplitV"] = b => b.G.SplitV(b.Feed(M23, [2, -1]), b.G.Constant(new[] { 1, -1 }), b.G.Constant(1), 2)[0].Op,
            ["Transpose"] = b => b.G.Transpose(b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 1, 0 })).Op,
            ["InvertPermutation"] = b => b.G.InvertPermutation(b.Feed(new[] { 2, 0, 1 }, [-1])).Op,
            ["Reverse"] = b => b.G.ReverseDims(b.Feed(M23, [-1, 3]), b.G.Constant(new[] { true, false })).Op,
            ["ReverseV2"] = b => b.G.Reverse(b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 1 })).Op,
            ["Pad"] = b => b.G.Pad(b.Feed(M23, [-1, 3]), b.G.Constant(new[,] { { 1, 0 }, { 0, 2 } })).Op,
            ["PadV2"] = b => b.G.PadV2(b.Feed(M23, [2, -1]), b.Feed(new[,] { { 0, 1 }, { 1, 1 } }, [2, 2]), b.G.Constant(-1f)).Op,
            ["MirrorPad"] = b => b.G.MirrorPad(b.Feed(M23, [-1, 3]), b.G.Constant(new[,] { { 1, 1 }, { 2, 2 } }), "REFLECT").Op,
            ["MirrorPadGrad"] = b => b.G.MirrorPadGrad(b.Feed(Tensor.FromArray(new float[4, 7]), [-1, 7]), b.G.Constant(new[,] { { 1, 1 }, { 2, 2 } }), "SYMMETRIC").Op,
            ["SelectV2"] = b => b.G.SelectV2(b.Feed(Bools(true, false, true), [-1]), b.G.Constant(M23), b.G.Constant(0f)).Op,
            ["Where"] = b => b.G.Where(b.Feed(Tensor.FromArray(new[,] { { true, false, true }, { false, false, true } }), [-1, 3])).Op,
            ["StopGradient"] = b => b.G.StopGradient(b.Feed(M23, [-1, 3])).Op,
            ["PreventGradient"] = b => b.G.PreventGradient(b.Feed(I23, [-1, 3]), "no").Op,

            // ---------------------------------------------------------------- state
            ["VariableV2"] = b => b.Var(M23).Op,
            ["Variable"] = b =>
            {
                var op = b.G.AddOp("Variable", [], attrs: [new("shape", Attr.Shape(new Shape(2, 3))), new("dtype", Attr.Type(DType.Float32))]);
                b.Setup.Add(b.G.Assign(op[0], b.G.Constant(M23)).Op);
                return op;
            },
            ["Assign"] = b => b.G.Assign(b.G.Variable(M23), b.Feed(M23, [-1, 3])).Op,
            ["AssignAdd"] = b => b.G.AssignAdd(b.Var(I23), b.Feed(I23, [2, -1])).Op,
            ["AssignSub"] = b => b.G.AssignSub(b.Var(M23), b.G.Constant(M23)).Op,

            // ---------------------------------------------------------------- reductions
            ["Sum"] = b => b.G.ReduceSum(b.Feed(M23, [-1, 3]), [0]).Op,
            ["Mean"] = b => b.G.ReduceMean(b.Feed(I23, [-1, -1]), [-1], keepDims: true).Op,
            ["Prod"] = b => b.G.Reduce("Prod", b.Feed(M23, [2, 3]), b.Feed(new[] { 1 }, [-1])).Op,
            ["Max"] = b => b.G.ReduceMax(b.Feed(M23, Shape.Unknown)).Op,
            ["Min"] = b => b.G.ReduceMin(b.G.Constant(I23), [0, 1], keepDims: true).Op,

            // ---------------------------------------------------------------- random
            ["RandomUniform"] = b => { b.G.RandomUniform([2, 3], seed: 1); return b.Find("RandomUniform"); },
            ["RandomStandardNormal"] = b => { b.G.RandomNormal([4], dtype: DType.Float64, seed: 2); return b.Find("RandomStandardNormal"); },
            ["TruncatedNormal"] = b => { b.G.TruncatedNormal([3, 1], seed: 3); return b.Find("TruncatedNormal"); },
            ["RandomUniformInt"] = b => b.G.RandomUniform([5], -3, 3, DType.Int64, seed: 4).Op,
            ["UniformCandidateSampler"] = b => b.G.UniformCandidateSampler(b.Feed(Tensor.FromArray(new long[,] { { 1 }, { 3 } }), [-1, 1]), 1, 3, true, 5, seed: 5).SampledCandidates.Op,
            ["LogUniformCandidateSampler"] = b => b.G.LogUniformCandidateSampler(b.Feed(Tensor.FromArray(new long[,] { { 1, 2 } }), [-1, 2]), 2, 4, false, 10, seed: 6).SampledCandidates.Op,
            ["LearnedUnigramCandidateSampler"] = b => b.G.LearnedUnigramCandidateSampler(b.G.Constant(Tensor.FromArray(new long[,] { { 0 }, { 4 } })), 1, 3, true, 6, seed: 7).SampledCandidates.Op,
            ["FixedUnigramCandidateSampler"] = b => b.G.FixedUnigramCandidateSampler(b.Feed(Tensor.FromArray(new long[,] { { 2 } }), [1, -1]), 1, 2, true, 4,
                unigrams: [1, 2, 3, 4], seed: 8).SampledCandidates.Op,
            ["AllCandidateSampler"] = b => b.G.AllCandidateSampler(b.Feed(Tensor.FromArray(new long[,] { { 0 }, { 2 } }), [-1, 1]), 1, 4, true).SampledCandidates.Op,
            ["ComputeAccidentalHits"] = b => b.G.ComputeAccidentalHits(b.Feed(Tensor.FromArray(new long[,] { { 1, 2 }, { 0, 3 } }), [-1, 2]), b.G.Constant(new long[] { 3, 1, 5 }), 2).Indices.Op,

            // ---------------------------------------------------------------- gradient support
            ["AddN"] = b => b.G.AddN([b.Feed(M23, [-1, 3]), b.G.Constant(M23), b.G.Constant(M23)]).Op,
            ["BroadcastGradientArgs"] = b => b.G.BroadcastGradientArgs(b.Feed(new[] { 2, 1, 3 }, [-1]), b.G.Constant(new[] { 4, 1 })).R0.Op,
            ["Tile"] = b => b.G.Tile(b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 2, 3 })).Op,
            ["Range"] = b => b.G.Range(b.Feed(1, []), b.G.Constant(10), b.G.Constant(3)).Op,
            ["DynamicStitch"] = b => b.G.DynamicStitch([b.G.Constant(new[] { 0, 2 }), b.Feed(new[] { 1 }, [-1])],
                [b.G.Constant(new float[,] { { 1, 2 }, { 3, 4 } }), b.G.Constant(new float[,] { { 5, 6 } })]).Op,
            ["DynamicPartition"] = b => b.G.DynamicPartition(b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 1, 0 }), 2)[1].Op,
            ["SqrtGrad"] = b => b.G.SqrtGrad(b.Feed(Pos23, [-1, 3]), b.G.Constant(M23)).Op,
            ["RsqrtGrad"] = b => b.G.RsqrtGrad(b.Feed(Pos23, [-1, 3]), b.G.Constant(M23)).Op,
            ["ReciprocalGrad"] = b => b.G.ReciprocalGrad(b.Feed(Pos23, [-1, 3]), b.G.Constant(M23)).Op,
            ["L2Loss"] = b => b.G.L2Loss(b.Feed(M23, [-1, 3])).Op,
            ["MatMul"] = b => b.G.MatMul(b.Feed(M23, [-1, 3]), b.G.Constant(M23), transposeB: true).Op,

            // ---------------------------------------------------------------- neural network
            ["BiasAdd"] = b => b.G.BiasAdd(b.Feed(M23, [-1, 3]), b.G.Constant(new float[] { 1, 2, 3 })).Op,
            ["BiasAddGrad"] = b => b.G.BiasAddGrad(b.Feed(M23, [-1, 3])).Op,
            ["BiasAddV1"] = b => b.G.BiasAddV1(b.Feed(M23, [-1, 3]), b.G.Constant(new float[] { 1, 2, 3 })).Op,
            ["FusedBatchNorm"] = b => BatchNormRow(b, "FusedBatchNorm", training: true, nchw: false),
            ["FusedBatchNormV2"] = b => BatchNormRow(b, "FusedBatchNormV2", training: false, nchw: true),
            ["FusedBatchNormV3"] = b => BatchNormRow(b, "FusedBatchNormV3", training: true, nchw: true),
            ["FusedBatchNormGrad"] = b => BatchNormGradRow(b, "FusedBatchNormGrad", training: true, nchw: false),
            ["FusedBatchNormGradV2"] = b => BatchNormGradRow(b, "FusedBatchNormGradV2", training: false, nchw: false),
            ["FusedBatchNormGradV3"] = b => BatchNormGradRow(b, "FusedBatchNormGradV3", training: true, nchw: true),
            ["Softmax"] = b => b.G.Softmax(b.Feed(M23, [-1, 3])).Op,
            ["LogSoftmax"] = b => b.G.LogSoftmax(b.Feed(M23, [2, -1])).Op,
            ["SoftmaxCrossEntropyWithLogits"] = b => b.G.SoftmaxCrossEntropyWithLogitsOp(b.Feed(M23, [-1, 3]), b.G.Constant(new float[,] { { 0, 1, 0 }, { 1, 0, 0 } })).Loss.Op,
            ["SparseSoftmaxCrossEntropyWithLogits"] = b => b.G.SparseSoftmaxCrossEntropyWithLogitsOp(b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 2, 0 })).Loss.Op,
            ["TopKV2"] = b => b.G.TopK(b.Feed(M23, [-1, 3]), 2).Values.Op,
            ["InTopKV2"] = b => b.G.InTopK(b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 2, 0 }), 2).Op,
            ["InTopK"] = b => b.G.AddOp("InTopK", [b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 2, 0 })], attrs: [new("k", Attr.Int(1)), new("T", Attr.Type(DType.Int32))]),
            ["CheckNumerics"] = b => b.G.CheckNumerics(b.Feed(M23, [-1, 3]), "ok").Op,
            ["Qr"] = b => b.G.Qr(b.Feed(Tensor.FromArray(new float[,] { { 2, -1 }, { 1, 3 }, { 0, 4 } }), [-1, 2])).Q.Op,
            ["MatrixBandPart"] = b => b.G.MatrixBandPart(b.Feed(Tensor.FromArray(new float[2, 3, 3]), [-1, 3, 3]), 1, 0).Op,
            ["MatrixTriangularSolve"] = b => b.G.MatrixTriangularSolve(b.G.Constant(new float[,] { { 2, 0 }, { 1, 4 } }), b.Feed(M23, [2, -1])).Op,
            ["BatchMatMulV2"] = b => b.G.BatchMatMul(b.Feed(Tensor.FromArray(new float[2, 2, 3]), [-1, 2, 3]), b.G.Constant(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } })).Op,
            ["BatchMatMul"] = b => b.G.AddOp("BatchMatMul", [b.Feed(Tensor.FromArray(new float[2, 2, 3]), [-1, 2, 3]), b.G.Constant(Tensor.FromArray(new float[2, 3, 4]))],
                attrs: [new("T", Attr.Type(DType.Float32))]),

            // ---------------------------------------------------------------- function calls
            ["PartitionedCall"] = b =>
            {
                b.G.DefineFunction("scale_add", [DType.Float32, DType.Float32], (fg, a) => [a[0] * a[1] + a[1]]);
                return b.G.PartitionedCall([b.Feed(M23, [-1, 3]), b.G.Constant(new float[] { 1, 2, 3 })],
                    new Proto.NameAttrList { Name = "scale_add" }, [DType.Float32])[0].Op;
            },
            ["StatefulPartitionedCall"] = b =>
            {
                b.G.DefineFunction("read_twice", [DType.Resource], (fg, a) => [fg.ReadVariableOp(a[0], DType.Float32) * 2f]);
                return b.G.StatefulPartitionedCall([Res(b, M23)], new Proto.NameAttrList { Name = "read_twice" }, [DType.Float32])[0].Op;
            },

            // ---------------------------------------------------------------- resource variables
            ["VarHandleOp"] = b => b.G.VarHandleOp(DType.Float32, [2, 3], name: "rv").Op,
            ["AssignVariableOp"] = b => b.G.AssignVariableOp(b.G.VarHandleOp(DType.Float32, [2, 3], name: "rv"), b.Feed(M23, [-1, 3])),
            ["ReadVariableOp"] = b =>
            {
                var h = b.G.VarHandleOp(DType.Float32, [2, 3], name: "rv");
                b.Setup.Add(b.G.AssignVariableOp(h, b.G.Constant(M23)));
                return b.G.ReadVariableOp(h, DType.Float32).Op;
            },
            ["DisableCopyOnRead"] = b => b.G.DisableCopyOnRead(Res(b, M23)),
            ["VarIsInitializedOp"] = b => b.G.VarIsInitializedOp(b.G.VarHandleOp(DType.Float32, [2, 3], name: "rv")).Op,

            ["ParseExample"] = b =>
            {
                var ex = new Proto.Example { Features = new Proto.Features() };
                var f = new Proto.Feature { Int64List = new Proto.Int64List() };
                f.Int64List.Value.Add([1, 2]);
                ex.Features.Feature.Add("k", f);
                var serialized = Tensor.Create(new[] { Google.Protobuf.MessageExtensions.ToByteArray(ex), Google.Protobuf.MessageExtensions.ToByteArray(new Proto.Example()) }, 2);
                return b.G.ParseExample(b.Feed(serialized, [-1]), ["k"], [b.G.Constant(new long[] { 7, 8 })], [new Shape(2)])[0].Op;
            },

            ["ParseExampleV2"] = b =>
            {
                var ex = new Proto.Example { Features = new Proto.Features() };
                var f = new Proto.Feature { FloatList = new Proto.FloatList() };
                f.FloatList.Value.Add([1, 2, 3, 4]);
                ex.Features.Feature.Add("v", f);
                var serialized = Tensor.Create(new[] { Google.Protobuf.MessageExtensions.ToByteArray(ex), Google.Protobuf.MessageExtensions.ToByteArray(new Proto.Example()) }, 2);
                return b.G.ParseExampleV2(b.Feed(serialized, [-1]), ["v"], [b.G.Constant(new float[] { -1 })], [new Shape(-1, 2)])[0].Op;
            },

            // ---------------------------------------------------------------- training
            ["ApplyGradientDescent"] = b => b.G.ApplyGradientDescent(b.Var(M23).Ref, b.G.Constant(0.1f), b.Feed(M23, [2, 3])).Op,
            ["ApplyMomentum"] = b => b.G.ApplyMomentum(b.Var(M23).Ref, b.Var(M23).Ref, b.G.Constant(0.1f), b.Feed(M23, [2, 3]), b.G.Constant(0.9f), useNesterov: true).Op,
            ["ApplyRMSProp"] = b => b.G.ApplyRMSProp(b.Var(M23).Ref, b.Var(Pos23).Ref, b.Var(M23).Ref, b.G.Constant(0.1f), b.G.Constant(0.9f),
                b.G.Constant(0.5f), b.G.Constant(1e-7f), b.Feed(M23, [2, 3])).Op,
            ["ApplyCenteredRMSProp"] = b => b.G.ApplyCenteredRMSProp(b.Var(M23).Ref, b.Var(M23).Ref, b.Var(Pos23).Ref, b.Var(M23).Ref, b.G.Constant(0.1f),
                b.G.Constant(0.9f), b.G.Constant(0.5f), b.G.Constant(100f), b.Feed(M23, [2, 3])).Op,
            ["ApplyAdam"] = b => b.G.ApplyAdam(b.Var(M23).Ref, b.Var(M23).Ref, b.Var(Pos23).Ref, b.G.Constant(0.9f), b.G.Constant(0.99f), b.G.Constant(0.01f),
                b.G.Constant(0.9f), b.G.Constant(0.999f), b.G.Constant(1e-8f), b.Feed(M23, [2, 3])).Op,
            ["SparseApplyMomentum"] = b => b.G.SparseApplyMomentum(b.Var(M23).Ref, b.Var(M23).Ref, b.G.Constant(0.1f), b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 1, 0 }), b.G.Constant(0.9f), useNesterov: true).Op,
            ["SparseApplyAdagrad"] = b => b.G.SparseApplyAdagrad(b.Var(M23).Ref, b.Var(Pos23).Ref, b.G.Constant(0.1f), b.Feed(M23, [-1, 3]), b.G.Constant(new long[] { 1, 1 })).Op,
            ["SparseApplyRMSProp"] = b => b.G.SparseApplyRMSProp(b.Var(M23).Ref, b.Var(Pos23).Ref, b.Var(M23).Ref, b.G.Constant(0.1f), b.G.Constant(0.9f),
                b.G.Constant(0.5f), b.G.Constant(1e-7f), b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 0, 1 })).Op,
            ["SparseApplyCenteredRMSProp"] = b => b.G.SparseApplyCenteredRMSProp(b.Var(M23).Ref, b.Var(M23).Ref, b.Var(Pos23).Ref, b.Var(M23).Ref, b.G.Constant(0.1f),
                b.G.Constant(0.9f), b.G.Constant(0.5f), b.G.Constant(100f), b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 1, 0 })).Op,
            ["ApplyFtrl"] = b => b.G.ApplyFtrl(b.Var(M23).Ref, b.Var(Pos23).Ref, b.Var(M23).Ref, b.Feed(M23, [2, 3]), b.G.Constant(0.1f), b.G.Constant(0.01f), b.G.Constant(0.02f), b.G.Constant(-0.5f)).Op,
            ["ApplyFtrlV2"] = b => b.G.ApplyFtrlV2(b.Var(M23).Ref, b.Var(Pos23).Ref, b.Var(M23).Ref, b.Feed(M23, [2, 3]), b.G.Constant(0.1f), b.G.Constant(0.01f), b.G.Constant(0.02f),
                b.G.Constant(0.3f), b.G.Constant(-0.4f)).Op,
            ["SparseApplyFtrl"] = b => b.G.SparseApplyFtrl(b.Var(M23).Ref, b.Var(Pos23).Ref, b.Var(M23).Ref, b.Feed(M23, [-1, 3]), b.G.Constant(new[] { 1, 0 }), b.G.Constant(0.1f),
                b.G.Constant(0.01f), b.G.Constant(0.02f), b.G.Constant(-0.5f)).Op,
            ["SparseApplyFtrlV2"] = b => b.G.SparseApplyFtrlV2(b.Var(M23).Ref, b.Var(Pos23).Ref, b.Var(M23).Ref, b.Feed(M23, [-1, 3]), b.G.Constant(new long[] { 1, 1 }), b.G.Constant(0.1f),
                b.G.Constant(0.01f), b.G.Constant(0.02f), b.G.Constant(0.3f), b.G.Constant(-0.4f)).Op,
            ["ApplyAdagrad"] = b => b.G.ApplyAdagrad(b.Var(M23).Ref, b.Var(Pos23).Ref, b.G.Constant(0.1f), b.Feed(M23, [2, 3])).Op,

            // ---------------------------------------------------------------- checkpoints and strings
            ["SaveV2"] = b => b.G.SaveV2(b.G.Constant(TempPrefix("save")), b.G.Constant(new[] { "a", "b" }), b.G.Constant(new[] { "", "" }),
                [b.Feed(M23, [-1, 3]), b.G.Constant(new long[] { 1, 2 })]),
            ["RestoreV2"] = b => b.G.RestoreV2(b.G.Constant(WrittenCheckpoint()), b.G.Constant(new[] { "a", "s" }), b.G.Constant(new[] { "", "" }),
                [DType.Float32, DType.String])[0].Op,
            ["MergeV2Checkpoints"] = b =>
            {
                var p = WrittenCheckpoint();
                return b.G.MergeV2Checkpoints(b.G.Constant(new[] { p }), b.G.Constant(p));
            },
            ["ShardedFilename"] = b => b.G.ShardedFilename(b.G.Constant("model"), b.G.Constant(3), b.G.Constant(10)).Op,
            ["StaticRegexFullMatch"] = b => b.G.StaticRegexFullMatch(b.Feed(Tensor.Create(new[] { "s3://b/k", "/tmp/x", "s3:/" }, 3), [-1]), "^s3://.*").Op,
            ["RegexFullMatch"] = b => b.G.RegexFullMatch(b.Feed(Tensor.Create(new[] { "ab", "abc" }, 2), [-1]), b.G.Constant("a.")).Op,
            ["StringJoin"] = b => b.G.StringJoin([b.G.Constant(new[] { "a", "b" }), b.G.Constant("x")], "-").Op,

            // ---------------------------------------------------------------- summaries
            ["ScalarSummary"] = b => b.G.ScalarSummary(b.G.Constant(new[] { "a", "b" }), b.Feed(new float[] { 1, 2 }, [-1])).Op,
            ["HistogramSummary"] = b => b.G.HistogramSummary("h", b.Feed(M23, [-1, 3])).Op,
            ["MergeSummary"] = b => b.G.MergeSummary([b.G.ScalarSummary("x", b.G.Constant(1f)), b.G.HistogramSummary("h", b.G.Constant(M23))]).Op,
        };

    /// <summary>A loop over a fed [?, 3] matrix: doubles it while its sum is below 1000.</summary>
    private static Output Loop(CaseBuilder b) =>
        b.G.WhileLoop(m => b.G.ReduceSum(m) < b.G.Constant(1000f), m => m * 2f, b.Feed(M23, [-1, 3]));

    private static Operation LoopPart(CaseBuilder b, string type)
    {
        b.FetchInstead = Loop(b);
        return b.Find(type);
    }

    private static readonly List<string> TempDirs = [];

    private static string TempPrefix(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "tg-conformance-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        lock (TempDirs) TempDirs.Add(dir);
        return Path.Combine(dir, name);
    }

    [OneTimeTearDown]
    public void DeleteTempDirs()
    {
        lock (TempDirs)
        {
            foreach (var d in TempDirs)
            {
                try
                {
                    Directory.Delete(d, true);
                }
                catch (IOException)
                {
                }
            }
            TempDirs.Clear();
        }
    }

    private static string WrittenCheckpoint()
    {
        var p = TempPrefix("ckpt");
        using var w = new TensorGraph.Serialization.CheckpointWriter(p);
        w.Add("a", M23);
        w.Add("s", new[] { "x", "yz" });
        w.Finish();
        return p;
    }

    /// <summary>A fused batch norm over a fed 2×2×3×2 input (two channels in either layout); inference mode gets a population mean and variance.</summary>
    private static Operation BatchNormRow(CaseBuilder b, string type, bool training, bool nchw)
    {
        var x = b.Feed(Img(2, 2, 3, 2), [-1, 2, -1, 2]);
        Output scale = b.G.Constant(new float[] { 1.5f, 0.5f });
        Output offset = b.G.Constant(new float[] { 0.1f, -0.2f });
        Output mean = training ? b.G.Constant(Tensor.Create(Array.Empty<float>(), 0)) : b.G.Constant(new float[] { 0.5f, -1 });
        Output variance = training ? b.G.Constant(Tensor.Create(Array.Empty<float>(), 0)) : b.G.Constant(new float[] { 2, 3 });
        return b.G.AddFusedBatchNorm(type, x, scale, offset, mean, variance, 0.001f, nchw ? "NCHW" : "NHWC", training);
    }

    /// <summary>A batch-norm gradient over fed 2×2×3×2 tensors (V3 also takes a scalar reserve_space_3).</summary>
    private static Operation BatchNormGradRow(CaseBuilder b, string type, bool training, bool nchw)
    {
        var dy = b.Feed(Img(2, 2, 3, 2), [-1, 2, 3, 2]);
        var x = b.G.Constant(Img(2, 2, 3, 2)) * 0.5f;
        Output scale = b.G.Constant(new float[] { 1.5f, 0.5f });
        Output mean = b.Feed(new float[] { 0.5f, -1 }, [-1]);
        Output variance = b.G.Constant(new float[] { 2, 3 });
        Output[] inputs = type == "FusedBatchNormGradV3"
            ? [dy, x, scale, mean, variance, b.G.Constant(0f)]
            : [dy, x, scale, mean, variance];
        return b.G.AddFusedBatchNormGrad(type, inputs, 0.001f, nchw ? "NCHW" : "NHWC", training);
    }

    /// <summary>A TFRecord file of three records, in the temp folder (removed when the process ends).</summary>
    private static string TempFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tg-conformance-{Guid.NewGuid():N}", "out.bin");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { if (File.Exists(path)) Directory.Delete(Path.GetDirectoryName(path)!, recursive: true); };
        return path;
    }

    private static string RecordFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tg-conformance-{Guid.NewGuid():N}.tfrecord");
        Queues.ReaderTests.WriteRecords(path, ["a"u8.ToArray(), "bb"u8.ToArray(), "ccc"u8.ToArray()]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    }

    /// <summary>A FIFO queue of float [3] elements with 8 elements enqueued by the setup (two runs dequeue from it).</summary>
    private static Queue FilledQueue(CaseBuilder b)
    {
        var q = b.G.FIFOQueue(-1, [DType.Float32], [new Shape(3)]);
        b.Setup.Add(q.EnqueueMany(b.G.Constant(new float[8, 3])));
        return q;
    }

    private static IEnumerable<string> RowNames => Rows.Keys.Order(StringComparer.Ordinal);

    [Test]
    public void EveryRegisteredOpHasARow()
    {
        var missing = OpRegistry.Types.Except(Rows.Keys).Order(StringComparer.Ordinal).ToArray();
        Assert.That(missing, Is.Empty,
            $"Registered op types without a conformance row (add them to {nameof(ConformanceTests)}.{nameof(Rows)}): {string.Join(", ", missing)}");
    }

    [Test]
    public void EveryRowIsARegisteredOp()
    {
        var stale = Rows.Keys.Except(OpRegistry.Types).Order(StringComparer.Ordinal).ToArray();
        Assert.That(stale, Is.Empty, $"Conformance rows for op types that are not registered: {string.Join(", ", stale)}");
    }

    [TestCaseSource(nameof(RowNames))]
    public void KernelAgreesWithInference(string type)
    {
        var g = new Graph { Seed = 1 };
        var b = new CaseBuilder(g);
        var op = Rows[type](b);
        Assert.That(op.Type, Is.EqualTo(type), "the row must return an op of its own type");

        using var s = new Session(g);
        if (b.Setup.Count > 0) s.Run(b.Setup.ToArray(), b.Feeds);
        for (int run = 0; run < 2; run++)
        {
            if (op.NumOutputs == 0)
            {
                s.Run(new[] { op }, b.Feeds);
                continue;
            }
            var fetch = b.FetchInstead is { } f ? [f] : (b.LiveOutputs ?? Enumerable.Range(0, op.NumOutputs).ToArray()).Select(i => op[i]).ToArray();
            var values = s.Run(fetch, b.Feeds);
            Assert.That(values, Has.Length.EqualTo(fetch.Length));
            for (int k = 0; k < values.Length; k++)
            {
                var inferred = fetch[k];
                var actual = values[k];
                Assert.Multiple(() =>
                {
                    Assert.That(actual.DType, Is.EqualTo(inferred.DType), $"{inferred.Name} dtype (run {run})");
                    Assert.That(inferred.Shape.IsCompatibleWith(actual.Dims), Is.True,
                        $"{inferred.Name}: run-time dims {Shape.FromSpan(actual.Dims)} vs inferred {inferred.Shape} (run {run})");
                    Assert.That(actual.Size, Is.EqualTo(actual.Dims.ToArray().Aggregate(1, (x, y) => x * y)), $"{inferred.Name} size");
                });
            }
        }
    }
}
