namespace TensorGraph.Autodiff.Grads;

/// <summary>
/// Gradients of the shape, slicing, joining and gathering ops, following TF 1.15's array_grad.py
/// (and math_grad.py for SelectV2 and UnsortedSegmentSum). Where TF returns IndexedSlices
/// (GatherV2 on axis 0) the dense equivalent is built, as TF's IndexedSlices-to-dense conversion
/// does: UnsortedSegmentSum(values, indices, dense_shape[0]).
/// </summary>
internal sealed class ArrayOpGrads : IGradientSource
{
    public void Register(GradientRegistry r)
    {
        r.Add("ExpandDims", c => [ReshapeToInput(c), null]);
        r.Add("Squeeze", c => [ReshapeToInput(c)]);
        r.Add("Transpose", c => [c.Graph.Transpose(c.Grad, c.Graph.InvertPermutation(c.Input(1))), null]);
        r.Add("ConcatV2", ConcatGrad);
        r.Add("Pack", c =>
        {
            var n = (int)c.Op.GetAttrInt("N");
            return [.. c.Graph.Unstack(c.Grad, n, (int)c.Op.GetAttrInt("axis")).Select(o => (Output?)o)];
        });
        r.Add("Unpack", c => [c.Graph.Stack(Dense(c), (int)c.Op.GetAttrInt("axis"))]);
        r.Add("Split", c => [null, ConcatOrIdentity(c.Graph, Dense(c), c.Input(0))]);
        r.Add("SplitV", c => [ConcatOrIdentity(c.Graph, Dense(c), c.Input(2)), null, null]);
        r.Add("Slice", SliceGrad);
        r.Add("StridedSlice", c =>
        {
            var g = c.Graph;
            var begin = c.Input(1);
            var x = g.ShapeOf(c.X, begin.DType);
            var m = Masks(c.Op);
            return [g.StridedSliceGrad(x, begin, c.Input(2), c.Input(3), c.Grad, m.Begin, m.End, m.Ellipsis, m.NewAxis, m.Shrink), null, null, null];
        });
        r.Add("StridedSliceGrad", c =>
        {
            var m = Masks(c.Op);
            return [null, null, null, null,
                c.Graph.StridedSlice(c.Grad, c.Input(1), c.Input(2), c.Input(3), m.Begin, m.End, m.Ellipsis, m.NewAxis, m.Shrink)];
        });
        r.Add("Tile", TileGrad);
        r.Add("Pad", PadGrad);
        r.Add("PadV2", PadGrad);
        r.Add("MirrorPad", c => [c.Graph.MirrorPadGrad(c.Grad, c.Input(1), c.Op.GetAttrString("mode")), null]);
        r.Add("MirrorPadGrad", c => [c.Graph.MirrorPad(c.Grad, c.Input(1), c.Op.GetAttrString("mode")), null]);
        r.Add("GatherV2", GatherV2Grad);
        r.Add("UnsortedSegmentSum", c => [GatherDropNegatives(c.Graph, c.Grad, c.Input(1)), null, null]);
        r.Add("ReverseV2", c => [c.Graph.Reverse(c.Grad, c.Input(1)), null]);
        r.Add("Reverse", c => [c.Graph.ReverseDims(c.Grad, c.Input(1)), null]);
        r.Add("SelectV2", SelectV2Grad);
        r.Add("BroadcastTo", c =>
        {
            var g = c.Graph;
            var broadcastShape = c.Input(1);
            var inputShape = g.ShapeOf(c.X, broadcastShape.DType);
            var args = g.BroadcastGradientArgs(broadcastShape, inputShape);
            var summed = g.Reduce("Sum", c.Grad, args.R1, keepDims: true);
            return [g.Reshape(summed, inputShape), null];
        });
        r.NotDifferentiable("InvertPermutation", "ConcatOffset", "ShapeN", "OneHot", "Where", "Unique",
            "Assert", "ScatterUpdate", "ScatterAdd", "ScatterSub");
    }

