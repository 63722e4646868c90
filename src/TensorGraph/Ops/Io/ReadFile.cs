using System.Text;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>ReadFile (<c>tf.io.read_file</c>): the whole contents of the file named by a string scalar, as a string scalar.</summary>
internal sealed class ReadFileSpec : OpSpec
{
    public const string OpType = "ReadFile";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["filename: string"];

    protected override string[] OutputArgs => ["contents: string"];

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.String);
        var s = c.InputShape(0);
        if (s.IsRankKnown && s.Rank != 0) throw c.Error($"Shape must be rank 0 but is rank {s.Rank} for filename {s}");
        c.AddOutput(DType.String, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var input = ctx.Input(0);
        if (input.Rank != 0) throw new InvalidArgumentException($"Input filename tensor must be scalar, but had shape: {Shape.Format(input.Dims)}");
        var path = Encoding.UTF8.GetString(input.Span<byte[]>()[0]);
        byte[] data;
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = f.Length;
            if (length > Array.MaxLength)
                throw new ResourceExhaustedException($"File {path} is {length} bytes, more than a string element holds");
            TensorSize.CheckBudget(DType.UInt8, length, [checked((int)length)]);
            data = new byte[length];
            f.ReadExactly(data);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"{path}; No such file or directory", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new FailedPreconditionException($"{path}; Permission denied", e);
        }
        catch (IOException e)
        {
            throw new InternalException($"{path}; {e.Message}", e);
        }
        ctx.SetOutput(0, Tensor.Scalar(data));
    }, OutputKind.External);
}

/// <summary>
/// WriteFile (<c>tf.io.write_file</c>): writes a string scalar to the file named by another,
/// replacing it, after creating the missing parent folders (as TF 1.15).
/// </summary>
internal sealed class WriteFileSpec : OpSpec
{
    public const string OpType = "WriteFile";

    public override string Type => OpType;

    public override bool IsStateful => true;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["filename: string", "contents: string"];

    protected override string[] OutputArgs => [];

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.String);
        c.RequireType(1, DType.String);
        for (int i = 0; i < 2; i++)
        {
            var s = c.InputShape(i);
            if (s.IsRankKnown && s.Rank != 0) throw c.Error($"Shape must be rank 0 but is rank {s.Rank} for {(i == 0 ? "filename" : "contents")} {s}");
        }
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var name = ctx.Input(0);
        var contents = ctx.Input(1);
        if (name.Rank != 0) throw new InvalidArgumentException($"Input filename tensor must be scalar, but had shape: {Shape.Format(name.Dims)}");
        if (contents.Rank != 0) throw new InvalidArgumentException($"Contents tensor must be scalar, but had shape: {Shape.Format(contents.Dims)}");
        var path = Encoding.UTF8.GetString(name.Span<byte[]>()[0]);
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            File.WriteAllBytes(path, contents.Span<byte[]>()[0]);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new FailedPreconditionException($"{path}; Permission denied", e);
        }
        catch (Exception e) when (e is IOException or ArgumentException or NotSupportedException)
        {
            throw new InvalidArgumentException($"Cannot write {path}: {e.Message}", e);
        }
    });
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.io.read_file</c> (op <c>ReadFile</c>): the bytes of the file named by the string scalar <paramref name="filename"/>.</summary>
    public Output ReadFile(Output filename, string? name = null) =>
        AddOp(ReadFileSpec.OpType, [filename], name, ReadFileSpec.OpType)[0];

    /// <summary>TF's <c>tf.io.write_file</c> (op <c>WriteFile</c>): writes the string scalar <paramref name="contents"/> to <paramref name="filename"/>.</summary>
    public Operation WriteFile(Output filename, Output contents, string? name = null) =>
        AddOp(WriteFileSpec.OpType, [filename, contents], name, WriteFileSpec.OpType);
}
