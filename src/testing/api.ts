// The few Platform API calls the harness makes itself (deploy, waitFor, logs), with the instance's key.

/** A non-2xx answer of the Platform API: Heroku's error `id` and `message`. */
export class BerthApiError extends Error {
  readonly statusCode: number;
  readonly id: string | undefined;
  constructor(method: string, path: string, statusCode: number, id: string | undefined, message: string) {
    super(`${method} ${path} → ${statusCode}${id === undefined ? '' : ` ${id}`}: ${message}`);
    this.statusCode = statusCode;
    this.id = id;
  }
}

export interface Api {
  request<T>(method: string, path: string, body?: unknown, headers?: Readonly<Record<string, string>>): Promise<T>;
}

export function apiOf(apiUrl: string, apiKey: string): Api {
  return {
    async request<T>(method: string, path: string, body?: unknown, headers: Readonly<Record<string, string>> = {}): Promise<T> {
      const response = await fetch(`${apiUrl}${path}`, {
        method,
        headers: {
          accept: 'application/vnd.heroku+json; version=3',
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      const parsed: unknown = text === '' ? undefined : JSON.parse(text);
      if (!response.ok) {
        const error = (parsed ?? {}) as { id?: string; message?: string };
        throw new BerthApiError(method, path, response.status, error.id, error.message ?? text);
      }
      return parsed as T;
    },
  };
}

/** The app named `app`, created first when it does not exist (a test deploys to a fresh Berth). */
export async function ensureApp(api: Api, app: string): Promise<void> {
  try {
    await api.request('GET', `/apps/${encodeURIComponent(app)}`);
  } catch (error) {
    if (!(error instanceof BerthApiError) || error.statusCode !== 404) throw error;
    await api.request('POST', '/apps', { name: app });
  }
}
