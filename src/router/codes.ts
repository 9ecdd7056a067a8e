// Heroku's router codes (reference §2.2): what each logs (`at`, `desc`, the `sock=` prefix) and the status the
// client gets. Only the codes Berth's router can produce are listed.

export type RouterCode = 'H10' | 'H12' | 'H13' | 'H14' | 'H15' | 'H17' | 'H18' | 'H19' | 'H20' | 'H21' | 'H27' | 'H80' | 'H99';

export interface CodeInfo {
  readonly at: 'error' | 'warning' | 'info';
  readonly desc: string;
  /** What the client gets (and the log's `status=`). */
  readonly status: number;
  /** `sock=backend` (H18) / `sock=client` (H27) before `at=`. */
  readonly sock: 'client' | 'backend' | undefined;
}

export const CODES: Readonly<Record<RouterCode, CodeInfo>> = {
  H10: { at: 'error', desc: 'App crashed', status: 503, sock: undefined },
  H12: { at: 'error', desc: 'Request timeout', status: 503, sock: undefined },
  H13: { at: 'error', desc: 'Connection closed without response', status: 503, sock: undefined },
  H14: { at: 'error', desc: 'No web processes running', status: 503, sock: undefined },
  H15: { at: 'error', desc: 'Idle connection', status: 503, sock: undefined },
  H17: { at: 'error', desc: 'Poorly formatted HTTP response', status: 503, sock: undefined },
  H18: { at: 'error', desc: 'Server Request Interrupted', status: 503, sock: 'backend' },
  H19: { at: 'error', desc: 'Backend connection timeout', status: 503, sock: undefined },
  H20: { at: 'error', desc: 'App boot timeout', status: 503, sock: undefined },
  H21: { at: 'error', desc: 'Backend connection refused', status: 503, sock: undefined },
  H27: { at: 'warning', desc: 'Client Request Interrupted', status: 499, sock: 'client' },
  H80: { at: 'info', desc: 'Maintenance mode', status: 503, sock: undefined },
  H99: { at: 'error', desc: 'Platform error', status: 503, sock: undefined },
};
