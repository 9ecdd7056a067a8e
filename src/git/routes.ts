// Smart HTTP at `/<app>.git/...` on both API listeners, and the internal endpoints the pre-receive hook calls.
// Git routes take HTTP Basic with the API key as the password (any user); without it they answer 401 with a Basic
// challenge, which is what makes git ask its credential helper. Internal routes take only a live per-push token.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Readable } from 'node:stream';
import { isAuthorized } from '../credentials.js';
import { berthError, isBerthError, type BerthError } from '../errors.js';
import { runHttpBackend } from './cgi.js';
import type { GitService } from './service.js';

export interface GitRoutesOptions {
  readonly git: GitService;
  readonly apiKey: string;
}

export const INTERNAL_PUSH_PATH = '/internal/git/pushes';

/** git shows a failed request's body as text, so a catalogue error goes to it as its message alone. */
function errorReply(reply: FastifyReply, error: BerthError): FastifyReply {
  return reply.code(error.status).type('text/plain; charset=utf-8').send(`${error.message}\n`);
}

export const gitRoutes: FastifyPluginAsync<GitRoutesOptions> = async (api, { git, apiKey }) => {
  // In this plugin only: request bodies (packs, tarballs) stay streams.
  api.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  api.route<{ Params: { app: string; '*': string }; Querystring: Record<string, string | undefined> }>({
    method: ['GET', 'POST'],
    url: '/:app.git/*',
    config: { public: true },
    handler: async (request, reply) => {
      if (!isAuthorized(request.headers.authorization, apiKey)) {
        void reply.header('WWW-Authenticate', 'Basic realm="Heroku"');
        return errorReply(reply, berthError('credentials_invalid'));
      }
      const rest = request.params['*'];
      const service = request.query['service'];
      const receivePack = rest === 'git-receive-pack' || (rest === 'info/refs' && service === 'git-receive-pack');
      let app;
      try {
        app = await git.resolveApp(request.params.app, receivePack);
      } catch (error) {
        if (isBerthError(error)) return errorReply(reply, error);
        throw error;
      }
      if (!app) return errorReply(reply, berthError('git_app_not_found', { app: request.params.app }));
      const session = request.method === 'POST' && rest === 'git-receive-pack' ? git.beginPush(app) : undefined;
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
      reply.hijack();
      try {
        await runHttpBackend(
          {
            method: request.method,
            pathInfo: `/${app.id}.git/${rest}`,
            query,
            headers: request.headers,
            body: request.method === 'POST' ? ((request.body as Readable | undefined) ?? request.raw) : undefined,
            projectRoot: git.reposRoot,
            remoteUser: 'berth',
            remoteAddr: request.ip,
            extraEnv: session?.env ?? {},
          },
          reply.raw,
          (text) => request.log.warn({ app: app.name, stderr: text.trim() }, 'git http-backend'),
        );
      } finally {
        session?.end();
      }
      return reply;
    },
  });

  api.post(`${INTERNAL_PUSH_PATH}/plan`, { config: { public: true } }, async (request, reply) => {
    const token = request.headers['x-berth-push-token'];
    const text = typeof request.body === 'string' ? request.body : '';
    try {
      return git.plan(typeof token === 'string' ? token : undefined, text);
    } catch (error) {
      if (isBerthError(error)) return errorReply(reply, error);
      throw error;
    }
  });

  // The post-receive hook: git has updated the refs; what waited for that happens now.
  api.post(`${INTERNAL_PUSH_PATH}/received`, { config: { public: true } }, async (request, reply) => {
    const token = request.headers['x-berth-push-token'];
    const text = typeof request.body === 'string' ? request.body : '';
    try {
      return await git.received(typeof token === 'string' ? token : undefined, text);
    } catch (error) {
      if (isBerthError(error)) return errorReply(reply, error);
      throw error;
    }
  });

  api.post(`${INTERNAL_PUSH_PATH}/source`, { config: { public: true } }, async (request, reply) => {
    const token = request.headers['x-berth-push-token'];
    const body = (request.body as Readable | undefined) ?? request.raw;
    const res = reply.raw;
    const abort = new AbortController();
    reply.hijack();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', trailer: 'X-Berth-Result' });
    };
    let ended = false;
    const out = {
      signal: abort.signal,
      write(text: string) {
        start();
        if (!res.destroyed) res.write(text);
      },
      end(succeeded: boolean) {
        if (ended) return;
        ended = true;
        start();
        res.addTrailers({ 'X-Berth-Result': succeeded ? 'succeeded' : 'failed' });
        res.end();
      },
    };
    try {
      await git.deploy(typeof token === 'string' ? token : undefined, body, out, commitSubject(request.headers['x-berth-commit-subject']));
    } catch (error) {
      if (!started) {
        res.writeHead(isBerthError(error) ? error.status : 500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`${(error as Error).message}\n`);
        body.resume();
        return reply;
      }
      request.log.error({ err: error }, 'push failed');
      out.write(` !     Push failed on an internal error: ${(error as Error).message}\n`);
    }
    out.end(false);
    return reply;
  });
};

/** The pushed commit's subject the hook sends percent-encoded; '' when absent or not decodable. */
function commitSubject(header: string | string[] | undefined): string {
  if (typeof header !== 'string') return '';
  try {
    return decodeURIComponent(header);
  } catch {
    return '';
  }
}
