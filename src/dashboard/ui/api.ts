// The page's calls to the Platform API (and Berth's /berth/ controls), with the session cookie and the dashboard's
// header, which together stand for the API key.

export class Unauthorized extends Error {}

const HEADERS = { 'x-berth-dashboard': '1', accept: 'application/vnd.heroku+json; version=3' };

export async function call<T>(path: string, init: { method?: string; body?: unknown; range?: string } = {}): Promise<T> {
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: {
      ...HEADERS,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.range === undefined ? {} : { range: init.range }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (response.status === 401) throw new Unauthorized('Invalid credentials provided.');
  const text = await response.text();
  const parsed: unknown = text === '' ? undefined : JSON.parse(text);
  if (!response.ok) throw new Error((parsed as { message?: string } | undefined)?.message ?? `HTTP ${response.status}`);
  return parsed as T;
}

/** The API key, given once: the daemon answers with the session cookie. */
export async function logIn(key: string): Promise<boolean> {
  const response = await fetch('/dashboard/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key }),
  });
  return response.ok;
}

export interface App {
  readonly name: string;
  readonly stack: { readonly name: string };
  readonly web_url: string;
}

export interface Dyno {
  readonly name: string;
  readonly type: string;
  readonly state: string;
  readonly command: string;
  readonly size: string;
  readonly updated_at: string;
}

export interface Release {
  readonly id: string;
  readonly version: number;
  readonly description: string;
  readonly status: string;
  readonly current: boolean;
  readonly created_at: string;
  /** The release phase's output, if the app has one. */
  readonly output_stream_url: string | null;
}

export interface Build {
  readonly id: string;
  readonly status: string;
  readonly output_stream_url: string;
  readonly release: { readonly id: string } | null;
}

/**
 * A stream URL of the API (log session, build or release output) on this page's own origin: the API names its plain
 * HTTP address, the page is served over HTTPS (or under another host name), and both ports serve the same routes.
 */
export function onThisOrigin(url: string): string {
  const parsed = new URL(url, location.href);
  return `${parsed.pathname}${parsed.search}`;
}

/** Reads an output stream (a build's, a release phase's) as it comes: `onText` gets all of it so far. */
export async function readStream(url: string, onText: (text: string) => void): Promise<void> {
  const response = await fetch(onThisOrigin(url));
  if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status} for the output stream`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    text += value;
    onText(text);
  }
}

export interface Formation {
  readonly type: string;
  readonly quantity: number;
  readonly size: string;
}

/** `GET /berth/apps/{app}/dynos`: what a dyno card shows beyond the Platform API's dyno. */
export interface DynoVitals {
  readonly name: string;
  readonly state: string;
  readonly memory_mb: number | null;
  readonly memory_quota_mb: number;
  readonly memory_r15_mb: number;
  readonly cooloff_until: string | null;
}
