using TensorGraph.Rnn;

namespace TensorGraph;

public sealed partial class Graph
{
    /// <summary>
    /// TF 1.15's <c>tf.contrib.crf.crf_sequence_score(inputs, tag_indices, sequence_lengths,
    /// transition_params)</c>: the unnormalized score [batch] of each tag sequence,
    /// <see cref="CrfUnaryScore"/> + <see cref="CrfBinaryScore"/>. When the time dimension is 1
    /// (TF's smart_cond: decided here when the dimension is static, else a <c>cond</c> at run
    /// time) the score is the gathered unary potential, zero for sequences of length ≤ 0.
    /// <paramref name="inputs"/> is [batch, max_seq_len, num_tags], <paramref name="tagIndices"/>
    /// [batch, max_seq_len] (int32/int64), <paramref name="sequenceLengths"/> [batch].
    /// </summary>
    public Output CrfSequenceScore(Output inputs, Output tagIndices, Output sequenceLengths, Output transitionParams)
    {
        CrfCheckInputs(inputs, "inputs");
        CrfCheckTags(tagIndices);
        Output SingleSeq()
        {
            var batchSize = ShapeOf(inputs, tagIndices.DType).Slice(0);
            var exampleInds = Reshape(Crf.RangeTo(this, batchSize), [-1, 1]);
            var scores = GatherNd(Squeeze(inputs, [1]), Concat([exampleInds, tagIndices], 1));
            return Select(LessEqual(sequenceLengths, ScalarOf(sequenceLengths.DType, 0)), ZerosLike(scores), scores);
        }
        Output MultiSeq() =>
            CrfUnaryScore(tagIndices, sequenceLengths, inputs) + CrfBinaryScore(tagIndices, sequenceLengths, transitionParams);
        return CrfSmartCond(inputs, SingleSeq, MultiSeq);
    }

    /// <summary>
    /// TF 1.15's <c>tf.contrib.crf.crf_multitag_sequence_score(inputs, tag_bitmap,
    /// sequence_lengths, transition_params)</c>: log Σ exp(score) over every tag sequence allowed
    /// by the bool [batch, max_seq_len, num_tags] <paramref name="tagBitmap"/>, i.e.
    /// <see cref="CrfLogNorm"/> of the inputs with the disallowed tags set to −∞ (a one-hot
    /// bitmap gives <see cref="CrfSequenceScore"/>). A time dimension of 1 reduces over the only step.
    /// </summary>
    public Output CrfMultitagSequenceScore(Output inputs, Output tagBitmap, Output sequenceLengths, Output transitionParams)
    {
        CrfCheckInputs(inputs, "inputs");
        if (tagBitmap.Op is null || tagBitmap.DType != DType.Bool)
            throw new InvalidArgumentException($"tag_bitmap must be a bool tensor, got {(tagBitmap.Op is null ? "a default (unset) Output" : $"'{tagBitmap.Name}' of {tagBitmap.DType.Name()}")}");
        Output Filtered() => Select(tagBitmap, inputs, Fill(ShapeOf(inputs), Constant(ScalarOf(inputs.DType, double.NegativeInfinity))));
        return CrfSmartCond(inputs, () => ReduceLogSumExp(Filtered(), [1, 2]), () => CrfLogNorm(Filtered(), sequenceLengths, transitionParams));
    }

