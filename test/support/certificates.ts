// Certificates a user would upload with `certs:add`: self-signed (or signed by a test CA of its own), made here with
// node:crypto keys and node-forge, so the tests need no openssl.
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

export interface TestCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export function keyPair(): { publicKeyPem: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

/** A self-signed server certificate for `hostnames` (the first one is the common name). */
export function selfSigned(hostnames: readonly string[], organization = 'Example Test'): TestCertificate {
  const keys = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = '01' + forge.util.bytesToHex(forge.random.getBytesSync(8));
  cert.validity.notBefore = new Date(Date.UTC(2026, 0, 1, 0, 0, 0));
  cert.validity.notAfter = new Date(Date.UTC(2036, 0, 1, 0, 0, 0));
  const subject = [
    { name: 'countryName', value: 'US' },
    { name: 'organizationName', value: organization },
    { name: 'commonName', value: hostnames[0] ?? 'example.test' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'subjectAltName', altNames: hostnames.map((value) => ({ type: 2, value })) },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}
