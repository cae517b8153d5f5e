using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace ZeroDrift.Supply.Sigstore;

/// <summary>
/// Who a Fulcio certificate names: the subject alternative name (URI, email or Fulcio's otherName username) and the
/// OIDC issuer (extension 1.3.6.1.4.1.57264.1.8, DER UTF8String; the older 1.3.6.1.4.1.57264.1.1 holds raw text),
/// plus the GitHub workflow extensions cosign's --certificate-github-workflow-* options read.
/// </summary>
public sealed record FulcioIdentity(IReadOnlyList<string> SubjectAlternativeNames, string? Issuer, IReadOnlyDictionary<string, string> Extensions)
{
    private const string IssuerV2 = "1.3.6.1.4.1.57264.1.8";
    private const string IssuerV1 = "1.3.6.1.4.1.57264.1.1";
    private const string OtherNameUsername = "1.3.6.1.4.1.57264.1.7";

    /// <summary>Fulcio's raw-text (legacy) GitHub extensions, named as sigstore-go's certificate.Extensions names them.</summary>
    private static readonly Dictionary<string, string> Legacy = new()
    {
        ["1.3.6.1.4.1.57264.1.2"] = "githubWorkflowTrigger",
        ["1.3.6.1.4.1.57264.1.3"] = "githubWorkflowSHA",
        ["1.3.6.1.4.1.57264.1.4"] = "githubWorkflowName",
        ["1.3.6.1.4.1.57264.1.5"] = "githubWorkflowRepository",
        ["1.3.6.1.4.1.57264.1.6"] = "githubWorkflowRef",
    };

    /// <summary>Fulcio's v2 extensions (DER UTF8String values, docs/oid-info.md of sigstore/fulcio), by sigstore-go's names.</summary>
    private static readonly Dictionary<string, string> V2 = new()
    {
        ["1.3.6.1.4.1.57264.1.9"] = "buildSignerURI",
        ["1.3.6.1.4.1.57264.1.10"] = "buildSignerDigest",
        ["1.3.6.1.4.1.57264.1.11"] = "runnerEnvironment",
        ["1.3.6.1.4.1.57264.1.12"] = "sourceRepositoryURI",
        ["1.3.6.1.4.1.57264.1.13"] = "sourceRepositoryDigest",
        ["1.3.6.1.4.1.57264.1.14"] = "sourceRepositoryRef",
        ["1.3.6.1.4.1.57264.1.15"] = "sourceRepositoryIdentifier",
        ["1.3.6.1.4.1.57264.1.16"] = "sourceRepositoryOwnerURI",
        ["1.3.6.1.4.1.57264.1.17"] = "sourceRepositoryOwnerIdentifier",
        ["1.3.6.1.4.1.57264.1.18"] = "buildConfigURI",
        ["1.3.6.1.4.1.57264.1.19"] = "buildConfigDigest",
        ["1.3.6.1.4.1.57264.1.20"] = "buildTrigger",
        ["1.3.6.1.4.1.57264.1.21"] = "runInvocationURI",
        ["1.3.6.1.4.1.57264.1.22"] = "sourceRepositoryVisibilityAtSigning",
    };

    /// <summary>Every extension name a policy may match on.</summary>
    public static IReadOnlyCollection<string> ExtensionNames { get; } = [.. Legacy.Values, .. V2.Values];

    public static FulcioIdentity Of(X509Certificate2 cert)
    {
        var names = new List<string>();
        string? issuer = null;
        var extensions = new Dictionary<string, string>();
        try
        {
            foreach (var ext in cert.Extensions)
            {
                switch (ext.Oid?.Value)
                {
                    case "2.5.29.17": names.AddRange(ReadSubjectAlternativeNames(ext.RawData)); break;
                    case IssuerV2: issuer = new AsnReader(ext.RawData, AsnEncodingRules.DER).ReadCharacterString(UniversalTagNumber.UTF8String); break;
                    case IssuerV1: issuer ??= Encoding.UTF8.GetString(ext.RawData); break;
                    case { } oid when Legacy.TryGetValue(oid, out var name): extensions[name] = Encoding.UTF8.GetString(ext.RawData); break;
                    case { } oid when V2.TryGetValue(oid, out var name):
                        extensions[name] = new AsnReader(ext.RawData, AsnEncodingRules.DER).ReadCharacterString(UniversalTagNumber.UTF8String);
                        break;
                }
            }
        }
        catch (AsnContentException e)
        {
            throw new SupplyException("certificate: malformed identity extension", e);
        }
        return new FulcioIdentity(names, issuer, extensions);
    }

