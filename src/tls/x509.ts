import { generateKeyPair, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
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

/** forge's `cert.sign` builds the to-be-signed part with this; @types/node-forge does not declare it. */
const pki = forge.pki as typeof forge.pki & { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 };

/**
 * What forge's `cert.sign(key, sha256)` does, with the RSA signature made by node:crypto: forge's is JavaScript
 * big-number arithmetic, about 20 ms of the event loop per certificate and most of a throwaway Berth's certificate cost.
 */
function signWith(cert: forge.pki.Certificate, keyPem: string): void {
  const oid = forge.pki.oids['sha256WithRSAEncryption'];
  if (oid === undefined) throw new Error('tls: forge knows no sha256WithRSAEncryption OID');
  cert.signatureOid = oid;
  cert.siginfo.algorithmOid = oid;
  const tbs = Buffer.from(forge.asn1.toDer(pki.getTBSCertificate(cert)).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, keyPem).toString('binary');
}

/** Builds and self-signs the local CA certificate for an existing CA key. */
export function createCaCertificate(caKeyPem: string): string {
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
  signWith(cert, caKeyPem);
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
  signWith(cert, caKeyPem);
  return forge.pki.certificateToPem(cert);
}
