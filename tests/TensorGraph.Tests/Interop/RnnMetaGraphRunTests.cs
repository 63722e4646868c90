using TensorGraph.Serialization;
using TensorGraph.Tests.Serialization;

namespace TensorGraph.Tests.Interop;

/// <summary>
/// Runs the TF-written stacked bidirectional LSTM training graph (word_rnn_untrained.meta, TF 1.13)
/// end to end: the forward loops (TensorArray reads and writes, ReverseSequence for the backward
/// direction) and TF's own backward loops (StackV2 accumulators pushed forward and popped
/// backward, TensorArray gradients, ControlTrigger syncs) run in one Session.Run. The 563k-row
/// embedding is not initialized: its lookup is fed.
/// </summary>
public class RnnMetaGraphRunTests
{
    private const string Prefix = "stack_bidirectional_rnn/cell_";

    [Test]
    public void ForwardAndTensorFlowsLoopGradientsRun()
    {
        var path = Fixtures.File_("tfnet/graph/word_rnn_untrained.meta");
        var g = new Graph();
        g.ImportMetaGraph(MetaGraphs.Read(path), source: path);
        Output T(string name) => g.GetOperation(name)[0];
        var lookup = T("embedding/embedding_lookup");
        var loss = T("loss/Mean");
        var lstmGrads = new[] { "0/bidirectional_rnn/fw/fw", "0/bidirectional_rnn/bw/bw", "1/bidirectional_rnn/fw/fw", "1/bidirectional_rnn/bw/bw" }
            .Select(d => T($"loss/gradients/birnn/{Prefix}{d}/while/basic_lstm_cell/BiasAdd/Enter_grad/b_acc_3")).ToArray();
        var denseGrad = T("loss/gradients/output/dense/BiasAdd_grad/BiasAddGrad");

        using var s = new Session(g);
        // Deterministic initial values (the graph's own initializers are unseeded).
        var rv = new Random(5);
        Tensor Uniform(Shape shape, double scale) =>
            Tensor.Create(Enumerable.Range(0, (int)shape.NumElements).Select(_ => (float)((rv.NextDouble() * 2 - 1) * scale)).ToArray(), shape.ToArray());
        var inits = new List<Operation>();
        foreach (var cell in new[] { "0", "1" })
            foreach (var dir in new[] { "fw", "bw" })
                foreach (var v in new[] { "kernel", "bias" })
                {
                    var h = T($"{Prefix}{cell}/bidirectional_rnn/{dir}/basic_lstm_cell/{v}");
                    inits.Add(g.AssignVariableOp(h, g.Constant(Uniform(h.Op.GetAttrShape("shape"), v == "kernel" ? 0.08 : 0.1))));
                }
        inits.Add(g.Assign(T("dense/kernel"), g.Constant(Uniform(new Shape(51200, 14), 0.01))).Op);
        inits.Add(g.Assign(T("dense/bias"), g.Constant(Uniform(new Shape(14), 0.1))).Op);
        s.Run(inits.ToArray());

        // Two sequences, the second padded after 37 steps (zero ids).
        const int batch = 2, steps = 100, dim = 256;
        var ids = new int[batch, steps];
        for (int t = 0; t < steps; t++) { ids[0, t] = 1 + t; ids[1, t] = t < 37 ? 5 + t : 0; }
        var r = new Random(11);
        var emb = Tensor.Create(Enumerable.Range(0, batch * steps * dim).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray(), batch, steps, dim);
        var feeds = new FeedDict { [T("x")] = Tensor.FromArray(ids), [T("y")] = new[] { 3, 11 }, [T("is_training")] = false, [lookup] = emb };

        var results = s.Run([loss, denseGrad, .. lstmGrads], feeds);
        Assert.That(float.IsFinite(results[0].Scalar<float>()), Is.True);
        for (int i = 2; i < results.Length; i++)
        {
            Assert.That(results[i].Dims.ToArray(), Is.EqualTo(new[] { 1024 }), lstmGrads[i - 2].Name);
            Assert.That(results[i].ToArray<float>().All(float.IsFinite) && results[i].ToArray<float>().Any(v => v != 0), Is.True, lstmGrads[i - 2].Name);
        }
        var again = s.Run(lstmGrads[0], feeds);
        Assert.That(again.ToArray<float>(), Is.EqualTo(results[2].ToArray<float>()), "a second run (new stacks and arrays) gives the same gradient");

        // The input gradient (fw + bw of layer 0): the padded steps of the second sequence do not
        // reach the loss, so their gradient is exactly zero.
        var inputGrad = s.Run(T("loss/gradients/AddN_17"), feeds).ToArray<float>();
        double real = 0, padded = 0;
        for (int t = 0; t < steps; t++)
            for (int d = 0; d < dim; d++)
            {
                double v = Math.Abs(inputGrad[(steps + t) * dim + d]);
                if (t < 37) real += v; else padded += v;
            }
        Assert.That(real, Is.GreaterThan(0));
        Assert.That(padded, Is.EqualTo(0.0));

        // TF's loop gradients of LSTM biases against central differences of the loss.
        foreach (var (dir, k) in new[] { ("1/bidirectional_rnn/fw", 300), ("1/bidirectional_rnn/fw", 600), ("0/bidirectional_rnn/bw", 300) })
        {
            var handle = T($"{Prefix}{dir}/basic_lstm_cell/bias");
            var lstmGrad = s.Run(T($"loss/gradients/birnn/{Prefix}{dir}/{dir.Split('/')[^1]}/while/basic_lstm_cell/BiasAdd/Enter_grad/b_acc_3"), feeds).ToArray<float>()[k];
            var bias = s.Run(g.ReadVariableOp(handle, DType.Float32)).ToArray<float>();
            var value = g.Placeholder(DType.Float32, [1024]);
            var set = g.AssignVariableOp(handle, value);
            double LossAt(float shift)
            {
                var b = (float[])bias.Clone();
                b[k] += shift;
                s.Run([], new FeedDict { [value] = b }, set);
                return s.Run(loss, feeds).Scalar<float>();
            }
            double numeric = (LossAt(1e-2f) - LossAt(-1e-2f)) / 2e-2;
            s.Run([], new FeedDict { [value] = bias }, set);
            Assert.That(lstmGrad, Is.EqualTo(numeric).Within(Math.Max(5e-5, 0.02 * Math.Abs(numeric))), $"{dir} bias[{k}]");
        }

        // The gradient outside the loops against central differences of the loss.
        var newBias = g.Placeholder(DType.Float32, [14], name: "new_dense_bias");
        var assign = g.Assign(T("dense/bias"), newBias);
        var b0 = s.Run(g.Identity(T("dense/bias"))).ToArray<float>();
        for (int k = 0; k < 3; k++)
        {
            double Loss(float shift)
            {
                var b = (float[])b0.Clone();
                b[k] += shift;
                s.Run([assign.Op], new FeedDict { [newBias] = b });
                return s.Run(loss, feeds).Scalar<float>();
            }
            double numeric = (Loss(1e-2f) - Loss(-1e-2f)) / 2e-2;
            Assert.That(results[1].ToArray<float>()[k], Is.EqualTo(numeric).Within(2e-4), $"dense/bias[{k}]");
        }
    }
}
