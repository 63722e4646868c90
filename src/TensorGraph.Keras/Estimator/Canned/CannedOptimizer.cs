using TensorGraph.Training;

namespace TensorGraph.Estimator.Canned;

/// <summary>
/// The <c>optimizer</c> argument of the canned estimators, as TF's <c>get_optimizer_instance</c>
/// takes it: a name ("Adagrad", "Adam", "Ftrl", "RMSProp", "SGD") made with the estimator's
/// default learning rate, an <see cref="Optimizer"/>, or a function that makes one (called once
/// per graph the estimator builds). Strings, optimizers and functions convert implicitly.
/// </summary>
public sealed class CannedOptimizer
{
    private static readonly string[] Names = ["Adagrad", "Adam", "Ftrl", "RMSProp", "SGD"];
    private readonly string? _name;
    private readonly Optimizer? _instance;
    private readonly Func<Optimizer>? _factory;

    /// <summary>An optimizer by TF's name.</summary>
    /// <exception cref="ArgumentException">Not one of TF's names.</exception>
    public CannedOptimizer(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Names.Contains(name, StringComparer.Ordinal))
            throw new ArgumentException($"Unsupported optimizer name: {name}. Supported names are: ('{string.Join("', '", Names.Order(StringComparer.Ordinal))}')");
        _name = name;
    }

    /// <summary>This optimizer.</summary>
    public CannedOptimizer(Optimizer optimizer) => _instance = optimizer ?? throw new ArgumentNullException(nameof(optimizer));

    /// <summary>An optimizer made by <paramref name="factory"/>.</summary>
    public CannedOptimizer(Func<Optimizer> factory) => _factory = factory ?? throw new ArgumentNullException(nameof(factory));

    /// <summary>TF's <c>get_optimizer_instance(opt, learning_rate)</c>; the rate applies to a name only.</summary>
    public Optimizer Get(double learningRate) => _instance ?? _factory?.Invoke() ?? _name switch
    {
        "Adagrad" => new AdagradOptimizer(learningRate),
        "Adam" => new AdamOptimizer(learningRate),
        "Ftrl" => new FtrlOptimizer(learningRate),
        "RMSProp" => new RMSPropOptimizer(learningRate),
        _ => new GradientDescentOptimizer(learningRate),
    };

    /// <summary>An optimizer by name.</summary>
    public static implicit operator CannedOptimizer(string name) => new(name);

    /// <summary>This optimizer.</summary>
    public static implicit operator CannedOptimizer(Optimizer optimizer) => new(optimizer);

    /// <summary>An optimizer factory.</summary>
    public static implicit operator CannedOptimizer(Func<Optimizer> factory) => new(factory);
}
