namespace TensorGraph.Estimator;

/// <summary>TF's <c>tf.estimator.ModeKeys</c>: the mode a model function is called in, as TF's strings.</summary>
public static class ModeKeys
{
    /// <summary>Training (<c>"train"</c>).</summary>
    public const string Train = "train";

    /// <summary>Evaluation (<c>"eval"</c>).</summary>
    public const string Eval = "eval";

    /// <summary>Inference (<c>"infer"</c>, TF's PREDICT).</summary>
    public const string Predict = "infer";
}
