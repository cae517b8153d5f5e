namespace ZeroDrift.Secrets;

/// <summary>
/// The stop-words of the generic rules (gitleaks' list, in <c>GenericStopWords.txt</c>): a value assigned to a
/// <c>token</c> or <c>secret</c> that holds an ordinary word (<c>account</c>, <c>build</c>, <c>example</c>) is a name, a
/// fixture or a placeholder far more often than a credential, which is random.
/// </summary>
internal static class GenericStopWords
{
    public static IReadOnlyList<string> Words { get; } = Load();

    private static string[] Load()
    {
        using var stream = typeof(GenericStopWords).Assembly.GetManifestResourceStream("ZeroDrift.Secrets.GenericStopWords.txt")
            ?? throw new InvalidOperationException("GenericStopWords.txt is not embedded in ZeroDrift.Secrets");
        using var reader = new StreamReader(stream);
        return [.. reader.ReadToEnd().Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];
    }
}
