namespace TensorGraph.Tests.Image;

/// <summary>
/// The small image files in Image/Fixtures (copied beside the test assembly). How they were made
/// is in Image/Fixtures/README.md: the pixels of the PNG, GIF and BMP files follow formulas the
/// tests recompute; the JPEGs come with libjpeg-turbo's own decode of them (djpeg -dct fast,
/// TF's default IFAST method) as PPM/PGM references.
/// </summary>
internal static class ImageFixtures
{
    /// <summary>The full path of fixture <paramref name="name"/>.</summary>
    public static string Path(string name)
    {
        var p = System.IO.Path.Combine(TestContext.CurrentContext.TestDirectory, "Image", "Fixtures", name);
        if (!File.Exists(p)) Assert.Fail($"Image fixture '{p}' is missing");
        return p;
    }

    /// <summary>The bytes of fixture <paramref name="name"/>.</summary>
    public static byte[] Bytes(string name) => File.ReadAllBytes(Path(name));

    /// <summary>The samples of a binary PPM (P6) or PGM (P5) fixture with 8-bit samples: width, height, channels, bytes.</summary>
    public static (int Width, int Height, int Channels, byte[] Samples) Pnm(string name)
    {
        var data = Bytes(name);
        int pos = 0;
        string Token()
        {
            while (char.IsWhiteSpace((char)data[pos])) pos++;
            int start = pos;
            while (!char.IsWhiteSpace((char)data[pos])) pos++;
            return System.Text.Encoding.ASCII.GetString(data, start, pos - start);
        }
        var magic = Token();
        int w = int.Parse(Token(), System.Globalization.CultureInfo.InvariantCulture);
        int h = int.Parse(Token(), System.Globalization.CultureInfo.InvariantCulture);
        int max = int.Parse(Token(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(max, Is.EqualTo(255));
        pos++;
        int c = magic == "P6" ? 3 : 1;
        return (w, h, c, data[pos..(pos + w * h * c)]);
    }
}
