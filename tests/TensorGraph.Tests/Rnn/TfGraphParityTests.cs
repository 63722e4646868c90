using TensorGraph.Rnn;
using TensorGraph.Serialization;
using Fixtures = TensorGraph.Tests.Serialization.Fixtures;
using TensorGraph.Training;

namespace TensorGraph.Tests.Rnn;

/// <summary>
/// Name parity with a training graph TF 1.13 built itself (tfnet/graph/word_rnn_untrained.meta: a
/// stacked bidirectional BasicLSTMCell dynamic_rnn with dropout and its v1 loop gradients): the
/// same model built here gives the same node names and op types for the forward loop, its
/// TensorArrays, the backprop loop's counters and accumulators.
/// </summary>
public class TfGraphParityTests
{
    [Test]
    public void StackedBidirectionalLstmAndItsGradientsAreNamedAsTensorFlowNamesThem()
    {
        var tf = Graph.FromMetaGraphDef(MetaGraphs.Read(Fixtures.Existing("tfnet/graph/word_rnn_untrained.meta")));
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 100, 256], name: "x");
        var len = g.Placeholder(DType.Int32, [-1], name: "len");
        Output outputs;
        using (g.NameScope("birnn"))
        {
            RnnCell Cell() => new DropoutWrapper(new BasicLstmCell(256), outputKeepProb: 0.5);
            (outputs, _, _) = g.StackBidirectionalDynamicRnn([Cell(), Cell()], [Cell(), Cell()], x, sequenceLength: len, dtype: DType.Float32);
        }
        using (g.NameScope("loss"))
        {
            var loss = g.ReduceMean(outputs);
            new AdamOptimizer(1e-3).Minimize(loss);
        }
        const string F = "birnn/stack_bidirectional_rnn/cell_0/bidirectional_rnn/fw/fw/";
        const string G = "loss/gradients/" + F;
        string[] names =
        [
            "stack_bidirectional_rnn/cell_0/bidirectional_rnn/fw/basic_lstm_cell/kernel",
            "stack_bidirectional_rnn/cell_1/bidirectional_rnn/bw/basic_lstm_cell/bias",
            F + "transpose", F + "sequence_length", F + "time", F + "TensorArray", F + "TensorArray_1",
            F + "TensorArrayUnstack/TensorArrayScatter/TensorArrayScatterV3", F + "Minimum",
            F + "while/iteration_counter", F + "while/Enter_2", F + "while/Merge_4", F + "while/LoopCond", F + "while/Switch_3",
            F + "while/TensorArrayReadV3", F + "while/GreaterEqual", F + "while/basic_lstm_cell/MatMul", F + "while/basic_lstm_cell/BiasAdd",
            F + "while/basic_lstm_cell/split", F + "while/basic_lstm_cell/Add_1", F + "while/basic_lstm_cell/Mul_2",
            F + "while/Select", F + "while/TensorArrayWrite/TensorArrayWriteV3", F + "while/Exit_2",
            F + "TensorArrayStack/TensorArraySizeV3", F + "TensorArrayStack/TensorArrayGatherV3",
            "birnn/stack_bidirectional_rnn/cell_0/bidirectional_rnn/bw/ReverseSequence",
            "birnn/stack_bidirectional_rnn/cell_0/concat",
            // The backprop loop of that direction.
            G + "while/Exit_2_grad/b_exit", G + "while/Switch_3_grad/b_switch", G + "while/Merge_3_grad/Switch",
            G + "while/Enter_3_grad/Exit", G + "while/basic_lstm_cell/MatMul_grad/MatMul_1",
            // (TF knows the kernel gradient's static shape [512, 1024] and starts its accumulator
            // b_acc from a Const; here that shape is only known at run time, so b_acc is TF's
            // unknown-shape form, zeros of the kernel's Shape: the accumulator loop is the same.)
            G + "while/basic_lstm_cell/MatMul/Enter_grad/NextIteration",
        ];
        // TF's graph holds resource variables (VarHandleOp), these are ref variables (VariableV2): same names.
        var variables = new[] { names[0], names[1] };
        foreach (var v in variables)
        {
            Assert.That(tf.TryGetOperation(v)?.Type, Is.EqualTo("VarHandleOp"));
            Assert.That(g.TryGetOperation(v)?.Type, Is.EqualTo("VariableV2"));
        }
        names = names[2..];
        var mismatches = new List<string>();
        foreach (var n in names)
        {
            var theirs = tf.TryGetOperation(n);
            var ours = g.TryGetOperation(n);
            if (theirs is null) mismatches.Add($"{n}: not in TF's graph");
            else if (ours is null) mismatches.Add($"{n}: missing here (TF: {theirs.Type})");
            else if (ours.Type != theirs.Type) mismatches.Add($"{n}: {ours.Type} here, {theirs.Type} in TF's graph");
        }
        Assert.That(mismatches, Is.Empty);
        // Every stack TF's gradient made for the MatMul's forward input exists here too.
        Assert.That(g.TryGetOperation(G + "while/basic_lstm_cell/MatMul_grad/MatMul_1/f_acc")?.Type, Is.EqualTo("StackV2"));
        Assert.That(tf.TryGetOperation(G + "while/basic_lstm_cell/MatMul_grad/MatMul_1/f_acc")?.Type, Is.EqualTo("StackV2"));
    }
}
