// The dashboard's pages, served by the daemon beside the API: `/` is a page shell (it holds no data: the page reads
// the Platform API with its session), `/dashboard/app.js` the UI bundled at build time (esbuild, from ui/), and the
// two ways in: the one-time link `berth dashboard` prints, and the API key given once. JSON answers of the API are
// unchanged; only `GET /` is new at the top. All of it is the HTTPS port's: over plain HTTP the page redirects there
// and the sign-ins refuse with a page that says where to go.
import { readFile } from 'node:fs/promises';
import type { TLSSocket } from 'node:tls';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { sessionCookie, type DashboardSessions } from './sessions.js';

export interface DashboardRouteOptions {
  readonly sessions: DashboardSessions;
  /** Where links point: the daemon's HTTPS address (`https://127.0.0.1:5101`). */
  readonly publicUrl: string;
}

/** The bundle, next to this module once built (dist/dashboard/app.js). */
const BUNDLE = new URL('./app.js', import.meta.url);

const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Berth</title>
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #f5f5f7; }
header { background: #430098; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1rem; align-items: baseline; }
header a { color: #fff; }
main { padding: 1rem 1.2rem; max-width: 72rem; }
section { background: #fff; border-radius: 8px; padding: .8rem 1rem; margin-bottom: 1rem; }
h1 { font-size: 1.2rem; margin: 0; } h2 { font-size: 1rem; margin: 0 0 .5rem; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #eee; }
.dynos { display: flex; flex-wrap: wrap; gap: .6rem; }
.dyno { border: 2px solid #999; border-radius: 8px; padding: .5rem .8rem; min-width: 11rem; }
.dyno.up { border-color: #2e7d32; } .dyno.starting { border-color: #f9a825; } .dyno.crashed { border-color: #c62828; } .dyno.down { border-color: #666; }
.state { font-weight: 600; }
.dyno pre.dyno-log { background: #111; color: #ddd; padding: .3rem; font-size: 11px; max-width: 32rem; white-space: pre-wrap; margin: .3rem 0; min-height: 2.4rem; }
.memory.over { color: #c62828; font-weight: 600; } .cooloff { color: #c62828; }
.count { display: inline-block; background: #eee; border-radius: 4px; padding: 0 .4rem; margin-right: .3rem; }
pre.log { background: #111; color: #ddd; padding: .6rem; height: 16rem; overflow: auto; font-size: 12px; margin: 0; }
button { font: inherit; padding: .15rem .6rem; margin-right: .3rem; cursor: pointer; }
button:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid #7b2cbf; outline-offset: 2px; }
.error { color: #c62828; }
</style>
</head>
<body>
<div id="root"></div>
<script type="module" src="/dashboard/app.js"></script>
</body>
</html>
`;

/**
 * Whether the request came over the daemon's HTTPS port. The session is worth the API key and dynos share the host's
 * loopback, so the dashboard is served, and a session made or used, only there.
 */
export function overTls(request: FastifyRequest): boolean {
  return (request.raw.socket as Partial<TLSSocket>).encrypted === true;
}

/** The page a browser that came over plain HTTP gets instead of a sign-in. */
function httpsOnly(reply: FastifyReply, publicUrl: string): FastifyReply {
  return reply
    .code(403)
    .type('text/plain; charset=utf-8')
    .send(`The dashboard signs in over HTTPS only: open ${publicUrl}/ (its certificate is the local CA's; run \`berth dashboard\` for a link there).\n`);
}

export const dashboardRoutes: FastifyPluginAsync<DashboardRouteOptions> = async (api, { sessions, publicUrl }) => {
  // The page over plain HTTP: to the same path on the HTTPS port.
  api.get('/', { config: { public: true } }, async (request, reply) =>
    overTls(request) ? reply.type('text/html; charset=utf-8').send(SHELL) : reply.redirect(`${publicUrl}/`, 308),
  );

  api.get('/dashboard/app.js', { config: { public: true } }, async (request, reply) => {
    if (!overTls(request)) return reply.redirect(`${publicUrl}/dashboard/app.js`, 308);
    const bundle = await readFile(BUNDLE, 'utf8');
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(bundle);
  });

  // The one-time link: spent on first use, it sets the session cookie and opens the apps page.
  api.get<{ Params: { token: string } }>('/dashboard/login/:token', { config: { public: true } }, async (request, reply) => {
    // Not spent over plain HTTP: the same link still works on the HTTPS port.
    if (!overTls(request)) return httpsOnly(reply, publicUrl);
    const session = sessions.redeem(request.params.token);
    if (session === undefined) {
      return reply.code(403).type('text/plain; charset=utf-8').send('This dashboard link was used already or has expired: run `berth dashboard` for a new one.\n');
    }
    return reply.header('set-cookie', sessionCookie(session)).redirect('/', 303);
  });

  // The API key, given once in the page's form.
  api.post<{ Body: { key?: unknown } | null }>('/dashboard/login', { config: { public: true } }, async (request, reply) => {
    if (!overTls(request)) return httpsOnly(reply, publicUrl);
    const key = request.body?.key;
    const session = typeof key === 'string' ? sessions.login(key) : undefined;
    if (session === undefined) return reply.code(401).send({ id: 'unauthorized', message: 'Invalid credentials provided.' });
    return reply.header('set-cookie', sessionCookie(session)).code(204).send();
  });

  // `berth dashboard`: a one-time link, for whoever holds the API key.
  api.post('/berth/dashboard/links', async (_request, reply) => reply.code(201).send({ url: `${publicUrl}/dashboard/login/${sessions.link()}` }));
};