    /// <summary>
    /// TF 1.15's <c>tf.contrib.crf.crf_log_norm(inputs, sequence_lengths, transition_params)</c>:
    /// the log partition function [batch] by the forward algorithm, a <see cref="DynamicRnn"/> of
    /// a <see cref="CrfForwardRnnCell"/> over inputs[:, 1:] from the initial alphas inputs[:, 0]
    /// with lengths max(0, sequence_lengths − 1), then reduce_logsumexp of the final alphas.
    /// A time dimension of 1 skips the loop (TF's smart_cond, as in <see cref="CrfSequenceScore"/>);
    /// sequences of length ≤ 0 get 0.
    /// </summary>
    public Output CrfLogNorm(Output inputs, Output sequenceLengths, Output transitionParams)
    {
        CrfCheckInputs(inputs, "inputs");
        var firstInput = Squeeze(Slice(inputs, [0, 0, 0], [-1, 1, -1]), [1]);
        Output Mask(Output logNorm) =>
            Select(LessEqual(sequenceLengths, ScalarOf(sequenceLengths.DType, 0)), ZerosLike(logNorm), logNorm);
        Output SingleSeq() => Mask(ReduceLogSumExp(firstInput, [1]));
        Output MultiSeq()
        {
            var restOfInput = Slice(inputs, [0, 1, 0], [-1, -1, -1]);
            var forwardCell = new CrfForwardRnnCell(transitionParams);
            var lengthsLessOne = Maximum(Constant(ScalarOf(sequenceLengths.DType, 0)), sequenceLengths - ScalarOf(sequenceLengths.DType, 1));
            // TF passes dtype=float32; the inputs' dtype is the same for float32 and lets float64 work.
            var (_, alphas) = DynamicRnn(forwardCell, restOfInput, lengthsLessOne, [firstInput], inputs.DType);
            return Mask(ReduceLogSumExp(alphas[0], [1]));
        }
        return CrfSmartCond(inputs, SingleSeq, MultiSeq);
    }

    /// <summary>
    /// TF 1.15's <c>tf.contrib.crf.crf_log_likelihood(inputs, tag_indices, sequence_lengths,
    /// transition_params=None)</c>: <see cref="CrfSequenceScore"/> − <see cref="CrfLogNorm"/>
    /// [batch]. Without <paramref name="transitionParams"/> it creates the variable
    /// <c>transitions</c> [num_tags, num_tags] with <see cref="GetVariable(string, Shape?, DType?, Initializers.Initializer?, Func{Output, Output?}?, bool?, IEnumerable{string}?)"/>
    /// in the current variable scope (Glorot uniform, as TF). Returns the log-likelihood and
    /// the transition matrix used (the variable's value when it was created here).
    /// </summary>
    public (Output LogLikelihood, Output TransitionParams) CrfLogLikelihood(Output inputs, Output tagIndices, Output sequenceLengths,
        Output? transitionParams = null)
    {
        CrfCheckInputs(inputs, "inputs");
        Output transitions;
        if (transitionParams is { } given) transitions = given;
        else
        {
            int numTags = inputs.Shape.IsRankKnown ? inputs.Shape[2] : -1;
            if (numTags < 0)
                throw new InvalidArgumentException($"crf_log_likelihood creates its transitions from the static number of tags, but '{inputs.Name}' has shape {inputs.Shape}");
            // TF takes the scope's dtype (float32); the inputs' dtype is the same for float32 inputs and lets float64 work.
                transitions = GetVariable("transitions", new Shape(numTags, numTags), inputs.DType).Value;
        }
        var sequenceScores = CrfSequenceScore(inputs, tagIndices, sequenceLengths, transitions);
        var logNorm = CrfLogNorm(inputs, sequenceLengths, transitions);
        return (sequenceScores - logNorm, transitions);
    }

    /// <summary>
    /// TF 1.15's <c>tf.contrib.crf.crf_unary_score(tag_indices, sequence_lengths, inputs)</c>:
    /// Σₜ inputs[b, t, tag[b, t]] over the first sequence_lengths[b] steps, gathered from the
    /// flattened inputs at offsets (b·T + t)·N + tag and masked by <see cref="SequenceMask"/>.
    /// </summary>
    public Output CrfUnaryScore(Output tagIndices, Output sequenceLengths, Output inputs)
    {
        CrfCheckInputs(inputs, "inputs");
        CrfCheckTags(tagIndices);
        var shape = ShapeOf(inputs);
        var batchSize = shape.Slice(0);
        var maxSeqLen = ShapeOf(inputs).Slice(1);
        var numTags = ShapeOf(inputs).Slice(2);
        var flattenedInputs = Reshape(inputs, [-1]);
        var offsets = ExpandDims(Crf.RangeTo(this, batchSize) * maxSeqLen * numTags, 1);
        offsets += ExpandDims(Crf.RangeTo(this, maxSeqLen) * numTags, 0);
        if (tagIndices.DType == DType.Int64) offsets = Cast(offsets, DType.Int64);
        var flattenedTagIndices = Reshape(offsets + tagIndices, [-1]);
        var unaryScores = Reshape(Gather(flattenedInputs, flattenedTagIndices), Stack([batchSize, maxSeqLen]));
        var masks = SequenceMask(sequenceLengths, ShapeOf(tagIndices).Slice(1), inputs.DType);
        return ReduceSum(unaryScores * masks, [1]);
    }

