namespace TensorGraph.Examples.Classics;

/// <summary>Writes rows of 28×28 MNIST-style images (values in [0, 1]) as one grayscale PNG, through the graph's EncodePng and WriteFile ops.</summary>
internal static class ImageGrid
{
    /// <summary>Each tensor of <paramref name="rows"/> ([n, 784] floats) becomes a row of <paramref name="perRow"/> images.</summary>
    public static void WritePng(string path, IReadOnlyList<Tensor> rows, int perRow)
    {
        const int side = 28;
        var pixels = new byte[rows.Count * side * perRow * side];
        for (int r = 0; r < rows.Count; r++)
        {
            var v = rows[r].ToArray<float>();
            for (int n = 0; n < perRow && (n + 1) * side * side <= v.Length; n++)
                for (int y = 0; y < side; y++)
                    for (int x = 0; x < side; x++)
                        pixels[((r * side + y) * perRow + n) * side + x] = (byte)Math.Round(Math.Clamp(v[n * side * side + y * side + x], 0f, 1f) * 255);
        }
        var g = new Graph();
        var image = g.Constant(Tensor.Create(pixels, rows.Count * side, perRow * side, 1));
        var write = g.WriteFile(g.Constant(path), g.EncodePng(image));
        using var sess = new Session(g);
        sess.Run(write);
    }
}
