using System.IO.Compression;
using System.Text;
using TensorGraph.Ops;
using TensorGraph.Runtime;
using TensorGraph.Serialization;

namespace TensorGraph;

/// <summary>
/// TFRecordDataset: the records of TFRecord files, one string scalar each, file after file
/// (TF's <c>tf.data.TFRecordDataset</c>). <c>compression_type</c> is "", "ZLIB" or "GZIP" (the whole
/// file compressed as one stream, as TF writes it); <c>buffer_size</c> is the read buffer in bytes
/// (0 for TF's default of 256 KiB; at most 16 MiB is used).
/// </summary>
internal sealed class TFRecordDatasetSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("metadata", "string", Attr.String(""), Optional: true)];

    public const string OpType = "TFRecordDataset";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["filenames: string", "compression_type: string", "buffer_size: int64"];

    protected override string[] OutputArgs => ["handle: variant"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        var files = c.InputShape(0);
        if (files.IsRankKnown && files.Rank > 1) throw c.Error($"`filenames` must be a scalar or a vector, got shape {files}");
        if (c.InputShape(1).IsRankKnown && c.InputShape(1).Rank != 0) throw c.Error($"`compression_type` must be a scalar, got shape {c.InputShape(1)}");
        if (c.InputShape(2).IsRankKnown && c.InputShape(2).Rank != 0) throw c.Error($"`buffer_size` must be a scalar, got shape {c.InputShape(2)}");
        c.AddOutput(DType.Variant, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var files = ctx.Input(0);
        if (files.Rank > 1) throw new InvalidArgumentException("`filenames` must be a scalar or a vector.");
        var names = files.Span<byte[]>().ToArray().Select(n => Encoding.UTF8.GetString(n)).ToArray();
        var ct = ctx.Input(1);
        if (ct.Rank != 0) throw new InvalidArgumentException("compression_type must be a scalar");
        var compression = Encoding.UTF8.GetString(ct.Span<byte[]>()[0]);
        if (compression is not ("" or "ZLIB" or "GZIP"))
            throw new InvalidArgumentException($"Unsupported compression_type: {compression}.");
        long buffer = DatasetOps.Int64Scalar(ctx, 2, "buffer_size");
        if (buffer < 0) throw new InvalidArgumentException("`buffer_size` must be >= 0 (0 == no buffering)");
        ctx.SetOutput(0, new Dataset(names, compression, buffer == 0 ? 256 << 10 : (int)Math.Min(buffer, 16 << 20)).ToTensor());
    }, OutputKind.External);

    private sealed class Dataset(string[] files, string compression, int bufferSize) : DatasetBase(OpType, [DType.String], [Shape.Scalar])
    {
        public override DatasetIterator MakeIterator() => new It(files, compression, bufferSize);
    }

    private sealed class It(string[] files, string compression, int bufferSize) : DatasetIterator
    {
        private int _file = -1;
        private Stream? _stream;
        private IEnumerator<byte[]>? _records;

        public override Tensor[]? GetNext(OpContext ctx)
        {
            while (true)
            {
                try
                {
                    if (_records is not null && _records.MoveNext()) return [Tensor.Scalar(_records.Current)];
                }
                catch (InvalidDataException e)
                {
                    throw new DataLossException($"Corrupted {compression} data in '{files[_file]}': {e.Message}", e);
                }
                Close();
                if (++_file >= files.Length)
                {
                    _file = files.Length;
                    return null;
                }
                Open(files[_file]);
            }
        }

        private void Open(string path)
        {
            if (!File.Exists(path)) throw new NotFoundException($"{path}; No such file or directory");
            Stream s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize);
            if (compression == "ZLIB") s = new ZLibStream(s, CompressionMode.Decompress);
            else if (compression == "GZIP") s = new GZipStream(s, CompressionMode.Decompress);
            _stream = s;
            _records = RecordReader.ReadRecords(s, path).GetEnumerator();
        }

        private void Close()
        {
            _records?.Dispose();
            _records = null;
            _stream?.Dispose();
            _stream = null;
        }

        public override void Dispose()
        {
            Close();
            base.Dispose();
        }
    }
}

public sealed partial class Graph
{
    /// <summary>A TFRecordDataset node: the records of the files <paramref name="filenames"/> (a string scalar or vector).</summary>
    public Output TFRecordDataset(Output filenames, Output compressionType, Output bufferSize, string? name = null) =>
        AddOp(TFRecordDatasetSpec.OpType, [filenames, compressionType, bufferSize], name)[0];
}
