namespace ZeroDrift.Sensor.Enforcement;

/// <summary>What the kernel does for one cgroup: nothing, nothing yet (the sensor's events feed alerts), or block.
/// The values are those of the zde_mode map.</summary>
public enum EnforcementMode
{
    Off = 0,
    Monitor = 1,
    Protect = 2,
}
