using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph.Tests.Architecture.Fixture;

// Breaks "no op file on another": it uses a helper of FixtureAlpha.cs. Its uses of Ops/Framework
// (OpSpec), of a family file without an op (FixtureFamilyHelper) and of Graph are allowed.
internal sealed class FixtureBetaSpec : OpSpec
{
    public override string Type => "FixtureBeta";
    protected override string[] InputArgs => ["x: float"];
    protected override string[] OutputArgs => ["y: float"];
    public override void Infer(InferContext c)
    {
        if (FixtureAlphaHelper.Twice(c.NumInputs) + FixtureFamilyHelper.Arity(this) < 0 || c.Graph is null) throw c.Error("unreachable");
        c.AddOutput(DType.Float32, c.InputShape(0));
    }
    public override OpKernel CreateKernel(KernelBuilder b) => throw new NotSupportedException();
}
