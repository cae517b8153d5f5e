using ZeroDrift.Artifacts.FileSystems;

namespace ZeroDrift.Artifacts.Images.Layers;

/// <summary>
/// Sees the content of regular files while an image's layers stream past, every version of them: the ones in the
/// final view, and the ones a later layer deleted or overwrote (<c>hidden</c>), which are still in the image and
/// still readable by anyone who pulls it. Called on the reading thread, layers top-down; the stream is valid only
/// during the call and reads forward only.
/// </summary>
public interface ILayerFileVisitor
{
    /// <summary>Cheap: decided from the entry alone. Files no visitor wants are skipped without being read.</summary>
    bool Wants(FileEntry entry);

    void Visit(FileEntry entry, Stream content, bool hidden);
}
