namespace TensorGraph.Data;

/// <summary>A one-line progress bar on stderr, drawn only when stderr is a terminal.</summary>
internal sealed class Progress : IDisposable
{
    private readonly bool _enabled = !Console.IsErrorRedirected;
    private readonly string _label;
    private readonly long _total;
    private int _last = -1;

    public Progress(string label, long total)
    {
        _label = label;
        _total = total;
        if (_enabled) Draw(0);
    }

    public void Report(long done)
    {
        if (_enabled) Draw(done);
    }

    private void Draw(long done)
    {
        if (_total <= 0)
        {
            if (_last < 0) Console.Error.Write($"\r{_label} ...");
            _last = 0;
            return;
        }
        int pct = (int)Math.Clamp(done * 100 / _total, 0, 100);
        if (pct == _last) return;
        _last = pct;
        int filled = pct * 30 / 100;
        Console.Error.Write($"\r{_label} [{new string('#', filled)}{new string('.', 30 - filled)}] {pct,3}%");
    }

    public void Dispose()
    {
        if (_enabled) Console.Error.WriteLine();
    }
}