    private static Output ReshapeToInput(GradContext c) => c.Graph.Reshape(c.Grad, c.Graph.ShapeOf(c.X));

    private static SliceMasks Masks(Operation op) => SliceMasks.FromAttrs(op.GetAttrInt);

    /// <summary>Every output gradient (the engine gives float outputs without one zeros).</summary>
    private static Output[] Dense(GradContext c) =>
        [.. c.Grads.Select((g, i) => g ?? throw new InternalException($"No gradient for output {i} of {c.Op.Name}"))];

    private static Output ConcatOrIdentity(Graph g, Output[] values, Output axis) =>
        values.Length == 1 ? g.Identity(values[0]) : g.Concat(values, axis);

    /// <summary>TF's _ConcatGradHelper for ConcatV2: Slice(grad, ConcatOffset(axis mod rank, shapes)), or SplitV beyond 16 inputs.</summary>
    private static Output?[] ConcatGrad(GradContext c)
    {
        var g = c.Graph;
        int n = c.Op.NumInputs - 1;
        var values = new Output[n];
        for (int i = 0; i < n; i++) values[i] = c.Input(i);
        var axis = c.Input(n);
        if (axis.DType != DType.Int32) axis = g.Cast(axis, DType.Int32);
        var nonNeg = g.FloorMod(axis, g.Rank(values[0]), "mod");
        Output[] sizes;
        if (values.All(v => v.Shape.IsFullyDefined))
            sizes = [.. values.Select(v => g.Constant(v.Shape.ToArray(), name: "Shape"))];
        else sizes = g.ShapeN(values);
        var result = new Output?[n + 1];
        if (n > 16)
        {
            var begin = g.Stack([nonNeg, g.Constant(0)]);
            var row = g.Slice(g.Stack(sizes, axis: 1), begin, g.Constant(new[] { 1, -1 }));
            var split = g.SplitV(c.Grad, g.Squeeze(row), nonNeg, n);
            for (int i = 0; i < n; i++) result[i] = split[i];
            return result;
        }
        var offsets = g.ConcatOffset(nonNeg, sizes);
        for (int i = 0; i < n; i++) result[i] = g.Slice(c.Grad, offsets[i], sizes[i]);
        return result;
    }

    /// <summary>TF's _SliceGrad: Pad(grad, [begin, shape(x) - shape(out) - begin]).</summary>
    private static Output?[] SliceGrad(GradContext c)
    {
        var g = c.Graph;
        var x = c.X;
        var begin = c.Input(1);
        var inputRank = g.Rank(x);
        var sliceSize = g.ShapeOf(c.Out(), begin.DType);
        var shape = g.Stack([inputRank, g.Constant(1)]);
        var beforePad = g.Reshape(begin, shape);
        var afterPad = g.Reshape(g.Subtract(g.Subtract(g.ShapeOf(x, begin.DType), sliceSize), begin), shape);
        var paddings = g.Concat([beforePad, afterPad], 1);
        return [g.Pad(c.Grad, paddings), null, null];
    }

    /// <summary>TF's _TileGrad: reshape grad to the interleaved [multiples_i, shape_i] and sum the even axes.</summary>
    private static Output?[] TileGrad(GradContext c)
    {
        var g = c.Graph;
        var multiples = c.Input(1);
        var inputShape = g.ShapeOf(c.X, multiples.DType);
        var splitShape = g.Reshape(g.Transpose(g.Stack([multiples, inputShape])), [-1]);
        var axes = g.Range(g.Constant(0), g.Size(splitShape), g.Constant(2));
        return [g.Reduce("Sum", g.Reshape(c.Grad, splitShape), axes), null];
    }

