using TensorGraph.Serialization;
using TensorGraph.Tests.Serialization;

namespace TensorGraph.Tests.Interop;

/// <summary>
/// The TF-written bidirectional-LSTM training MetaGraphs (TF 1.13, v1 while-loop gradients with
/// StackV2 accumulators and TensorArrays) import: every op type they use is known.
/// </summary>
public class RnnMetaGraphImportTests
{
    [TestCase("word_rnn_untrained.meta")]
    [TestCase("att_rnn_untrained.meta")]
    public void ImportsWithEveryOpTypeKnown(string file)
    {
        var path = Fixtures.File_("tfnet/graph/" + file);
        var g = new Graph();
        g.ImportMetaGraph(MetaGraphs.Read(path), source: path);
        var types = g.Operations.Select(o => o.Type).ToHashSet();
        Assert.That(types, Is.SupersetOf(new[]
        {
            StackV2Spec.OpType, StackPushV2Spec.OpType, StackPopV2Spec.OpType, TensorArrayV3Spec.OpType, TensorArrayGradV3Spec.OpType,
            TensorArrayReadV3Spec.OpType, TensorArrayWriteV3Spec.OpType, TensorArrayScatterV3Spec.OpType, TensorArrayGatherV3Spec.OpType,
            ReverseSequenceSpec.OpType, ResourceApplyAdamSpec.OpType,
        }));
        var pop = g.Operations.First(o => o.Type == StackPopV2Spec.OpType);
        Assert.That(pop.Inputs[0].Op.Type, Is.EqualTo("Enter"), "the stack handle enters the backward loop");
    }
}
