namespace ZeroDrift.Sensor.Attribution;

/// <summary>A mount the user gave a container (a volume or a bind mount), as the runtime records it.</summary>
public sealed record ContainerMount(string Source, string Destination, string Mode, bool ReadWrite, string Propagation);
