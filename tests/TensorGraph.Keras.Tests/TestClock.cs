namespace TensorGraph.Keras.Tests;

/// <summary>A clock that advances a fixed step each time it is read.</summary>
internal sealed class StepClock(double step) : IClock
{
    private double _t;

    public double Now
    {
        get
        {
            var t = _t;
            _t += step;
            return t;
        }
    }
}

/// <summary>A clock set by the test.</summary>
internal sealed class ManualClock : IClock
{
    public double Time { get; set; }

    public double Now => Time;
}
