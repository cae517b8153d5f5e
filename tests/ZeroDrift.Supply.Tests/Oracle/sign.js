// sigstore-js signs ARTIFACT against the mock services: node sign.js URL TOKEN ARTIFACT BUNDLE_OUT [dsse PAYLOAD_TYPE]
// (dsse or intoto: the artifact is the payload of a DSSE envelope, as `sigstore attest` does, logged as a dsse 0.0.1
// or, with legacy compatibility, an intoto 0.0.2 entry; @sigstore/mock's Rekor stores entries as proposed, which
// only intoto entries survive: sigstore-js refuses its own dsse attestations against the mock).
'use strict';
const fs = require('fs');
const sigstore = require('sigstore');
const [url, token, artifact, out, mode, payloadType] = process.argv.slice(2);
const options = { fulcioURL: url, rekorURL: url, identityToken: token, timeout: 10000, retry: false, legacyCompatibility: mode === 'intoto' };
const data = fs.readFileSync(artifact);
(mode === 'dsse' || mode === 'intoto' ? sigstore.attest(data, payloadType, options) : sigstore.sign(data, options))
  .then((bundle) => fs.writeFileSync(out, JSON.stringify(bundle)))
  .catch((e) => { process.stderr.write(`sigstore-js sign: ${e.message}\n`); process.exit(1); });
