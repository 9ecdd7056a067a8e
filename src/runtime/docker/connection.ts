// Where the engine listens: settings.dockerHost (BERTH_DOCKER_HOST or DOCKER_HOST), else the default socket.
import Docker from 'dockerode';
import type { Settings } from '../../settings.js';

export const DEFAULT_SOCKET = '/var/run/docker.sock';

export type Endpoint =
  | { readonly kind: 'unix'; readonly socketPath: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly protocol: 'http' | 'https' };

export function endpointOf(settings: Pick<Settings, 'dockerHost'>): Endpoint {
  const raw = settings.dockerHost;
  if (raw === undefined || raw === '') return { kind: 'unix', socketPath: DEFAULT_SOCKET };
  if (raw.startsWith('/')) return { kind: 'unix', socketPath: raw };
  const url = new URL(raw);
  if (url.protocol === 'unix:') return { kind: 'unix', socketPath: url.pathname };
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const protocol = url.protocol === 'https:' ? 'https' : 'http';
    const port = url.port === '' ? (protocol === 'https' ? 2376 : 2375) : Number(url.port);
    return { kind: 'tcp', host: url.hostname, port, protocol };
  }
  throw new Error(`Unsupported Docker host "${raw}": use unix:///path/to/docker.sock or tcp://host:port`);
}

export function describeEndpoint(endpoint: Endpoint): string {
  return endpoint.kind === 'unix' ? `unix://${endpoint.socketPath}` : `${endpoint.protocol}://${endpoint.host}:${endpoint.port}`;
}

export function dockerFor(endpoint: Endpoint): Docker {
  return endpoint.kind === 'unix'
    ? new Docker({ socketPath: endpoint.socketPath })
    : new Docker({ host: endpoint.host, port: endpoint.port, protocol: endpoint.protocol });
}

/** True when the engine answers `/_ping` within the timeout. */
export async function answers(docker: Docker, timeoutMs = 3000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([docker.ping().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
