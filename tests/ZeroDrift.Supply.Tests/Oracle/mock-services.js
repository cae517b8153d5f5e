// Mock Fulcio (POST /api/v2/signingCert) and Rekor v1 (POST /api/v1/log/entries) from @sigstore/mock on one loopback
// port, as sigstore-js's own mock-server wires them. Prints one JSON line: {"url": ..., "trustedRoot": {...}} built
// from the services' key material, then serves until stdin closes (the test's handle on the process).
'use strict';
const http = require('http');
const crypto = require('crypto');
const { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, rekorHandler } = require('@sigstore/mock');
const { TrustedRoot, HashAlgorithm, PublicKeyDetails } = require('@sigstore/protobuf-specs');

async function main() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const keyPair = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ctlog = await initializeCTLog(keyPair);
  const ca = await initializeCA(keyPair, ctlog);
  const tlog = await initializeTLog(url, keyPair);
  // subjectClaim 'email': the certificate's SAN is the token's email, as public-good Fulcio does for email issuers.
  const routes = {
    '/api/v2/signingCert': fulcioHandler(ca, { strict: true, subjectClaim: 'email' }).fn,
    '/api/v1/log/entries': rekorHandler(tlog, { strict: true }).fn,
  };
  server.on('request', (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const handler = req.method === 'POST' ? routes[req.url] : undefined;
      if (!handler) { res.statusCode = 404; res.end('not found'); return; }
      const { statusCode, response, contentType } = await handler(Buffer.concat(chunks).toString());
      if (contentType) res.setHeader('Content-Type', contentType);
      res.statusCode = statusCode;
      res.end(response);
    });
  });
  // validFor starts a minute back: the test's clock and the services' clock are the same machine's.
  const start = new Date(Date.now() - 60_000);
  const key = (raw) => ({ rawBytes: raw, keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256, validFor: { start } });
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    certificateAuthorities: [{
      subject: { commonName: 'sigstore', organization: 'sigstore.mock' }, uri: url,
      certChain: { certificates: [{ rawBytes: Buffer.from(ca.rootCertificate.buffer) }] },
      validFor: { start }, operator: 'sigstore.mock',
    }],
    ctlogs: [{ baseUrl: url, logId: { keyId: Buffer.from(ctlog.logID.buffer) }, hashAlgorithm: HashAlgorithm.SHA2_256, publicKey: key(ctlog.publicKey), operator: 'sigstore.mock' }],
    tlogs: [{ baseUrl: url, logId: { keyId: crypto.createHash('sha256').update(tlog.publicKey).digest() }, hashAlgorithm: HashAlgorithm.SHA2_256, publicKey: key(tlog.publicKey), operator: 'sigstore.mock' }],
    timestampAuthorities: [],
  };
  process.stdout.write(JSON.stringify({ url, trustedRoot: TrustedRoot.toJSON(trustedRoot) }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}
main().catch((e) => { process.stderr.write(`mock services: ${e.message}\n`); process.exit(2); });
