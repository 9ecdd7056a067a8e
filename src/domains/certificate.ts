// Reads a certificate chain and private key as the user uploads them (`certs:add CRT KEY`): both PEM, the key
// unencrypted and belonging to the chain's first certificate. What `ssl_cert` answers is derived here, once.
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { apiTimestamp } from '../clock.js';
import type { SslCert } from '../contracts/resources.js';
import { raise } from '../errors.js';
import { uuidFromHex } from '../ids.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function parseChain(chain: string): X509Certificate[] {
  const blocks = chain.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) raise('sni_certificate_invalid');
  try {
    return blocks.map((block) => new X509Certificate(block));
  } catch {
    raise('sni_certificate_invalid');
  }
}

function parseKey(pem: string): KeyObject {
  if (!pem.includes('-----BEGIN') || !pem.includes('PRIVATE KEY-----')) raise('sni_key_invalid');
  try {
    return createPrivateKey(pem);
  } catch {
    // Garbage, or a key under a passphrase (Heroku takes only unencrypted keys).
    raise('sni_key_invalid');
  }
}

/** `C=US\nO=Example\nCN=x` → `/C=US/O=Example/CN=x`. */
function oneLine(name: string): string {
  return `/${name.split('\n').filter((part) => part !== '').join('/')}`;
}

function commonName(subject: string): string | undefined {
  const line = subject.split('\n').find((part) => part.startsWith('CN='));
  return line?.slice(3);
}

/** The host names a certificate covers: its DNS subjectAltNames, else its common name. */
function certDomains(cert: X509Certificate): string[] {
  const dns = (cert.subjectAltName ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
  if (dns.length > 0) return [...new Set(dns)];
  const cn = commonName(cert.subject);
  return cn === undefined ? [] : [cn.toLowerCase()];
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

let roots: X509Certificate[] | undefined;

/** Walks the uploaded chain up to one of Node's bundled roots. */
function caSigned(chain: readonly X509Certificate[]): boolean {
  roots ??= rootCertificates.map((pem) => new X509Certificate(pem));
  let current = chain[0] as X509Certificate;
  const rest = chain.slice(1);
  for (let hops = 0; hops <= chain.length; hops++) {
    if (roots.some((root) => issuedBy(current, root))) return true;
    const next = rest.find((candidate) => issuedBy(current, candidate));
    if (next === undefined || next === current) return false;
    current = next;
  }
  return false;
}

function timestamp(value: string): string {
  return apiTimestamp(new Date(value));
}

/** Checks the pair (Heroku's 422s) and describes the certificate. */
export function readCertificate(certificateChain: string, privateKey: string): SslCert {
  const chain = parseChain(certificateChain);
  const key = parseKey(privateKey);
  const leaf = chain[0] as X509Certificate;
  if (!leaf.checkPrivateKey(key)) raise('sni_key_mismatch');
  const domains = certDomains(leaf);
  if (domains.length === 0) raise('sni_certificate_no_domains');
  const fingerprint = createHash('sha256').update(leaf.raw).digest('hex');
  return {
    id: uuidFromHex(fingerprint, 4),
    certDomains: domains,
    startsAt: timestamp(leaf.validFrom),
    expiresAt: timestamp(leaf.validTo),
    issuer: oneLine(leaf.issuer),
    subject: oneLine(leaf.subject),
    selfSigned: issuedBy(leaf, leaf),
    caSigned: caSigned(chain),
  };
}
