// Who may use the dashboard: a browser holding a session cookie, got from a one-time link (`berth dashboard`) or by
// giving the API key once. Dynos share the host's network, so an open page would hand every app to any process on
// the machine. The cookie is HttpOnly and SameSite=Strict, and the API takes it only with the dashboard's own header
// (`X-Berth-Dashboard`), which no other origin can send without a CORS preflight Berth never grants.
import { randomBytes } from 'node:crypto';
import { sameSecret } from '../credentials.js';

export const SESSION_COOKIE = 'berth_session';
export const DASHBOARD_HEADER = 'x-berth-dashboard';

/** A one-time link is good for this long, and once. */
const LINK_TTL_MS = 5 * 60 * 1000;
/** A session lasts a working day. */
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

function secret(): string {
  return randomBytes(24).toString('base64url');
}

export class DashboardSessions {
  readonly #links = new Map<string, number>();
  readonly #sessions = new Map<string, number>();
  readonly #apiKey: () => string;

  /** `apiKey`: the daemon's key, which a browser may give once instead of a link. */
  constructor(apiKey: () => string) {
    this.#apiKey = apiKey;
  }

  /** A one-time login token (the path of the link `berth dashboard` prints). */
  link(now = Date.now()): string {
    const token = secret();
    this.#links.set(token, now + LINK_TTL_MS);
    return token;
  }

  /** Spends a link's token; a new session's id, or undefined for a token unknown, spent or expired. */
  redeem(token: string, now = Date.now()): string | undefined {
    const expires = this.#links.get(token);
    this.#links.delete(token);
    return expires !== undefined && expires > now ? this.#open(now) : undefined;
  }

  /** The API key given in the login form: a session, or undefined when it is not the key. */
  login(key: string, now = Date.now()): string | undefined {
    return sameSecret(this.#apiKey(), key) ? this.#open(now) : undefined;
  }

  /** Whether a request comes from a dashboard with a live session (its cookie and its header). */
  admits(cookieHeader: string | undefined, dashboardHeader: string | string[] | undefined, now = Date.now()): boolean {
    if (dashboardHeader !== '1') return false;
    const id = cookieValue(cookieHeader, SESSION_COOKIE);
    const expires = id === undefined ? undefined : this.#sessions.get(id);
    return expires !== undefined && expires > now;
  }

  #open(now: number): string {
    for (const [id, expires] of this.#sessions) if (expires <= now) this.#sessions.delete(id);
    const id = secret();
    this.#sessions.set(id, now + SESSION_TTL_MS);
    return id;
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie value of a session. */
export function sessionCookie(id: string): string {
  // Secure: the session is worth the API key, and dynos share the host's network, where cleartext can be read.
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}`;
}
