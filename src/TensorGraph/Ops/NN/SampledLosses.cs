namespace TensorGraph;

public sealed partial class Graph
{
    /// <summary>
    /// TF 1.15's <c>tf.nn.nce_loss</c>: the noise-contrastive estimation loss per example,
    /// [batch_size]. The logits of the true classes and of <paramref name="numSampled"/> sampled
    /// classes (TF's <c>_compute_sampled_logits</c> in a <paramref name="name"/> scope, log Q
    /// subtracted) go through <see cref="SigmoidCrossEntropyWithLogits"/> (named
    /// <c>sampled_losses</c>) with label 1/num_true for the true classes and 0 for the samples,
    /// and each row is summed (TF's <c>_sum_rows</c>: a MatMul with a column of ones).
    /// <paramref name="weights"/> is [num_classes, dim], <paramref name="biases"/> [num_classes],
    /// <paramref name="labels"/> [batch_size, num_true] (int64, or cast to it),
    /// <paramref name="inputs"/> [batch_size, dim]. Without <paramref name="sampledValues"/> the
    /// classes are drawn by <see cref="LogUniformCandidateSampler"/> (unique) with
    /// <paramref name="seed"/>. With <paramref name="removeAccidentalHits"/> sampled classes equal
    /// to a true class get −FLT_MAX added to their logits ("sampled logistic" loss).
    /// </summary>
    public Output NceLoss(Output weights, Output biases, Output labels, Output inputs, int numSampled, int numClasses, int numTrue = 1,
        CandidateSamples? sampledValues = null, bool removeAccidentalHits = false, string name = "nce_loss", int? seed = null) =>
        NceLoss([weights], biases, labels, inputs, numSampled, numClasses, numTrue, sampledValues, removeAccidentalHits, "mod", name, seed);

    /// <summary>
    /// <see cref="NceLoss(Output, Output, Output, Output, int, int, int, CandidateSamples, bool, string, int?)"/> over class
    /// embeddings split into <paramref name="weights"/> (rows looked up by
    /// <see cref="EmbeddingLookup(Output[], Output, string, double?, string)"/> with
    /// <paramref name="partitionStrategy"/>, "mod" or "div").
    /// </summary>
    public Output NceLoss(Output[] weights, Output biases, Output labels, Output inputs, int numSampled, int numClasses, int numTrue = 1,
        CandidateSamples? sampledValues = null, bool removeAccidentalHits = false, string partitionStrategy = "mod", string name = "nce_loss",
        int? seed = null)
    {
        var (logits, lab) = ComputeSampledLogits(weights, biases, labels, inputs, numSampled, numClasses, numTrue, sampledValues,
            subtractLogQ: true, removeAccidentalHits, partitionStrategy, name, seed);
        var sampledLosses = SigmoidCrossEntropyWithLogits(lab, logits, "sampled_losses");
        return SumRows(sampledLosses);
    }

    /// <summary>
    /// TF 1.15's <c>tf.nn.sampled_softmax_loss</c>: the sampled softmax loss per example,
    /// [batch_size]: the sampled logits of
    /// <see cref="NceLoss(Output, Output, Output, Output, int, int, int, CandidateSamples, bool, string, int?)"/> (accidental hits removed by
    /// default) and labels 1/num_true for the true classes through
    /// <see cref="SoftmaxCrossEntropyWithLogitsV2"/>, the labels behind a StopGradient named
    /// <c>labels_stop_gradient</c>.
    /// </summary>
    public Output SampledSoftmaxLoss(Output weights, Output biases, Output labels, Output inputs, int numSampled, int numClasses, int numTrue = 1,
        CandidateSamples? sampledValues = null, bool removeAccidentalHits = true, string name = "sampled_softmax_loss", int? seed = null) =>
        SampledSoftmaxLoss([weights], biases, labels, inputs, numSampled, numClasses, numTrue, sampledValues, removeAccidentalHits, "mod", name, seed);

    /// <summary>
    /// <see cref="SampledSoftmaxLoss(Output, Output, Output, Output, int, int, int, CandidateSamples, bool, string, int?)"/>
    /// over class embeddings split into <paramref name="weights"/> (see
    /// <see cref="NceLoss(Output[], Output, Output, Output, int, int, int, CandidateSamples, bool, string, string, int?)"/>).
    /// </summary>
    public Output SampledSoftmaxLoss(Output[] weights, Output biases, Output labels, Output inputs, int numSampled, int numClasses, int numTrue = 1,
        CandidateSamples? sampledValues = null, bool removeAccidentalHits = true, string partitionStrategy = "mod",
        string name = "sampled_softmax_loss", int? seed = null)
    {
        var (logits, lab) = ComputeSampledLogits(weights, biases, labels, inputs, numSampled, numClasses, numTrue, sampledValues,
            subtractLogQ: true, removeAccidentalHits, partitionStrategy, name, seed);
        lab = StopGradient(lab, "labels_stop_gradient");
        return SoftmaxCrossEntropyWithLogitsV2(lab, logits);
    }

