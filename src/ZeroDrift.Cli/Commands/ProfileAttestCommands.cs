using System.CommandLine;
using ZeroDrift.DynamicTesting;
using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// The profile ships with the image (docs/testing.md): <c>profile attest IMAGE --profile P --key K</c> signs a tested
/// profile as an in-toto attestation next to the image; <c>profile import-attested IMAGE --key PUB</c> verifies it and
/// stores it for that image digest in the mode policy gives, so the workload starts without learning.
/// </summary>
public static class ProfileAttestCommands
{
    public static Command Attest()
    {
        var image = SupplyOptions.Image();
        var profile = new Option<FileInfo>("--profile") { Description = "The profile (YAML, as 'zerodrift test --profile-out' writes it)", Required = true };
        var key = new Option<string>("--key") { Description = "Private key file (cosign's encrypted format; password from ZERODRIFT_PASSWORD)", Required = true };
        var format = SupplyOptions.FormatOption();
        var insecure = SupplyOptions.InsecureRegistry();
        var command = new Command("attest", $"Attach a profile to a registry image as a signed attestation ({ProfilePredicate.Type})");
        command.Arguments.Add(image);
        foreach (var o in new Option[] { profile, key, format, insecure }) command.Options.Add(o);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var file = parse.GetValue(profile)!;
            if (!file.Exists) throw new UsageException($"--profile {file.FullName}: no such file");
            var learned = ProfileYaml.Import(file.FullName);
            var signatureFormat = SupplyOptions.ParseFormat(parse.GetValue(format)!);
            using var privateKey = SupplyOptions.PrivateKey(parse.GetValue(key)!);
            var signing = SupplyOptions.Signing(parse, insecure);
            using var client = signing.Client;
            var resolved = await signing.ResolveAsync(SupplyOptions.ParseImage(parse.GetValue(image)!), token).ConfigureAwait(false);
            var result = await signing.AttestAsync(resolved, privateKey, ProfilePredicate.Type, ProfilePredicate.ToPredicate(learned), signatureFormat, token).ConfigureAwait(false);
            Console.Out.WriteLine($"Attested {ProfilePredicate.Type} for {resolved.RepositoryName}@{resolved.Digest} ({result.Location}): "
                + $"{learned.Processes.Count} processes, {learned.Files.Count} files, {learned.Network.Count} connections, {learned.Syscalls.Count} syscalls");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    public static Command ImportAttested(Option<string?> profilesOption)
    {
        var image = SupplyOptions.Image();
        var keys = new Option<string[]>("--key") { Description = "Public key the attestation must verify with; repeatable", Required = true };
        var workload = new Option<string?>("--workload") { Description = "The workload that runs the image (default: the image's name, as for containers podman names)" };
        var mode = new Option<string>("--mode") { Description = "monitor or protect (default monitor): the workload starts there, with no learning", DefaultValueFactory = _ => "monitor" };
        var insecure = SupplyOptions.InsecureRegistry();
        var command = new Command("import-attested", "Verify an image's attested profile and store it for that image digest, in monitor or protect");
        command.Arguments.Add(image);
        foreach (var o in new Option[] { keys, workload, mode, insecure }) command.Options.Add(o);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var chosen = parse.GetValue(mode)!.ToLowerInvariant() switch
            {
                "monitor" => ProfileMode.Monitor,
                "protect" => ProfileMode.Protect,
                var m => throw new UsageException($"--mode {m}: expected monitor or protect (an attested profile is not learned again)"),
            };
            var trusted = SupplyOptions.PublicKeys(parse.GetValue(keys)!);
            var signing = SupplyOptions.Signing(parse, insecure);
            using var client = signing.Client;
            var reference = SupplyOptions.ParseImage(parse.GetValue(image)!);
            var resolved = await signing.ResolveAsync(reference, token).ConfigureAwait(false);
            var checks = await signing.VerifyAttestationsAsync(resolved, trusted, ProfilePredicate.Type, token).ConfigureAwait(false);
            // Only a verified statement about this very digest is taken; the last one attached wins.
            var verified = checks.LastOrDefault(c => c.Verified && c.Statement?.Predicate is not null)
                ?? throw new AttestationMissingException($"{resolved.RepositoryName}@{resolved.Digest}: no {ProfilePredicate.Type} attestation verifies with the given key(s) ({checks.Count} found)");
            var name = parse.GetValue(workload) ?? WorkloadIdentity.FromImageReference(parse.GetValue(image)) ?? throw new UsageException("--workload: give the workload's name");
            var imported = ProfilePredicate.FromPredicate(verified.Statement!.Predicate!, $"{resolved.RepositoryName}@{resolved.Digest}", name, resolved.Digest, parse.GetValue(image), chosen);
            using var store = ProfileStore.Open(parse.GetValue(profilesOption) ?? ProfileStore.DefaultPath());
            store.Save(imported);
            Console.Out.WriteLine($"imported {imported.Identity.Key} ({chosen.ToString().ToLowerInvariant()}) from its attestation, verified by {verified.VerifiedBy}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}

/// <summary>No attestation of the kind asked for verifies: a finding (exit 1), not bad usage.</summary>
public sealed class AttestationMissingException(string message) : Exception(message);