    /// <summary>
    /// TF 1.15's <c>tf.contrib.crf.crf_binary_score(tag_indices, sequence_lengths,
    /// transition_params)</c>: Σₜ transitions[tag[b, t−1], tag[b, t]] over the transitions
    /// inside each sequence, gathered from the flattened matrix at start·N + end and masked.
    /// </summary>
    public Output CrfBinaryScore(Output tagIndices, Output sequenceLengths, Output transitionParams)
    {
        CrfCheckTags(tagIndices);
        if (transitionParams.Op is null) throw new InvalidArgumentException("transition_params is a default (unset) Output");
        var ts = transitionParams.Shape;
        Output numTags = ts.IsRankKnown && ts[0] >= 0
            ? Constant(ScalarOf(tagIndices.DType, ts[0]))
            : Cast(ShapeOf(transitionParams).Slice(0), tagIndices.DType);
        var numTransitions = ShapeOf(tagIndices).Slice(1) - Tensor.Scalar(1);
        var size = Stack([Constant(-1), numTransitions]);
        var startTagIndices = Slice(tagIndices, Constant(new[] { 0, 0 }), size);
        var endTagIndices = Slice(tagIndices, Constant(new[] { 0, 1 }), size);
        var flattenedTransitionIndices = startTagIndices * numTags + endTagIndices;
        var flattenedTransitionParams = Reshape(transitionParams, [-1]);
        var binaryScores = Gather(flattenedTransitionParams, flattenedTransitionIndices);
        var masks = SequenceMask(sequenceLengths, ShapeOf(tagIndices).Slice(1), transitionParams.DType);
        var truncatedMasks = Slice(masks, [0, 1], [-1, -1]);
        return ReduceSum(binaryScores * truncatedMasks, [1]);
    }

