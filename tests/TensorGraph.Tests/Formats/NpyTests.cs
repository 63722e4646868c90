using TensorGraph.Serialization;

namespace TensorGraph.Tests.Serialization;

public class NpyTests
{
    private static IEnumerable<Tensor> Samples()
    {
        yield return Tensor.Create(new[] { 1.5f, -2f, float.NaN, float.PositiveInfinity, 0f, 7f }, 2, 3);
        yield return Tensor.Create(new[] { 1.25, -3.5 }, 2);
        yield return Tensor.Create(new[] { int.MinValue, 0, int.MaxValue }, 3, 1);
        yield return Tensor.Create(new[] { long.MinValue, 42L }, 2);
        yield return Tensor.Create(new short[] { -5, 300 }, 1, 2);
        yield return Tensor.Create(new sbyte[] { -128, 127 }, 2);
        yield return Tensor.Create(new byte[] { 0, 255, 7 }, 3);
        yield return Tensor.Create(new[] { true, false, true, true }, 2, 2);
        yield return Tensor.Scalar(3.25f);
        yield return Tensor.Zeros(DType.Float32, 0, 4);
    }

    [Test]
    public void RoundTripsEveryDType()
    {
        foreach (var t in Samples())
        {
            var bytes = Npy.ToBytes(t);
            Assert.That((bytes.Length - t.Size * t.DType.Size()) % 64, Is.Zero, "header is padded to 64 bytes");
            var back = Npy.Parse(bytes);
            Assert.That(back.DType, Is.EqualTo(t.DType));
            Assert.That(back.Dims.ToArray(), Is.EqualTo(t.Dims.ToArray()));
            Assert.That(TensorProtos.RawBytes(back), Is.EqualTo(TensorProtos.RawBytes(t)));
        }
    }

    [Test]
    public void WritesNumpyHeader()
    {
        var bytes = Npy.ToBytes(Tensor.Create(new[] { 1f, 2f, 3f }, 3));
        var header = System.Text.Encoding.Latin1.GetString(bytes, 10, bytes[8] | (bytes[9] << 8));
        Assert.That(header, Does.StartWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"));
        Assert.That(header, Does.EndWith("\n"));
        Assert.That(bytes[6], Is.EqualTo(1));
    }

    [Test]
    public void ReadsVersion2Header()
    {
        var dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 1), }";
        var header = dict + new string(' ', 128 - 12 - dict.Length - 1) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0 };
        bytes.AddRange(BitConverter.GetBytes((uint)header.Length));
        bytes.AddRange(System.Text.Encoding.Latin1.GetBytes(header));
        bytes.AddRange(BitConverter.GetBytes(5L));
        bytes.AddRange(BitConverter.GetBytes(-6L));
        var t = Npy.Parse(bytes.ToArray());
        Assert.That(t.Dims.ToArray(), Is.EqualTo(new[] { 2, 1 }));
        Assert.That(t.ToArray<long>(), Is.EqualTo(new[] { 5L, -6L }));
    }

    private static byte[] WithHeader(string dict, int dataBytes)
    {
        var t = Npy.ToBytes(Tensor.Create(new[] { 1f, 2f }, 2));
        int hl = t[8] | (t[9] << 8);
        var header = dict.PadRight(hl - 1) + "\n";
        var r = new byte[10 + hl + dataBytes];
        Array.Copy(t, r, 10);
        System.Text.Encoding.Latin1.GetBytes(header).CopyTo(r, 10);
        return r;
    }

    [Test]
    public void FortranOrderAndBigEndianAreUnimplemented()
    {
        Assert.Throws<UnimplementedException>(() => Npy.Parse(WithHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8)));
        var e = Assert.Throws<UnimplementedException>(() => Npy.Parse(WithHeader("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8)));
        Assert.That(e!.Message, Does.Contain("big-endian"));
        Assert.Throws<UnimplementedException>(() => Npy.Parse(WithHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16)));
    }

    [Test]
    public void CorruptFilesAreDataLoss()
    {
        Assert.Throws<DataLossException>(() => Npy.Parse([1, 2, 3]));
        Assert.Throws<DataLossException>(() => Npy.Parse(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 8)));
        Assert.Throws<DataLossException>(() => Npy.Parse(WithHeader("{'descr': '<f4', 'shape': (2,), }", 8)));
        Assert.Throws<DataLossException>(() => Npy.Parse(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", 8)));
        var good = Npy.ToBytes(Tensor.Create(new[] { 1f, 2f }, 2));
        var e = Assert.Throws<DataLossException>(() => Npy.Parse(good.AsSpan(0, good.Length - 1), "x.npy"));
        Assert.That(e!.Message, Does.Contain("x.npy"));
    }

    [Test]
    public void FileRoundTripAndMissingFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tg-npy-{Guid.NewGuid():N}.npy");
        try
        {
            Npy.Write(path, Tensor.Create(new[] { 1, 2, 3, 4 }, 2, 2));
            Assert.That(Npy.Read(path).ToArray<int>(), Is.EqualTo(new[] { 1, 2, 3, 4 }));
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Throws<NotFoundException>(() => Npy.Read(path));
    }

    [Test]
    public void ReadsFixtureFiles()
    {
        var bias = Npy.Read(Fixtures.File_("tfnet/test/TensorFlowNET.Keras.UnitTest/Assets/simple_model_from_auto_compile/bias0.npy"));
        Assert.That(bias.DType, Is.EqualTo(DType.Float32));
        Assert.That(bias.Dims.ToArray(), Is.EqualTo(new[] { 100 }));
        var kernel = Npy.Read(Fixtures.File_("tfnet/test/TensorFlowNET.Keras.UnitTest/Assets/simple_model_from_auto_compile/kernel1.npy"));
        Assert.That(kernel.DType, Is.EqualTo(DType.Float32));
        Assert.That(kernel.Size * 4 + 128, Is.EqualTo(new FileInfo(Fixtures.File_("tfnet/test/TensorFlowNET.Keras.UnitTest/Assets/simple_model_from_auto_compile/kernel1.npy")).Length));
        var nb = Npy.Read(Fixtures.File_("tfnet/data/nb_example.npy"));
        Assert.That(nb.DType, Is.EqualTo(DType.Float64));
        Assert.That(nb.Dims.ToArray(), Is.EqualTo(new[] { 900, 2 }));
        Assert.That(nb.ToArray<double>().All(double.IsFinite), Is.True);
        // Writing back reproduces the files byte for byte (NumPy pads headers the same way).
        foreach (var rel in Fixtures.All(".npy"))
        {
            var path = Fixtures.File_(rel);
            Assert.That(Npy.ToBytes(Npy.Read(path)), Is.EqualTo(File.ReadAllBytes(path)), rel);
        }
    }
}
