namespace TensorGraph;

/// <summary>
/// A symbolic tensor: output <see cref="Index"/> of <see cref="Op"/> (TF's <c>tf.Tensor</c>).
/// A readonly value usable as a dictionary key. Arithmetic operators build ops in the graph.
/// </summary>
public readonly struct Output : IEquatable<Output>
{
    /// <summary>Creates a reference to output <paramref name="index"/> of <paramref name="op"/>.</summary>
    public Output(Operation op, int index)
    {
        ArgumentNullException.ThrowIfNull(op);
        if ((uint)index >= (uint)op.NumOutputs)
            throw new InvalidArgumentException($"Operation '{op.Name}' has {op.NumOutputs} outputs; index {index} is out of range");
        Op = op;
        Index = index;
    }

    /// <summary>The producing operation.</summary>
    public Operation Op { get; }

    /// <summary>The output index within <see cref="Op"/>.</summary>
    public int Index { get; }

    /// <summary>The graph that owns this tensor.</summary>
    public Graph Graph => Op.Graph;

    /// <summary>Element type.</summary>
    public DType DType => Op.OutputType(Index);

    /// <summary>Static shape, inferred at build time (may be partially unknown).</summary>
    public Shape Shape => Op.OutputShape(Index);

    /// <summary>TF-style tensor name: <c>op_name:index</c>.</summary>
    public string Name => $"{Op.Name}:{Index}";

    /// <summary>True for an unset default value.</summary>
    public bool IsDefault => Op is null;

    /// <inheritdoc/>
    public bool Equals(Output other) => ReferenceEquals(Op, other.Op) && Index == other.Index;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Output o && Equals(o);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Op?.Id ?? -1, Index);

    /// <summary>Like TF: <c>Tensor("add:0", shape=(2,), dtype=float32)</c>.</summary>
    public override string ToString() =>
        Op is null ? "Output(default)" : $"Tensor(\"{Name}\", shape={Shape}, dtype={DType.Name()})";

    /// <summary>Equality of references (does not build an Equal op; use <see cref="Graph.Equal(Output, Output, string?)"/>).</summary>
    public static bool operator ==(Output a, Output b) => a.Equals(b);

    /// <summary>Inequality of references.</summary>
    public static bool operator !=(Output a, Output b) => !a.Equals(b);

    private static Graph G(Output a, Output b)
    {
        if (a.Op is null || b.Op is null) throw new InvalidArgumentException("Operand is a default (unset) Output");
        if (!ReferenceEquals(a.Graph, b.Graph))
            throw new InvalidArgumentException($"Tensors '{a.Name}' and '{b.Name}' belong to different graphs");
        return a.Graph;
    }

    private static Graph G(Output a) =>
        a.Op?.Graph ?? throw new InvalidArgumentException("Operand is a default (unset) Output");

    /// <summary><c>x + y</c> → AddV2 named <c>add</c> (Add for strings), with broadcasting.</summary>
    public static Output operator +(Output x, Output y) => G(x, y).AddOperator(x, y);
    /// <summary>Adds a constant.</summary>
    public static Output operator +(Output x, Tensor y) => G(x).ScopedOperator("add", x, y, false);
    /// <summary>Adds to a constant.</summary>
    public static Output operator +(Tensor x, Output y) => G(y).ScopedOperator("add", y, x, true);

    /// <summary><c>x - y</c> → Sub named <c>sub</c>.</summary>
    public static Output operator -(Output x, Output y) => G(x, y).Subtract(x, y, "sub");
    /// <summary>Subtracts a constant.</summary>
    public static Output operator -(Output x, Tensor y) => G(x).ScopedOperator("sub", x, y, false);
    /// <summary>Subtracts from a constant.</summary>
    public static Output operator -(Tensor x, Output y) => G(y).ScopedOperator("sub", y, x, true);

    /// <summary><c>x * y</c> → Mul named <c>mul</c>.</summary>
    public static Output operator *(Output x, Output y) => G(x, y).Multiply(x, y, "mul");
    /// <summary>Multiplies by a constant.</summary>
    public static Output operator *(Output x, Tensor y) => G(x).ScopedOperator("mul", x, y, false);
    /// <summary>Multiplies a constant.</summary>
    public static Output operator *(Tensor x, Output y) => G(y).ScopedOperator("mul", y, x, true);

    /// <summary><c>x / y</c> → TF's truediv (RealDiv after casting integers to float).</summary>
    public static Output operator /(Output x, Output y) => G(x, y).Divide(x, y, "truediv");
    /// <summary>Divides by a constant.</summary>
    public static Output operator /(Output x, Tensor y) => G(x).ScopedOperator("truediv", x, y, false);
    /// <summary>Divides a constant.</summary>
    public static Output operator /(Tensor x, Output y) => G(y).ScopedOperator("truediv", y, x, true);

    /// <summary><c>x % y</c> → FloorMod named <c>mod</c>.</summary>
    public static Output operator %(Output x, Output y) => G(x, y).FloorMod(x, y, "mod");
    /// <summary>FloorMod by a constant.</summary>
    public static Output operator %(Output x, Tensor y) => G(x).ScopedOperator("mod", x, y, false);

    /// <summary>
    /// numpy-style slicing through StridedSlice: <c>x[1.., ..^1]</c>, <c>x[0]</c>, <c>x[.., 2]</c>,
    /// <c>x[SliceItem.NewAxis]</c>, <c>x[SliceItem.Ellipsis, 0]</c>.
    /// </summary>
    public Output this[params SliceItem[] items] => G(this).Slice(this, items);

    /// <summary><c>-x</c> → Neg.</summary>
    public static Output operator -(Output x) => G(x).Negative(x);

    /// <summary><c>!x</c> → LogicalNot.</summary>
    public static Output operator !(Output x) => G(x).LogicalNot(x);

    /// <summary><c>x &amp; y</c> → LogicalAnd.</summary>
    public static Output operator &(Output x, Output y) => G(x, y).LogicalAnd(x, y);

    /// <summary><c>x | y</c> → LogicalOr.</summary>
    public static Output operator |(Output x, Output y) => G(x, y).LogicalOr(x, y);

    /// <summary><c>x &lt; y</c> → Less.</summary>
    public static Output operator <(Output x, Output y) => G(x, y).Less(x, y);

    /// <summary>Element-wise <c>x &lt; y</c> with a literal (a Const named <c>Less/y</c>, as TF names it).</summary>
    public static Output operator <(Output x, Tensor y) => G(x).ScopedOperator(LessSpec.OpType, x, y, false);

    /// <summary>Element-wise <c>x &lt; y</c> with a literal on the left.</summary>
    public static Output operator <(Tensor x, Output y) => G(y).ScopedOperator(LessSpec.OpType, y, x, true);

    /// <summary>Element-wise <c>x &gt; y</c> with a literal.</summary>
    public static Output operator >(Output x, Tensor y) => G(x).ScopedOperator(GreaterSpec.OpType, x, y, false);

    /// <summary>Element-wise <c>x &gt; y</c> with a literal on the left.</summary>
    public static Output operator >(Tensor x, Output y) => G(y).ScopedOperator(GreaterSpec.OpType, y, x, true);

    /// <summary>Element-wise <c>x &lt;= y</c> with a literal.</summary>
    public static Output operator <=(Output x, Tensor y) => G(x).ScopedOperator(LessEqualSpec.OpType, x, y, false);

    /// <summary>Element-wise <c>x &lt;= y</c> with a literal on the left.</summary>
    public static Output operator <=(Tensor x, Output y) => G(y).ScopedOperator(LessEqualSpec.OpType, y, x, true);

    /// <summary>Element-wise <c>x &gt;= y</c> with a literal.</summary>
    public static Output operator >=(Output x, Tensor y) => G(x).ScopedOperator(GreaterEqualSpec.OpType, x, y, false);

    /// <summary>Element-wise <c>x &gt;= y</c> with a literal on the left.</summary>
    public static Output operator >=(Tensor x, Output y) => G(y).ScopedOperator(GreaterEqualSpec.OpType, y, x, true);
    /// <summary><c>x &gt; y</c> → Greater.</summary>
    public static Output operator >(Output x, Output y) => G(x, y).Greater(x, y);
    /// <summary><c>x &lt;= y</c> → LessEqual.</summary>
    public static Output operator <=(Output x, Output y) => G(x, y).LessEqual(x, y);
    /// <summary><c>x &gt;= y</c> → GreaterEqual.</summary>
    public static Output operator >=(Output x, Output y) => G(x, y).GreaterEqual(x, y);
}
