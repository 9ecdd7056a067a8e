// `git http-backend` as a CGI program: request metadata in the environment, the request body on stdin (streamed, gzip
// bodies are inflated by git itself through HTTP_CONTENT_ENCODING), a CGI header block then the body on stdout.
import { spawn } from 'node:child_process';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

export interface CgiRequest {
  readonly method: string;
  /** `/<repo>.git/info/refs` relative to projectRoot. */
  readonly pathInfo: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Readable | undefined;
  readonly projectRoot: string;
  readonly remoteUser: string;
  readonly remoteAddr: string;
  /** Extra variables for http-backend, and through it for receive-pack and its hooks. */
  readonly extraEnv: Readonly<Record<string, string>>;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function cgiEnvironment(request: CgiRequest): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith('GIT_') || name.startsWith('BERTH_')) continue;
    env[name] = value;
  }
  Object.assign(env, {
    GIT_PROJECT_ROOT: request.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REQUEST_METHOD: request.method,
    PATH_INFO: request.pathInfo,
    QUERY_STRING: request.query,
    REMOTE_USER: request.remoteUser,
    REMOTE_ADDR: request.remoteAddr,
  });
  const contentType = header(request.headers, 'content-type');
  if (contentType) env['CONTENT_TYPE'] = contentType;
  const contentLength = header(request.headers, 'content-length');
  if (contentLength) env['CONTENT_LENGTH'] = contentLength;
  const encoding = header(request.headers, 'content-encoding');
  if (encoding) env['HTTP_CONTENT_ENCODING'] = encoding;
  const protocol = header(request.headers, 'git-protocol');
  if (protocol) env['GIT_PROTOCOL'] = protocol;
  return { ...env, ...request.extraEnv };
}

/** Splits a CGI header block off the start of `data`; undefined until the blank line has arrived. */
export function parseCgiHeaders(data: Buffer): { status: number; headers: Array<[string, string]>; rest: Buffer } | undefined {
  const crlf = data.indexOf('\r\n\r\n');
  const lf = data.indexOf('\n\n');
  let end: number;
  let skip: number;
  if (crlf !== -1 && (lf === -1 || crlf < lf)) {
    end = crlf;
    skip = 4;
  } else if (lf !== -1) {
    end = lf;
    skip = 2;
  } else return undefined;
  let status = 200;
  const headers: Array<[string, string]> = [];
  for (const line of data.subarray(0, end).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
    else headers.push([name, value]);
  }
  return { status, headers, rest: data.subarray(end + skip) };
}

/** Runs http-backend for one request and streams its answer into `res`. Resolves with its exit code. */
export function runHttpBackend(request: CgiRequest, res: ServerResponse, onStderr: (text: string) => void): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('git', ['http-backend'], { env: cgiEnvironment(request), stdio: ['pipe', 'pipe', 'pipe'] });
    let head = Buffer.alloc(0);
    let headersSent = false;
    let settled = false;
    const finish = (code: number | null) => {
      if (settled) return;
      settled = true;
      resolve(code);
    };
    const fail = (message: string) => {
      if (!headersSent && !res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`${message}\n`);
      } else res.destroy();
    };
    child.on('error', (error) => {
      fail(`git http-backend could not start: ${error.message}`);
      finish(null);
    });
    child.stderr.setEncoding('utf8').on('data', onStderr);
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        if (!res.write(chunk)) {
          child.stdout.pause();
          res.once('drain', () => child.stdout.resume());
        }
        return;
      }
      head = Buffer.concat([head, chunk]);
      const parsed = parseCgiHeaders(head);
      if (!parsed) return;
      headersSent = true;
      res.statusCode = parsed.status;
      for (const [name, value] of parsed.headers) res.setHeader(name, value);
      if (parsed.rest.length > 0) res.write(parsed.rest);
      else res.flushHeaders();
    });
    child.on('close', (code) => {
      if (!headersSent) fail(`git http-backend exited (${code}) without an answer`);
      else res.end();
      finish(code);
    });
    res.on('close', () => {
      if (child.exitCode === null && !res.writableFinished) child.kill('SIGTERM');
    });
    child.stdin.on('error', () => undefined);
    if (request.body) request.body.pipe(child.stdin);
    else child.stdin.end();
  });
}
