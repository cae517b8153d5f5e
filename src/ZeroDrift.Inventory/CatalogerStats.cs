namespace ZeroDrift.Inventory;

/// <summary>What one cataloger did in a scan: reported, not swallowed.</summary>
public sealed record CatalogerStats(string Name, int FilesRead, int Packages, int Errors);
