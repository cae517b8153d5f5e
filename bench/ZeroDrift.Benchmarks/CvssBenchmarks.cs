using BenchmarkDotNet.Attributes;
using ZeroDrift.Vulnerabilities.Severities;

namespace ZeroDrift.Benchmarks;

/// <summary>
/// Every advisory a scan matches has its vectors parsed and scored (parsing computes the scores), so this is
/// paid per vector per finding. A v4.0 vector with threat or environmental metrics is scored twice (base and
/// overall), each a macro-vector lookup plus a search of the highest-severity vectors.
/// </summary>
[MemoryDiagnoser]
public class CvssBenchmarks
{
    [Params(
        "AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:F/RL:O/RC:C/CR:L/IR:L/AR:L/MAV:L/MS:C",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P/CR:L/IR:H/AR:L/MAV:L/MAC:H/MAT:N/MPR:N/MUI:N/MVC:N/MVI:H/MVA:L/MSC:N/MSI:S/MSA:L")]
    public string Vector { get; set; } = "";

    [Benchmark]
    public double ParseAndScore() => CvssVector.Parse(Vector).Vector!.OverallScore;
}
