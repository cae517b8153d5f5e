using System.Globalization;

namespace ZeroDrift.Sensor.Enforcement;

/// <summary>
/// The process whose root a container's files were to be resolved in has exited. Not a failure of the container:
/// another of its processes (the next one seen) can serve.
/// </summary>
public sealed class ContainerProcessGoneException(int pid)
    : Exception($"process {pid.ToString(CultureInfo.InvariantCulture)} does not exist: cannot read its container's files");
