using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph.Tests.Architecture.Fixture;

// An op file: it defines a concrete OpSpec (never registered: the registry reads only the library).
internal sealed class FixtureAlphaSpec : OpSpec
{
    public override string Type => "FixtureAlpha";
    protected override string[] InputArgs => ["x: float"];
    protected override string[] OutputArgs => ["y: float"];
    public override void Infer(InferContext c) => c.AddOutput(DType.Float32, c.InputShape(0));
    public override OpKernel CreateKernel(KernelBuilder b) => throw new NotSupportedException();
}

// A helper that sits in this op file.
internal static class FixtureAlphaHelper
{
    public static int Twice(int x) => 2 * x;
}
