// DESIGN.md "Host CA bundle": where the host trusts extra CAs (a TLS-intercepting proxy), builds and dynos must
// too, or npm and pip fail on the first HTTPS request. The host's SSL_CERT_FILE replaces the container's system
// bundle (curl and git read that path whatever the environment says); NODE_EXTRA_CA_CERTS is mounted beside it.
import { existsSync } from 'node:fs';
import type { Env } from '../settings.js';

export interface ContainerTrust {
  readonly binds: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const EXTRA_BUNDLE = '/etc/ssl/certs/berth-node-extra-ca.pem';

export function hostTrust(env: Env = process.env): ContainerTrust {
  const binds: string[] = [];
  const vars: Record<string, string> = {};
  const sslCertFile = env['SSL_CERT_FILE'];
  if (sslCertFile && existsSync(sslCertFile)) {
    binds.push(`${sslCertFile}:${SYSTEM_BUNDLE}:ro`);
    for (const name of ['SSL_CERT_FILE', 'CURL_CA_BUNDLE', 'REQUESTS_CA_BUNDLE', 'PIP_CERT', 'GIT_SSL_CAINFO']) vars[name] = SYSTEM_BUNDLE;
  }
  const nodeExtra = env['NODE_EXTRA_CA_CERTS'];
  if (nodeExtra && existsSync(nodeExtra)) {
    binds.push(`${nodeExtra}:${EXTRA_BUNDLE}:ro`);
    vars['NODE_EXTRA_CA_CERTS'] = EXTRA_BUNDLE;
  }
  return { binds, env: vars };
}