    /// <summary>TF's <c>_sum_rows</c>: <c>reshape(matmul(x, ones([shape(x)[1], 1])), [-1])</c>, the row sums of a matrix.</summary>
    private Output SumRows(Output x)
    {
        var cols = Slice(ShapeOf(x), SliceItem.At(1));
        var onesShape = Stack([cols, Constant(1)]);
        Output ones;
        using (NameScope("ones"))
        {
            var exact = CurrentNameScope + "/";
            ones = Fill(onesShape, Constant(ScalarOf(x.DType, 1), name: "Const"), exact);
        }
        return Reshape(MatMul(x, ones), [-1]);
    }

    /// <summary>
    /// TF 1.15's <c>nn_impl._compute_sampled_logits</c>: [batch_size, num_true + num_sampled]
    /// logits (true classes first) and the matching labels (1/num_true, then 0), node by node as
    /// TF builds them in the <paramref name="name"/> scope.
    /// </summary>
    private (Output Logits, Output Labels) ComputeSampledLogits(Output[] weights, Output biases, Output labels, Output inputs, int numSampled,
        int numClasses, int numTrue, CandidateSamples? sampledValues, bool subtractLogQ, bool removeAccidentalHits, string partitionStrategy,
        string name, int? seed)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (numTrue < 1) throw new InvalidArgumentException($"num_true must be >= 1, got {numTrue}");
        using var scope = NameScope(name ?? "compute_sampled_logits");
        if (labels.DType != DType.Int64) labels = Cast(labels, DType.Int64);
        var labelsFlat = Reshape(labels, [-1]);

        // Sample the negative labels: [num_sampled], [batch_size, num_true], [num_sampled].
        sampledValues ??= LogUniformCandidateSampler(labels, numTrue, numSampled, unique: true, rangeMax: numClasses, seed: seed);
        var sampled = StopGradient(sampledValues.SampledCandidates);
        var trueExpectedCount = StopGradient(sampledValues.TrueExpectedCount);
        var sampledExpectedCount = StopGradient(sampledValues.SampledExpectedCount);
        sampled = Cast(sampled, DType.Int64);

        var allIds = Concat([labelsFlat, sampled], 0);
        var allW = EmbeddingLookup(weights, allIds, partitionStrategy);
        if (allW.DType != inputs.DType) allW = Cast(allW, inputs.DType);
        // true_w [batch_size * num_true, dim], sampled_w [num_sampled, dim]
        var trueW = Slice(allW, Constant(new[] { 0, 0 }), Stack([Slice(ShapeOf(labelsFlat), SliceItem.At(0)), Constant(-1)]));
        var sampledW = Slice(allW, Stack([Slice(ShapeOf(labelsFlat), SliceItem.At(0)), Constant(0)]), Constant(new[] { -1, -1 }));
        var sampledLogits = MatMul(inputs, sampledW, transposeB: true);

        var allB = EmbeddingLookup([biases], allIds, partitionStrategy);
        if (allB.DType != inputs.DType) allB = Cast(allB, inputs.DType);
        var trueB = Slice(allB, Constant(new[] { 0 }), ShapeOf(labelsFlat));
        var sampledB = Slice(allB, ShapeOf(labelsFlat), Constant(new[] { -1 }));

        // row_wise_dots [batch_size, num_true, dim]; true_logits [batch_size, num_true]
        var dim = Slice(ShapeOf(trueW), SliceItem.Range(1, 2));
        var newTrueWShape = Concat([Constant(new[] { -1, numTrue }), dim], 0);
        var rowWiseDots = Multiply(ExpandDims(inputs, 1), Reshape(trueW, newTrueWShape));
        var dotsAsMatrix = Reshape(rowWiseDots, Concat([Constant(new[] { -1 }), dim], 0));
        var trueLogits = Reshape(SumRows(dotsAsMatrix), [-1, numTrue]);
        trueB = Reshape(trueB, [-1, numTrue]);
        trueLogits += trueB;
        sampledLogits += sampledB;

        if (removeAccidentalHits)
        {
            var (accIndices, accIds, accWeights) = ComputeAccidentalHits(labels, sampled, numTrue);
            // How SparseToDense expects the indices.
            var accIndices2d = Reshape(accIndices, [-1, 1]);
            var accIds2dInt32 = Reshape(Cast(accIds, DType.Int32), [-1, 1]);
            var sparseIndices = Concat([accIndices2d, accIds2dInt32], 1, "sparse_indices");
            var sampledLogitsShape = Concat([Slice(ShapeOf(labels), SliceItem.Range(null, 1)), ExpandDims(Constant(numSampled), 0)], 0);
            if (sampledLogits.DType != accWeights.DType) accWeights = Cast(accWeights, sampledLogits.DType);
            sampledLogits += SparseToDense(sparseIndices, sampledLogitsShape, accWeights, Constant(ScalarOf(sampledLogits.DType, 0)),
                validateIndices: false);
        }

        if (subtractLogQ)
        {
            // Subtract log Q(l), the prior probability that l appears among the samples.
            trueLogits -= Log(trueExpectedCount);
            sampledLogits -= Log(sampledExpectedCount);
        }

        // The true labels and logits start at column 0; the true labels sum to 1 per example.
        var outLogits = Concat([trueLogits, sampledLogits], 1);
        var outLabels = Concat([OnesLike(trueLogits) / Tensor.Scalar(numTrue), ZerosLike(sampledLogits)], 1);
        return (outLogits, outLabels);
    }
}
