namespace ZeroDrift.Core;

/// <summary>An image layer: where a file of an image was last written.</summary>
/// <param name="Digest">The layer's uncompressed content digest (diff id) when known, else its blob digest.</param>
/// <param name="Index">0 for the base layer.</param>
/// <param name="CreatedBy">The history entry's <c>created_by</c> that produced the layer.</param>
public sealed record LayerRef(string Digest, int Index, string? CreatedBy = null);

/// <summary>Where evidence was found: an absolute path inside the target and, for images, the layer.</summary>
public sealed record Location(string Path, LayerRef? Layer = null)
{
    public override string ToString() => Layer is null ? Path : $"{Path} (layer {Layer.Index} {Layer.Digest})";
}
