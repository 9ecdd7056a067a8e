import { generateKeyPair, generateKeyPairSync, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateKeyPairAsync = promisify(generateKeyPair);

const DAY_MS = 24 * 60 * 60 * 1000;
export const CA_COMMON_NAME = 'Berth Local CA';
const CA_VALIDITY_DAYS = 3652;
const LEAF_VALIDITY_DAYS = 365;

export interface KeyPairPem {
  publicKeyPem: string;
  privateKeyPem: string;
}

const RSA_OPTIONS = {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
} as const;

/** A fresh RSA-2048 key pair (native crypto; PEM: SPKI public, PKCS#1 private). */
export async function generateRsaKeyPair(): Promise<KeyPairPem> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', RSA_OPTIONS);
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

export function generateRsaKeyPairSync(): KeyPairPem {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', RSA_OPTIONS);
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

/** A random, positive 128-bit serial number as hex (high bit cleared so DER keeps it positive). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f | 0x01;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - DAY_MS);
  cert.validity.notAfter = new Date(now + days * DAY_MS);
}

/** The public key PEM that belongs to a private key PEM (via forge). */
function publicKeyOf(privateKeyPem: string): forge.pki.rsa.PublicKey {
  const priv = forge.pki.privateKeyFromPem(privateKeyPem);
  return forge.pki.setRsaPublicKey(priv.n, priv.e);
}

/** Builds and self-signs the local CA certificate for an existing CA key. */
export function createCaCertificate(caKeyPem: string): string {
  const privateKey = forge.pki.privateKeyFromPem(caKeyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKeyOf(caKeyPem);
  cert.serialNumber = randomSerial();
  validity(cert, CA_VALIDITY_DAYS);
  const subject = [
    { name: 'commonName', value: CA_COMMON_NAME },
    { name: 'organizationName', value: 'Berth' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

export interface LeafRequest {
  dnsNames: string[];
  ipAddresses: string[];
  commonName: string;
}

/** Signs a TLS server certificate for `leafPublicKeyPem` with the CA. */
export function signLeafCertificate(
  caCertPem: string,
  caKeyPem: string,
  leafPublicKeyPem: string,
  req: LeafRequest,
): string {
  const caCert = forge.pki.certificateFromPem(caCertPem);
  const caKey = forge.pki.privateKeyFromPem(caKeyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(leafPublicKeyPem);
  cert.serialNumber = randomSerial();
  validity(cert, LEAF_VALIDITY_DAYS);
  cert.setSubject([{ name: 'commonName', value: req.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...req.dnsNames.map((value) => ({ type: 2, value })),
    ...req.ipAddresses.map((ip) => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
    { name: 'subjectKeyIdentifier' },
    {
      name: 'authorityKeyIdentifier',
      keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes(),
    },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}
