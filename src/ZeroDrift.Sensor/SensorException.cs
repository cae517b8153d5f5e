namespace ZeroDrift.Sensor;

/// <summary>The sensor cannot run here (not root, no BTF, a program refused): one clear line for the user.</summary>
public sealed class SensorException(string message) : Exception(message);
