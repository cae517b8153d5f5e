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

    /// <summary>Fulcio's raw-text (v1) GitHub extensions: workflow trigger, sha, name, repository, ref.</summary>
    private static readonly Dictionary<string, string> GitHubV1 = new()
    {
        ["1.3.6.1.4.1.57264.1.2"] = "github_workflow_trigger",
        ["1.3.6.1.4.1.57264.1.3"] = "github_workflow_sha",
        ["1.3.6.1.4.1.57264.1.4"] = "github_workflow_name",
        ["1.3.6.1.4.1.57264.1.5"] = "github_workflow_repository",
        ["1.3.6.1.4.1.57264.1.6"] = "github_workflow_ref",
    };

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
                    case { } oid when GitHubV1.TryGetValue(oid, out var name): extensions[name] = Encoding.UTF8.GetString(ext.RawData); break;
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

/// <summary>
/// cosign's identity policy: the certificate's SAN and OIDC issuer, each matched exactly or by a regular expression
/// (Go's regexp semantics are unanchored; so are these, as in cosign: anchor with ^…$ to match whole values).
/// </summary>
public sealed record IdentityPolicy(string? Identity, string? IdentityRegex, string? Issuer, string? IssuerRegex)
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(200);

    public void Require(FulcioIdentity identity)
    {
        if (Identity is null && IdentityRegex is null) throw new SupplyException("policy: an identity (--certificate-identity or --certificate-identity-regexp) is required");
        if (Issuer is null && IssuerRegex is null) throw new SupplyException("policy: an OIDC issuer (--certificate-oidc-issuer or --certificate-oidc-issuer-regexp) is required");
        if (!identity.SubjectAlternativeNames.Any(san => Matches(san, Identity, IdentityRegex)))
            throw new SupplyException($"identity: the certificate names {Describe(identity.SubjectAlternativeNames)}, not {Identity ?? IdentityRegex}");
        if (identity.Issuer is null || !Matches(identity.Issuer, Issuer, IssuerRegex))
            throw new SupplyException($"identity: the certificate's OIDC issuer is '{identity.Issuer ?? "(none)"}', not {Issuer ?? IssuerRegex}");
    }

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
