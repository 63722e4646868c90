namespace TensorGraph.Estimator;

/// <summary>
/// TF 1.15's <c>tf.estimator.RunConfig</c> (the parts a single-machine estimator uses):
/// <c>model_dir</c>, <c>tf_random_seed</c>, <c>save_summary_steps=100</c>,
/// <c>save_checkpoints_steps</c> or <c>save_checkpoints_secs</c> (600 when neither is given),
/// <c>keep_checkpoint_max=5</c>, <c>log_step_count_steps=100</c>.
/// </summary>
public sealed class RunConfig
{
    /// <summary>Creates a configuration; giving both checkpoint intervals is TF's ValueError.</summary>
    public RunConfig(string? modelDir = null, int? tfRandomSeed = null, int saveSummarySteps = 100, int? saveCheckpointsSteps = null,
        int? saveCheckpointsSecs = null, int keepCheckpointMax = 5, int logStepCountSteps = 100)
    {
        if (saveCheckpointsSteps is not null && saveCheckpointsSecs is not null)
            throw new ArgumentException("Can not provide both save_checkpoints_steps and save_checkpoints_secs.");
        if (saveCheckpointsSteps is <= 0) throw new ArgumentException($"save_checkpoints_steps must be positive, got {saveCheckpointsSteps}");
        ModelDir = modelDir;
        TfRandomSeed = tfRandomSeed;
        SaveSummarySteps = saveSummarySteps;
        SaveCheckpointsSteps = saveCheckpointsSteps;
        SaveCheckpointsSecs = saveCheckpointsSteps is null ? saveCheckpointsSecs ?? 600 : null;
        KeepCheckpointMax = keepCheckpointMax;
        LogStepCountSteps = logStepCountSteps;
    }

    /// <summary>Where checkpoints, the graph and events go (the estimator's model_dir).</summary>
    public string? ModelDir { get; }

    /// <summary>The graph-level random seed of every graph the estimator builds.</summary>
    public int? TfRandomSeed { get; }

    /// <summary>Write the merged summaries (the loss) every this many steps (0 or less: never).</summary>
    public int SaveSummarySteps { get; }

    /// <summary>Save a checkpoint every this many steps (null when saving by time).</summary>
    public int? SaveCheckpointsSteps { get; }

    /// <summary>Save a checkpoint every this many seconds (null when saving by steps).</summary>
    public int? SaveCheckpointsSecs { get; }

    /// <summary>How many recent checkpoints to keep (0 or less keeps all).</summary>
    public int KeepCheckpointMax { get; }

    /// <summary>Log the loss and write global_step/sec every this many steps.</summary>
    public int LogStepCountSteps { get; }

    /// <summary>This configuration with another model directory (TF's <c>config.replace(model_dir=...)</c>).</summary>
    public RunConfig WithModelDir(string? modelDir) =>
        new(modelDir, TfRandomSeed, SaveSummarySteps, SaveCheckpointsSteps, SaveCheckpointsSteps is null ? SaveCheckpointsSecs : null, KeepCheckpointMax, LogStepCountSteps);
}
