using TensorGraph.Serialization;
using TensorGraph.Tests.Serialization;

namespace TensorGraph.Tests.Interop;

/// <summary>
/// A BiLSTM-CRF training graph written by TensorFlow 1.0 (NeuroNER's entity LSTM, MIT licence;
/// see the fixture folder's README): a character BiLSTM and a token BiLSTM feeding a linear-chain
/// CRF (<c>crf/transitions</c>, 51 x 51, loss <c>crf/cross_entropy_mean_loss</c>), and TF's own
/// gradient-descent train op with gradients clipped to [-5, 5]. The MetaGraphDef is imported, its
/// variables initialized by its own initializers, and made-up inputs fed.
/// </summary>
public class BiLstmCrfMetaGraphTests
{
    private const string Folder = "bilstm_crf/neuroner_mimic";
    private const int Tokens = 4, MaxChars = 6, Classes = 49;

    private static Graph Import()
    {
        var path = Fixtures.File_(Folder + "/model.ckpt.meta");
        var g = new Graph();
        g.ImportMetaGraph(MetaGraphs.Read(path), source: path);
        return g;
    }

    private static Output T(Graph g, string name) => g.GetOperation(name)[0];

    /// <summary>A sentence of four tokens (word ids, padded character ids and lengths, BIOES tag ids).</summary>
    private static FeedDict Feeds(Graph g)
    {
        var chars = new int[Tokens, MaxChars];
        int[] lengths = [3, 6, 2, 5];
        for (int t = 0; t < Tokens; t++)
            for (int c = 0; c < lengths[t]; c++) chars[t, c] = 1 + (7 * t + 3 * c) % 90;
        int[] tags = [0, 3, 7, 0];
        var oneHot = new float[Tokens, Classes];
        for (int t = 0; t < Tokens; t++) oneHot[t, tags[t]] = 1;
        return new FeedDict
        {
            [T(g, "input_token_indices")] = new[] { 5, 17, 2, 300 },
            [T(g, "input_token_indices_1")] = Tensor.FromArray(chars),
            [T(g, "input_token_lengths")] = lengths,
            [T(g, "input_label_indices_flat")] = tags,
            [T(g, "input_label_indices_vector")] = Tensor.FromArray(oneHot),
            [T(g, "dropout_keep_prob")] = Tensor.Scalar(1f),
        };
    }

    private static Session Initialized(Graph g)
    {
        var s = new Session(g);
        s.Run(g.GlobalVariables.Select(v => v.Initializer).ToArray());
        return s;
    }

    [Test]
    public void TheGraphTrainsWithItsOwnTrainOp()
    {
        var g = Import();
        Assert.That(g.GetCollection<object>("while_context"), Is.Not.Empty, "the loops got their contexts back");
        using var s = Initialized(g);
        var feeds = Feeds(g);
        var loss = T(g, "crf/cross_entropy_mean_loss");
        var train = g.GetOperation("GradientDescent");
        var losses = new List<float>();
        for (int step = 0; step < 6; step++)
        {
            losses.Add(s.Run(loss, feeds).Scalar<float>());
            s.Run(train, feeds);
        }
        losses.Add(s.Run(loss, feeds).Scalar<float>());
        TestContext.Out.WriteLine("losses: " + string.Join(", ", losses));
        Assert.That(losses, Has.All.Matches<float>(float.IsFinite));
        Assert.That(losses[0], Is.GreaterThan(0));
        for (int i = 1; i < losses.Count; i++)
            Assert.That(losses[i], Is.LessThan(losses[i - 1]), $"step {i}: {string.Join(", ", losses)}");
    }
}
