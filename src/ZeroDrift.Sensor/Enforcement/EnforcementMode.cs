namespace ZeroDrift.Sensor.Enforcement;

/// <summary>What the kernel does for the cgroups under one policy: nothing, nothing yet (the sensor's events feed
/// alerts), or block. The values are those of zde_policy.mode.</summary>
public enum EnforcementMode
{
    Off = 0,
    Monitor = 1,
    Protect = 2,
}
