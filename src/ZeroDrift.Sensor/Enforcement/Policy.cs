namespace ZeroDrift.Sensor.Enforcement;

/// <summary>What a policy asks of the kernel besides its mode (zde_policy.flags).</summary>
[Flags]
public enum PolicyFlags : uint
{
    None = 0,
    /// <summary>Kill an executable from the writable layer or a memfd (and a script that is one) at exec, whatever
    /// the mode: drift prevention, with or without a profile.</summary>
    DriftPrevention = 1,
}

/// <summary>Who put a cgroup under its policy (zde_cgroup.origin).</summary>
public enum CgroupOrigin : uint
{
    /// <summary>The kernel, from the container's image at its first exec.</summary>
    Kernel = 1,
    /// <summary>User space (<see cref="KernelEnforcer.AssignCgroup"/>), overriding the kernel's guess.</summary>
    Agent = 2,
}

/// <summary>One policy as the kernel holds it: mode, flags, and the hash of the workload key that owns its id.</summary>
public readonly record struct PolicyState(EnforcementMode Mode, PolicyFlags Flags, ulong Owner);

/// <summary>The policy a cgroup is under, and who decided it.</summary>
public readonly record struct CgroupAssignment(uint Policy, CgroupOrigin Origin);