    /// <summary>
    /// TF 1.15's <c>tf.contrib.crf.crf_decode(potentials, transition_params,
    /// sequence_length)</c>: Viterbi decoding in the graph. A <see cref="DynamicRnn"/> of a
    /// <see cref="CrfDecodeForwardRnnCell"/> gives the backpointers and last scores; the
    /// backpointers are reversed (ReverseSequence over the lengths − 1) and a second DynamicRnn
    /// of a <see cref="CrfDecodeBackwardRnnCell"/> follows them from the best last tag; the
    /// tags are concatenated and reversed back. Returns decode_tags [batch, max_seq_len] int32
    /// (0 past each length) and best_score [batch]. A time dimension of 1 takes the argmax and
    /// max of the only step (TF's smart_cond).
    /// </summary>
    public (Output DecodeTags, Output BestScore) CrfDecode(Output potentials, Output transitionParams, Output sequenceLength)
    {
        CrfCheckInputs(potentials, "potentials");
        if (!sequenceLength.DType.IsInteger())
            throw new InvalidArgumentException($"sequence_length must be int32 or int64, got '{sequenceLength.Name}' of {sequenceLength.DType.Name()}");
        Output[] SingleSeq()
        {
            var squeezed = Squeeze(potentials, [1]);
            var decodeTags = ExpandDims(ArgMax(squeezed, 1), 1);
            var bestScore = ReduceMax(squeezed, [1]);
            return [Cast(decodeTags, DType.Int32), bestScore];
        }
        Output[] MultiSeq()
        {
            int numTags = potentials.Shape[2];
            var fwdCell = new CrfDecodeForwardRnnCell(transitionParams);
            var initialState = Squeeze(Slice(potentials, [0, 0, 0], [-1, 1, -1]), [1]);
            var inputs = Slice(potentials, [0, 1, 0], [-1, -1, -1]);
            var lengthLessOne = Maximum(Constant(ScalarOf(sequenceLength.DType, 0)), sequenceLength - ScalarOf(sequenceLength.DType, 1));
            var (backpointers, lastScore) = DynamicRnn(fwdCell, inputs, lengthLessOne, [initialState], DType.Int32);
            backpointers = ReverseSequence(backpointers, lengthLessOne, 1);
            var bwdCell = new CrfDecodeBackwardRnnCell(numTags);
            var initial = ExpandDims(Cast(ArgMax(lastScore[0], 1), DType.Int32), -1);
            var (decodeTags, _) = DynamicRnn(bwdCell, backpointers, lengthLessOne, [initial], DType.Int32);
            decodeTags = Squeeze(decodeTags, [2]);
            decodeTags = Concat([initial, decodeTags], 1);
            decodeTags = ReverseSequence(decodeTags, sequenceLength, 1);
            var bestScore = ReduceMax(lastScore[0], [1]);
            return [decodeTags, bestScore];
        }
        var r = CrfSmartCond(potentials, SingleSeq, MultiSeq);
        return (r[0], r[1]);
    }

    /// <summary>
    /// TF's <c>utils.smart_cond(math_ops.equal(inputs.shape[1] or shape(inputs)[1], 1), …)</c>:
    /// the Equal node is built either way; a static time dimension picks the branch here, an
    /// unknown one builds a <c>cond</c>.
    /// </summary>
    private Output[] CrfSmartCond(Output inputs, Func<Output[]> singleSeq, Func<Output[]> multiSeq)
    {
        int t = inputs.Shape.IsRankKnown ? inputs.Shape[1] : -1;
        if (t >= 0)
        {
            using (NameScope("Equal"))
            {
                var exact = CurrentNameScope + "/";
                Equal(Constant(t, name: "x"), Constant(1, name: "y"), exact);
            }
            return t == 1 ? singleSeq() : multiSeq();
        }
        var pred = Equal(ShapeOf(inputs).Slice(1), Tensor.Scalar(1));
        return Cond(pred, singleSeq, multiSeq);
    }

    private Output CrfSmartCond(Output inputs, Func<Output> singleSeq, Func<Output> multiSeq) =>
        CrfSmartCond(inputs, () => [singleSeq()], () => [multiSeq()])[0];

    private static void CrfCheckInputs(Output inputs, string what)
    {
        if (inputs.Op is null) throw new InvalidArgumentException($"{what} is a default (unset) Output");
        if (!inputs.DType.IsFloating())
            throw new InvalidArgumentException($"The CRF {what} must be floating point, got '{inputs.Name}' of {inputs.DType.Name()}");
        var s = inputs.Shape;
        if (s.IsRankKnown && s.Rank != 3)
            throw new InvalidArgumentException($"The CRF {what} must be [batch_size, max_seq_len, num_tags], but '{inputs.Name}' has shape {s}");
        if (!s.IsRankKnown || s[2] < 0)
            throw new InvalidArgumentException($"The CRF {what} need a static number of tags (dimension 2), but '{inputs.Name}' has shape {s}");
    }

    private static void CrfCheckTags(Output tagIndices)
    {
        if (tagIndices.Op is null) throw new InvalidArgumentException("tag_indices is a default (unset) Output");
        if (tagIndices.DType is not (DType.Int32 or DType.Int64))
            throw new InvalidArgumentException($"tag_indices must be int32 or int64, got '{tagIndices.Name}' of {tagIndices.DType.Name()}");
    }
}
