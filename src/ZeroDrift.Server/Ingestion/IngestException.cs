namespace ZeroDrift.Server.Ingestion;

/// <summary>An upload that does not follow its documented contract: answered 400 with this message.</summary>
public sealed class IngestException(string message) : Exception(message);
