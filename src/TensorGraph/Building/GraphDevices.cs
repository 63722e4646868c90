namespace TensorGraph;

// Device scopes: TF 1.15's Graph.device and _apply_device_functions (python/framework/ops.py).
// The stack itself is the _deviceStack field declared in Graph.cs.
public sealed partial class Graph
{
    /// <summary>
    /// One entry of the device stack (TF's <c>_UserDeviceSpec</c>): a merging specification, a
    /// device function, or neither (a <c>Device(null)</c> that hides the scopes outside it).
    /// </summary>
    private sealed class DeviceScope(DeviceSpec? spec, Func<Operation, string?>? function, string display, SourceLocation? location)
    {
        public DeviceSpec? Spec { get; } = spec;
        public Func<Operation, string?>? Function { get; } = function;
        public string Display { get; } = display;
        public SourceLocation? Location { get; } = location;

        /// <summary>TF's <c>is_null_merge</c>: an empty specification, skipped when devices are applied.</summary>
        public bool IsNullMerge => Spec is { IsEmpty: true };

        /// <summary>A <c>Device(null)</c>: device scopes outside it are ignored.</summary>
        public bool IsBreak => Spec is null && Function is null;
    }

    /// <summary>
    /// Opens a device scope (TF's <c>tf.device(name)</c> / <c>Graph.device</c>): ops built inside
    /// request <paramref name="device"/>, merged field by field with the scopes around it — an inner
    /// scope's job, replica, task, device type and index override the outer ones'
    /// (<see cref="DeviceSpec.MergedWith"/>; a <see cref="DeviceSpec"/> scope is <c>g.Device(spec.ToString())</c>) — and recorded in TF's form on
    /// <see cref="Operation.Device"/> and the NodeDef: <c>"/cpu:0"</c> is written
    /// <c>/device:CPU:0</c>. Null ignores every scope outside this one (TF's <c>tf.device(None)</c>);
    /// <c>""</c> changes nothing (an empty specification, which TF skips). An invalid string is an
    /// <see cref="InvalidArgumentException"/> with TF's ValueError text and the caller's line. Where
    /// the requested device does not exist the session decides (see <see cref="SessionOptions.AllowSoftPlacement"/>).
    /// Dispose the result to close the scope, innermost first.
    /// </summary>
    public IDisposable Device(string? device)
    {
        var location = SourceLocation.Capture();
        DeviceSpec? spec = null;
        if (device is not null)
        {
            try
            {
                spec = DeviceSpec.FromString(device);
            }
            catch (InvalidArgumentException e)
            {
                throw new InvalidArgumentException($"{e.Message} [device scope '{device}'{SourceLocation.Suffix(location)}]", e);
            }
        }
        return PushDevice(new DeviceScope(spec, null, device ?? "None", location));
    }

    /// <summary>
    /// Opens a scope with a device function (TF's <c>tf.device(function)</c>): every op built inside
    /// is passed to <paramref name="deviceFunction"/>, which sees the device the scopes inside this
    /// one gave it (<see cref="Operation.Device"/>) and returns the op's device string (null or "" for
    /// none), kept as returned; scopes outside this one then merge into it as usual. TF's example
    /// places MatMuls on a GPU and the rest on the CPU:
    /// <c>g.DeviceFunction(op =&gt; op.Type == "MatMul" ? "/device:GPU:0" : "/cpu:0")</c>.
    /// </summary>
    public IDisposable DeviceFunction(Func<Operation, string?> deviceFunction)
    {
        ArgumentNullException.ThrowIfNull(deviceFunction);
        return PushDevice(new DeviceScope(null, deviceFunction, deviceFunction.Method.Name, SourceLocation.Capture()));
    }

    private IDisposable PushDevice(DeviceScope scope)
    {
        lock (_lock) _deviceStack.Add(scope);
        return new Restore(() =>
        {
            lock (_lock)
            {
                if (_deviceStack.Count == 0 || !ReferenceEquals(_deviceStack[^1], scope))
                    throw new InvalidOperationException("Exiting device scope without proper scope nesting.");
                _deviceStack.RemoveAt(_deviceStack.Count - 1);
            }
        });
    }

    /// <summary>
    /// TF's <c>_apply_device_functions</c>: walks the device stack from the innermost scope out,
    /// skipping empty specifications and stopping at a <c>Device(null)</c>; a specification merges
    /// under the op's device so far (the op's own fields win), a function replaces it. An imported
    /// node's own device acts as the innermost scope, as TF's importer wraps it in
    /// <c>tf.device(node.device)</c>. Called under the graph lock, before the op is published.
    /// </summary>
    private void ApplyDeviceScopes(Operation op)
    {
        string? current = null;
        for (int i = _deviceStack.Count - 1; i >= 0; i--)
        {
            var scope = _deviceStack[i];
            if (scope.IsNullMerge) continue;
            if (scope.IsBreak) break;
            if (scope.Function is { } f)
            {
                current = f(op) ?? "";
                op.Device = current;
                continue;
            }
            current ??= op.Device;
            DeviceSpec own;
            try
            {
                own = DeviceSpec.FromString(current);
            }
            catch (InvalidArgumentException e)
            {
                throw NodeError(new InvalidArgumentException($"Invalid device '{current}': {e.Message}"), op.Name, op.Type, op.Location);
            }
            current = scope.Spec!.MergedWith(own).ToString();
            op.Device = current;
        }
    }
}
