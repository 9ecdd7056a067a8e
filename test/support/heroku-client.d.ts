// Types for heroku-client@3.1.4 (the package ships none): only what the tests use.
declare module 'heroku-client' {
  import type { IncomingMessage } from 'node:http';

  interface HerokuClientOptions {
    token?: string;
    /** `http://127.0.0.1:5100`; http unless the scheme is https or the port is 443. */
    host?: string;
    auth?: string;
    headers?: Record<string, string>;
    /** Do not follow Next-Range; resolve with the first page only. */
    partial?: boolean;
    body?: unknown;
    json?: boolean;
    parseJSON?: boolean;
    userAgent?: string;
    /** Called with every response before its body is read; call `next()` to continue. */
    middleware?: (response: IncomingMessage, next: () => void) => void;
  }

  interface HerokuClientError extends Error {
    statusCode: number;
    body: unknown;
  }

  class Heroku {
    constructor(options?: HerokuClientOptions);
    request<T = unknown>(options: HerokuClientOptions & { method?: string; path: string }): Promise<T>;
    get<T = unknown>(path: string, options?: HerokuClientOptions): Promise<T>;
    post<T = unknown>(path: string, options?: HerokuClientOptions): Promise<T>;
    patch<T = unknown>(path: string, options?: HerokuClientOptions): Promise<T>;
    put<T = unknown>(path: string, options?: HerokuClientOptions): Promise<T>;
    delete<T = unknown>(path: string, options?: HerokuClientOptions): Promise<T>;
  }

  namespace Heroku {
    export type Options = HerokuClientOptions;
    export type ClientError = HerokuClientError;
  }

  export = Heroku;
}
