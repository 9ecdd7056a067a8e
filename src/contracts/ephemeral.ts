// The one JSON line `berth up --ephemeral` prints when ready: written by cli/, read by testing/ and by test suites in
// other languages (README: pytest, Go), so its shape lives here, once.
/** What `berth up --ephemeral` prints, as one JSON line, once the API answers. */
export interface ReadyLine {
  readonly api_url: string;
  readonly api_tls_url: string;
  readonly git_host: string;
  /** `http://{app}.localhost:<router port>`: replace `{app}` with an app's name. */
  readonly router_url: string;
  readonly ports: { readonly api: number; readonly api_tls: number; readonly rendezvous: number; readonly router: number; readonly router_tls: number };
  readonly api_key: string;
  readonly data_dir: string;
  /** The `berth env` variables: pass them to a child running the heroku CLI. */
  readonly env: Readonly<Record<string, string>>;
  readonly pid: number;
}
