// sigstore-js verifies BUNDLE over ARTIFACT with only TRUSTED_ROOT (no TUF, no network):
// node verify.js TRUSTED_ROOT BUNDLE ARTIFACT|- SAN ISSUER. Exit 0 and "verified" on success, 1 and the reason otherwise.
'use strict';
const fs = require('fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
const [rootPath, bundlePath, artifact, san, issuer] = process.argv.slice(2);
try {
  const trust = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8'))));
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const entity = toSignedEntity(bundle, artifact === '-' ? undefined : fs.readFileSync(artifact));
  new Verifier(trust).verify(entity, { subjectAlternativeName: san, extensions: { issuer } });
  process.stdout.write('verified\n');
} catch (e) {
  process.stdout.write(`refused: ${e.code ?? ''} ${e.message}\n`);
  process.exit(1);
}