    private static List<string> ReadSubjectAlternativeNames(byte[] der)
    {
        var names = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var result = new List<string>();
        while (names.HasData)
        {
            var tag = names.PeekTag();
            if (tag.TagClass != TagClass.ContextSpecific) { names.ReadEncodedValue(); continue; }
            switch (tag.TagValue)
            {
                case 1 or 6:
                    result.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, tag.TagValue)));
                    break;
                case 0:
                    var other = names.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true));
                    var oid = other.ReadObjectIdentifier();
                    var value = other.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true));
                    if (oid == OtherNameUsername) result.Add(value.ReadCharacterString(UniversalTagNumber.UTF8String));
                    break;
                default:
                    names.ReadEncodedValue();
                    break;
            }
        }
        return result;
    }
}

/// <summary>One certificate extension a policy requires, by sigstore-go's name: equal to a value or matching a regexp.</summary>
public sealed record ExtensionRequirement(string Name, string? Exact, string? Regex);

/// <summary>
/// cosign's identity policy: the certificate's SAN and OIDC issuer, each matched exactly or by a regular expression
/// (Go's regexp semantics are unanchored; so are these, as in cosign: anchor with ^…$ to match whole values), plus
/// Fulcio extensions (GitHub workflow repository, ref, trigger; source repository, build signer, runner…) as
/// cosign's --certificate-github-workflow-* and sigstore-go's CertificateIdentity.Extensions match them: every
/// required extension must be present and match.
/// </summary>
public sealed record IdentityPolicy(string? Identity, string? IdentityRegex, string? Issuer, string? IssuerRegex, IReadOnlyList<ExtensionRequirement>? Extensions = null)
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(200);

    public void Require(FulcioIdentity identity)
    {
        if (Why(identity) is { } reason) throw new SupplyException(reason);
    }

    /// <summary>Whether the certificate meets the policy (for a policy that is one of several alternatives).</summary>
    public bool Accepts(FulcioIdentity identity) => Why(identity) is null;

    /// <summary>Names what the policy itself lacks or which extension name is unknown; null when it is well formed.</summary>
    public string? Problem()
    {
        if (Identity is null && IdentityRegex is null) return "policy: an identity (--certificate-identity or --certificate-identity-regexp) is required";
        if (Issuer is null && IssuerRegex is null) return "policy: an OIDC issuer (--certificate-oidc-issuer or --certificate-oidc-issuer-regexp) is required";
        foreach (var e in Extensions ?? [])
            if (!FulcioIdentity.ExtensionNames.Contains(e.Name)) return $"policy: unknown certificate extension '{e.Name}' (known: {string.Join(", ", FulcioIdentity.ExtensionNames)})";
        return null;
    }

    private string? Why(FulcioIdentity identity)
    {
        if (Problem() is { } problem) return problem;
        if (!identity.SubjectAlternativeNames.Any(san => Matches(san, Identity, IdentityRegex)))
            return $"identity: the certificate names {Describe(identity.SubjectAlternativeNames)}, not {Identity ?? IdentityRegex}";
        if (identity.Issuer is null || !Matches(identity.Issuer, Issuer, IssuerRegex))
            return $"identity: the certificate's OIDC issuer is '{identity.Issuer ?? "(none)"}', not {Issuer ?? IssuerRegex}";
        foreach (var e in Extensions ?? [])
        {
            if (!identity.Extensions.TryGetValue(e.Name, out var value))
                return $"identity: the certificate has no {e.Name} extension (required: {e.Exact ?? e.Regex})";
            if (!Matches(value, e.Exact, e.Regex))
                return $"identity: the certificate's {e.Name} is '{value}', not {e.Exact ?? e.Regex}";
        }
        return null;
    }

    public string Describe() => $"{Identity ?? IdentityRegex} (issuer {Issuer ?? IssuerRegex}"
        + string.Concat((Extensions ?? []).Select(e => $", {e.Name} {e.Exact ?? e.Regex}")) + ")";

    private static bool Matches(string value, string? exact, string? pattern)
    {
        if (exact is not null && value == exact) return true;
        if (pattern is null) return false;
        try
        {
            return Regex.IsMatch(value, pattern, RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
        catch (ArgumentException e)
        {
            throw new SupplyException($"policy: invalid regular expression '{pattern}'", e);
        }
    }

    private static string Describe(IReadOnlyList<string> names) => names.Count == 0 ? "no identity" : string.Join(", ", names.Take(4));
}