    /// <summary>TF's _PadGrad: Slice(grad, paddings[:, 0], shape(x)).</summary>
    private static Output?[] PadGrad(GradContext c)
    {
        var g = c.Graph;
        var x = c.X;
        var a = c.Input(1);
        var padBefore = g.Slice(a, g.Constant(new[] { 0, 0 }), g.Stack([g.Rank(x), g.Constant(1)]));
        var begin = g.Reshape(padBefore, [-1]);
        var sizes = g.ShapeOf(x, a.DType);
        var xGrad = g.Slice(c.Grad, begin, sizes);
        return c.Op.NumInputs == 3 ? [xGrad, null, null] : [xGrad, null];
    }

    /// <summary>TF's _SelectGradV2: SelectV2 with zeros, summed over the broadcast axes of each operand.</summary>
    private static Output?[] SelectV2Grad(GradContext c)
    {
        var g = c.Graph;
        var cond = c.Input(0);
        var grad = c.Grad;
        var zeros = g.Constant(Graph.ScalarOf(grad.DType, 0));
        var outputShape = g.ShapeOf(c.Out());
        Output Reduce(Output operand, Output selected)
        {
            var shape = g.ShapeOf(operand);
            var args = g.BroadcastGradientArgs(shape, outputShape);
            return g.Reshape(g.Reduce("Sum", selected, args.R0, keepDims: true), shape);
        }
        var gx = Reduce(c.Input(1), g.SelectV2(cond, grad, zeros));
        var gy = Reduce(c.Input(2), g.SelectV2(cond, zeros, grad));
        return [null, gx, gy];
    }

    /// <summary>
    /// TF's _GatherV2Grad with the IndexedSlices made dense: axis 0 gives
    /// UnsortedSegmentSum(Reshape(grad, [size(indices)] + params_shape[1:]), indices, params_shape[0]);
    /// other axes transpose the gathered axis to the front first.
    /// </summary>
    private static Output?[] GatherV2Grad(GradContext c)
    {
        var g = c.Graph;
        var @params = c.X;
        var paramsShape = g.Cast(g.ShapeOf(@params, DType.Int64), DType.Int32);
        var indices = c.Input(1);
        var indicesSize = g.ExpandDims(g.Size(indices), 0);
        var axis = c.Input(2);
        var axisStatic = g.TryConstantValue(axis);
        int batchDims = (int)c.Op.GetAttrInt("batch_dims");
        if (batchDims < 0)
        {
            if (!indices.Shape.IsRankKnown) throw new UnimplementedException("The GatherV2 gradient with negative batch_dims needs indices of known rank");
            batchDims += indices.Shape.Rank;
        }

        if (axisStatic is not null && axisStatic.ScalarInt64("axis") == 0)
        {
            var tail = paramsShape.Slice(SliceSpec.Range(1, null));
            var valuesShape = g.Concat([indicesSize, tail], 0);
            var values = g.Reshape(c.Grad, valuesShape);
            var flatIndices = g.Reshape(indices, indicesSize);
            return [g.UnsortedSegmentSum(values, flatIndices, paramsShape.Slice(0)), null, null];
        }

        var outerShape = paramsShape.Slice(SliceSpec.RangeOf(null, axis));
        var innerShape = paramsShape.Slice(SliceSpec.RangeOf(axis, null)).Slice(SliceSpec.Range(1, null));
        var valuesShape2 = g.Concat([outerShape, g.Constant(new[] { -1 }), innerShape], 0);
        var valuesDims = g.Size(valuesShape2);
        var axisDims = g.Size(outerShape);
        var outerBatchesIndices = g.Range(0, batchDims);
        var batchAxisIndices = g.Range(g.Constant(batchDims), axisDims, g.Constant(1));
        var innerAxesIndices = g.Range(g.AddV2(axisDims, g.Constant(1)), valuesDims, g.Constant(1));
        var values2 = g.Reshape(c.Grad, valuesShape2);
        var transposeDims = g.Concat([outerBatchesIndices, g.Stack([axisDims]), batchAxisIndices, innerAxesIndices], 0);
        var valuesTranspose = g.Transpose(values2, transposeDims);
        var paramsGrad = BatchGatherGrad(g, paramsShape, valuesTranspose, indices, batchDims, paramsShape.Slice(SliceSpec.At(axis)));
        var invertTransposeDims = g.Concat(
            [outerBatchesIndices, g.AddV2(batchAxisIndices, g.Constant(1)), g.Constant(new[] { batchDims }), innerAxesIndices], 0);
        return [g.Transpose(paramsGrad, invertTransposeDims), null, null];
    }

