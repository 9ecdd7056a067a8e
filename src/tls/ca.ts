import { X509Certificate, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { chmod, link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { normalizeHostname, normalizeIp } from './names.js';
import {
  createCaCertificate,
  generateRsaKeyPair,
  generateRsaKeyPairSync,
  signLeafCertificate,
  type KeyPairPem,
} from './x509.js';

export interface IssueOptions {
  /** DNS names for the SAN extension (lowercased; `*.` wildcard prefix allowed). */
  dnsNames?: string[];
  /** IPv4/IPv6 literals for the SAN extension. */
  ipAddresses?: string[];
  /** Subject CN; defaults to the first name (informational only, clients check the SAN). */
  commonName?: string;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

export interface LocalCa {
  /** PEM of the CA certificate (trust anchor). */
  readonly certPem: string;
  /** `<dataDir>/tls/ca.pem`. */
  readonly certPath: string;
  /** SHA-256 fingerprint of the CA certificate, `AB:CD:...`. */
  readonly fingerprint256: string;
  /**
   * Signs a TLS server certificate. All certificates issued by one LocalCa share one leaf key
   * pair (generated on first use and kept as `<dataDir>/tls/leaf-key.pem`, so a restart costs no RSA key
   * generation), so issuing costs one signature.
   * Throws on an invalid name or when no DNS name or IP is given.
   */
  issue(opts: IssueOptions): IssuedCertificate;
}

const MAX_CN = 64;

function checkDnsName(raw: string): string {
  const wildcard = raw.startsWith('*.');
  const name = normalizeHostname(wildcard ? raw.slice(2) : raw);
  if (name === undefined) throw new Error(`tls: invalid DNS name ${JSON.stringify(raw)}`);
  return wildcard ? `*.${name}` : name;
}

function checkIp(raw: string): string {
  const ip = normalizeIp(raw);
  if (ip === undefined) throw new Error(`tls: invalid IP address ${JSON.stringify(raw)}`);
  return ip;
}

/** The key pair of a private key PEM (the public half derived natively). */
function keyPairOf(privateKeyPem: string): KeyPairPem {
  const publicKeyPem = createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'pem' }).toString();
  return { publicKeyPem, privateKeyPem };
}

/**
 * The leaf key at `path`, made and published there first when there is none. Sync, like `issue()`: the key is
 * written to a file of this process's own and then linked into place, so a reader never sees a partial key, and of
 * racing processes the first link wins: its key is the one every later start reads.
 */
function leafKeyAt(path: string): KeyPairPem {
  try {
    return keyPairOf(readFileSync(path, 'utf8'));
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw new Error(`tls: cannot read the leaf key ${path}: ${String(err)}`);
  }
  const pair = generateRsaKeyPairSync();
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, pair.privateKeyPem, { flag: 'wx', mode: 0o600 });
  try {
    linkSync(tmp, path);
  } catch (err) {
    // Another process won the race: its key is on disk now; this one still signs correctly with its own.
    if (!isErrno(err, 'EEXIST')) throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  return pair;
}

class FileBackedCa implements LocalCa {
  readonly fingerprint256: string;
  #leafKey: KeyPairPem | undefined;

  constructor(
    readonly certPem: string,
    readonly certPath: string,
    readonly keyPem: string,
    private readonly leafKeyPath: string,
  ) {
    this.fingerprint256 = new X509Certificate(certPem).fingerprint256;
  }

  issue(opts: IssueOptions): IssuedCertificate {
    const dnsNames = [...new Set((opts.dnsNames ?? []).map(checkDnsName))];
    const ipAddresses = [...new Set((opts.ipAddresses ?? []).map(checkIp))];
    if (dnsNames.length === 0 && ipAddresses.length === 0) {
      throw new Error('tls: a certificate needs at least one DNS name or IP address');
    }
    const commonName =
      opts.commonName ?? [...dnsNames, ...ipAddresses].find((n) => n.length <= MAX_CN) ?? 'berth';
    if (commonName.length === 0 || commonName.length > MAX_CN) {
      throw new Error(`tls: common name must be 1-${MAX_CN} characters`);
    }
    this.#leafKey ??= leafKeyAt(this.leafKeyPath);
    const certPem = signLeafCertificate(this.certPem, this.keyPem, this.#leafKey.publicKeyPem, {
      dnsNames,
      ipAddresses,
      commonName,
    });
    return { certPem, keyPem: this.#leafKey.privateKeyPem };
  }
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/**
 * Publishes `content` at `path` only if nothing is there yet: writes a complete temp file,
 * then `link`s it into place (atomic, fails with EEXIST when another process won the race).
 */
async function publishOnce(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, path);
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

function loadCa(certPem: string, certPath: string, keyPem: string, keyPath: string, leafKeyPath: string): LocalCa {
  let matches: boolean;
  try {
    matches = new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch (err) {
    throw new Error(`tls: cannot read the local CA at ${certPath} / ${keyPath}: ${String(err)}`);
  }
  if (!matches) throw new Error(`tls: ${certPath} does not belong to the key ${keyPath}`);
  return new FileBackedCa(certPem, certPath, keyPem, leafKeyPath);
}

/**
 * Creates once, then reuses, the local certificate authority in `<dataDir>/tls/`
 * (`ca.pem`, and `ca-key.pem` with mode 0600; the directory has mode 0700), and the key of the
 * certificates it issues (`leaf-key.pem`, mode 0600, made on the first `issue()`).
 *
 * Safe against concurrent callers and processes: the key is published first with an atomic
 * `link` (the first writer wins, others adopt its key), then the certificate the same way;
 * since every contender signs with the one winning key, all converge on one CA. A key left
 * without a certificate (crash between the two steps) is simply completed by the next caller.
 */
export async function ensureCa(dataDir: string): Promise<LocalCa> {
  const dir = join(dataDir, 'tls');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca-key.pem');

  for (let attempt = 0; attempt < 4; attempt++) {
    const keyPem = await readIfExists(keyPath);
    const certPem = await readIfExists(certPath);
    if (keyPem !== undefined && certPem !== undefined) {
      return loadCa(certPem, certPath, keyPem, keyPath, join(dir, 'leaf-key.pem'));
    }
    if (keyPem === undefined) {
      if (certPem !== undefined) {
        throw new Error(`tls: ${certPath} exists but its key ${keyPath} is missing`);
      }
      const pair = await generateRsaKeyPair();
      await publishOnce(keyPath, pair.privateKeyPem, 0o600);
      continue;
    }
    let caCertPem: string;
    try {
      caCertPem = createCaCertificate(keyPem);
    } catch (err) {
      throw new Error(`tls: cannot read the CA key ${keyPath}: ${String(err)}`);
    }
    await publishOnce(certPath, caCertPem, 0o644);
  }
  throw new Error(`tls: could not create the local CA in ${dir}`);
}
