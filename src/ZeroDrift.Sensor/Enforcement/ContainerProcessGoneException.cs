using System.Globalization;

namespace ZeroDrift.Sensor.Enforcement;

/// <summary>
/// The process whose root a container's files were to be resolved in has exited, or is not in the container yet
/// (the runtime's init, still in the host's mount namespace). Not a failure of the container: another of its
/// processes (the next one seen) can serve.
/// </summary>
public sealed class ContainerProcessGoneException(int pid, string why = "does not exist")
    : Exception($"process {pid.ToString(CultureInfo.InvariantCulture)} {why}: cannot read its container's files");