    private static Output BatchGatherGrad(Graph g, Output paramsShape, Output values, Output indices, int batchDims, Output gatherDimSize)
    {
        var indicesSize = g.ExpandDims(g.Size(indices), 0);
        Output outerShape = default, flatValuesShape = default;
        if (batchDims > 0)
        {
            var valuesShape = g.ShapeOf(values);
            outerShape = valuesShape.Slice(SliceSpec.Range(null, batchDims));
            var innerShape = valuesShape.Slice(SliceSpec.Range(batchDims, null)).Slice(SliceSpec.Range(1, null));
            var batchSize = g.Reduce("Prod", outerShape, g.Constant(new[] { 0 }));
            flatValuesShape = g.Concat([g.Constant(new[] { -1 }), innerShape], 0);
            gatherDimSize = g.Multiply(gatherDimSize, batchSize);
            indices = GetBatchIndices(g, paramsShape, indices, batchDims);
            values = g.Reshape(values, flatValuesShape);
        }
        indices = g.Reshape(indices, indicesSize);
        var paramsGrad = g.UnsortedSegmentSum(values, indices, gatherDimSize);
        if (batchDims > 0) paramsGrad = g.Reshape(paramsGrad, g.Concat([outerShape, flatValuesShape], 0));
        return paramsGrad;
    }

    /// <summary>TF's _GetBatchIndices: adds each batch's offset into the flattened gather dimension.</summary>
    private static Output GetBatchIndices(Graph g, Output paramsShape, Output indices, int batchDims)
    {
        if (!indices.Shape.IsRankKnown) throw new UnimplementedException("The GatherV2 gradient with batch_dims needs indices of known rank");
        int ndims = indices.Shape.Rank;
        var dt = indices.DType;
        var batchIndices = indices;
        var casted = g.Cast(paramsShape, dt);
        Output accum = g.Constant(Graph.ScalarOf(dt, 1));
        for (int dim = batchDims; dim > 0; dim--)
        {
            var dimValue = casted.Slice(dim - 1);
            accum = g.Multiply(accum, casted.Slice(dim));
            var dimIndices = g.Multiply(g.Range(g.Constant(Graph.ScalarOf(dt, 0)), dimValue, g.Constant(Graph.ScalarOf(dt, 1))), accum);
            var parts = new Output[ndims];
            for (int k = 0; k < ndims; k++) parts[k] = k == dim - 1 ? dimValue : g.Constant(Graph.ScalarOf(dt, 1));
            batchIndices = g.AddV2(batchIndices, g.Reshape(dimIndices, g.Stack(parts)));
        }
        return batchIndices;
    }

    /// <summary>TF's _GatherDropNegatives: Gather(params, max(ids, 0)) with the rows of negative ids zeroed.</summary>
    private static Output GatherDropNegatives(Graph g, Output @params, Output ids)
    {
        var zeroClipped = g.Maximum(ids, g.ZerosLike(ids));
        var gathered = g.Gather(@params, zeroClipped);
        var isPositive = g.GreaterEqual(ids, g.Constant(Graph.ScalarOf(ids.DType, 0)));
        var isPositiveShape = g.ShapeOf(isPositive);
        var ones = g.Fill(g.Stack([g.Subtract(g.Rank(gathered), g.Rank(isPositive))]), g.Constant(1));
        var broadcastable = g.Concat([isPositiveShape, ones], 0);
        isPositive = g.Reshape(isPositive, broadcastable);
        isPositive = g.LogicalAnd(isPositive, g.Fill(g.ShapeOf(gathered), g.Constant(true)));
        return g.Select(isPositive, gathered, g.ZerosLike(gathered));
    }
}
