// A small Platform API client for the `berth` thin commands: the daemon's HTTP URL and the API key from the data dir.
import { ensureApiKey } from '../credentials.js';
import { apiUrl, type Settings } from '../settings.js';

export class ApiError extends Error {
  readonly status: number;
  readonly id: string | undefined;
  constructor(status: number, message: string, id: string | undefined) {
    super(message);
    this.status = status;
    this.id = id;
  }
}

export interface RequestOptions {
  readonly method?: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export class ApiClient {
  readonly baseUrl: string;
  readonly #key: string;

  constructor(baseUrl: string, key: string) {
    this.baseUrl = baseUrl;
    this.#key = key;
  }

  static async fromSettings(settings: Settings): Promise<ApiClient> {
    return new ApiClient(apiUrl(settings), await ensureApiKey(settings.dataDir));
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method: options.method ?? 'GET',
        headers: {
          accept: 'application/vnd.heroku+json; version=3',
          authorization: `Bearer ${this.#key}`,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch (error) {
      throw new Error(`Berth does not answer at ${this.baseUrl} (${(error as Error).message}). Is \`berth up\` running?`);
    }
    const text = await response.text();
    const parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (!response.ok) {
      const body = (parsed ?? {}) as { id?: string; message?: string };
      throw new ApiError(response.status, body.message ?? `HTTP ${response.status}`, body.id);
    }
    return parsed as T;
  }

  /** A streaming GET of a URL the API handed out (log sessions, build output). */
  async stream(url: string, out: { write(chunk: Uint8Array): unknown }, signal?: AbortSignal): Promise<void> {
    const response = await fetch(url, { signal });
    if (!response.ok || !response.body) throw new Error(`${url} answered ${response.status}`);
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) out.write(chunk);
  }
}

export interface AppInfo {
  readonly id: string;
  readonly name: string;
  readonly web_url: string;
  readonly git_url: string;
}
