using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>LogicalAnd: x AND y, bool tensors with broadcasting.</summary>
internal sealed class LogicalAndSpec : OpSpec
{
    public const string OpType = "LogicalAnd";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["x: bool", "y: bool"];

    protected override string[] OutputArgs => ["z: bool"];

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Bool);
        c.RequireType(1, DType.Bool);
        c.AddOutput(DType.Bool, Broadcast.StaticShape(c.InputShape(0), c.InputShape(1), Type));
    }

    public override Runtime.OpKernel CreateKernel(Runtime.KernelBuilder b) => new BinaryKernel<bool, bool, LogicalAndFunctor>(DType.Bool);
}

/// <summary>LogicalOr: x OR y, bool tensors with broadcasting.</summary>
internal sealed class LogicalOrSpec : OpSpec
{
    public const string OpType = "LogicalOr";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["x: bool", "y: bool"];

    protected override string[] OutputArgs => ["z: bool"];

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Bool);
        c.RequireType(1, DType.Bool);
        c.AddOutput(DType.Bool, Broadcast.StaticShape(c.InputShape(0), c.InputShape(1), Type));
    }

    public override Runtime.OpKernel CreateKernel(Runtime.KernelBuilder b) => new BinaryKernel<bool, bool, LogicalOrFunctor>(DType.Bool);
}

/// <summary>LogicalNot: NOT x.</summary>
internal sealed class LogicalNotSpec : OpSpec
{
    public const string OpType = "LogicalNot";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["x: bool"];

    protected override string[] OutputArgs => ["y: bool"];

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Bool);
        c.AddOutput(DType.Bool, c.InputShape(0));
    }

    public override Runtime.OpKernel CreateKernel(Runtime.KernelBuilder b) => new UnaryKernel<bool, bool, LogicalNotFunctor>(DType.Bool);
}

internal readonly struct LogicalAndFunctor : IBinaryFunctor<LogicalAndFunctor, bool, bool>
{
    public static bool Apply(bool x, bool y) => x && y;
}

internal readonly struct LogicalOrFunctor : IBinaryFunctor<LogicalOrFunctor, bool, bool>
{
    public static bool Apply(bool x, bool y) => x || y;
}

internal readonly struct LogicalNotFunctor : IUnaryFunctor<LogicalNotFunctor, bool, bool>
{
    public static bool Apply(bool x) => !x;
}

public sealed partial class Graph
{
    /// <summary>Element-wise logical AND of bool tensors (<c>tf.logical_and</c>).</summary>
    public Output LogicalAnd(Output x, Output y, string? name = null) => AddOp(LogicalAndSpec.OpType, [x, y], name)[0];

    /// <summary>Element-wise logical OR of bool tensors (<c>tf.logical_or</c>).</summary>
    public Output LogicalOr(Output x, Output y, string? name = null) => AddOp(LogicalOrSpec.OpType, [x, y], name)[0];

    /// <summary>Element-wise logical NOT (<c>tf.logical_not</c>).</summary>
    public Output LogicalNot(Output x, string? name = null) => AddOp(LogicalNotSpec.OpType, [x], name)[0];
}
