// The dashboard page (bundled by esbuild into dist/dashboard/app.js at build time; nothing is fetched from outside
// the machine): the apps, and one app live. Its data comes from the Platform API; it goes live through the app's log
// stream (Server-Sent Events, as `heroku logs --tail`): every `heroku[...]` or `app[api]` line makes it read the
// dynos and releases again, so a card moves through starting → up → crashed as the dyno manager says so. The same
// stream pushes each memory reading of the dyno manager's sampler (`event: vitals`) to the cards, and router lines
// feed the router panel.
import { html, render } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, logIn, onThisOrigin, readStream, Unauthorized, type App, type Build, type Dyno, type DynoVitals, type Formation, type Release } from './api.js';
import { countRouterLine, NO_ROUTER_STATS, RATE_WINDOW_MS, requestRate } from './router-stats.js';

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

function Login(props: { onDone: () => void }) {
  const [key, setKey] = useState('');
  const [failed, setFailed] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (await logIn(key)) props.onDone();
    else setFailed(true);
  };
  return html`<section>
    <h2>Sign in</h2>
    <p>Open the link <code>berth dashboard</code> prints, or give the API key (<code>berth env</code> shows it as HEROKU_API_KEY).</p>
    <form onSubmit=${submit}>
      <label>API key <input type="password" value=${key} onInput=${(e: Event) => setKey((e.target as HTMLInputElement).value)} /></label>
      <button type="submit">Sign in</button>
      ${failed ? html`<p class="error" role="alert">Invalid credentials provided.</p>` : null}
    </form>
  </section>`;
}

function Apps(props: { onUnauthorized: () => void }) {
  const [apps, setApps] = useState<Array<App & { formation: Formation[]; release: number | undefined }> | undefined>(undefined);
  useEffect(() => {
    (async () => {
      const list = await call<App[]>('/apps');
      setApps(
        await Promise.all(
          list.map(async (app) => {
            const [formation, releases] = await Promise.all([
              call<Formation[]>(`/apps/${app.name}/formation`),
              call<Release[]>(`/apps/${app.name}/releases`, { range: 'version ..; order=desc, max=1' }),
            ]);
            return { ...app, formation, release: releases[0]?.version };
          }),
        ),
      );
    })().catch((error: unknown) => (error instanceof Unauthorized ? props.onUnauthorized() : setApps([])));
  }, []);
  if (apps === undefined) return html`<p>Loading…</p>`;
  return html`<section>
    <h2>Apps</h2>
    <table>
      <thead><tr><th>App</th><th>Release</th><th>Stack</th><th>Formation</th><th>Web URL</th></tr></thead>
      <tbody>
        ${apps.map(
          (app) => html`<tr class="app">
            <td><a href=${`#/apps/${app.name}`}>${app.name}</a></td>
            <td>${app.release === undefined ? '—' : `v${app.release}`}</td>
            <td>${app.stack.name}</td>
            <td>${app.formation.map((f) => `${f.type}=${f.quantity}:${f.size}`).join(' ')}</td>
            <td><a href=${app.web_url}>${app.web_url}</a></td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

/** The teaching controls, as buttons on each dyno's card (`berth chaos <kind>`; README "A lesson"). */
const CHAOS: ReadonlyArray<readonly [string, string]> = [
  ['crash', 'Crash'],
  ['ignore-sigterm', 'Ignore SIGTERM'],
  ['memory', 'Memory'],
  ['no-bind', 'No bind'],
  ['cycle', 'Cycle'],
  ['hang', 'Hang'],
];

const STATE_LINE = /heroku\[([\w.-]+)\]: State changed from crashed to starting/;

/** How many of a dyno's own lines its card shows. */
const CARD_LINES = 3;

/** A line without its timestamp, as it reads on a card. */
function untimed(line: string): string {
  return line.slice(line.indexOf(' ') + 1);
}

/** The card's memory: the R14 sampler's last reading against the quota (over it: R14; at the R15 threshold: killed). */
function Memory(props: { vitals: DynoVitals | undefined }) {
  const v = props.vitals;
  if (v === undefined) return null;
  const over = v.memory_mb !== null && v.memory_mb > v.memory_quota_mb;
  return html`<div class=${`memory${over ? ' over' : ''}`}>
    memory ${v.memory_mb === null ? '—' : `${v.memory_mb} MB`} of ${v.memory_quota_mb} MB${over ? ' (over quota: R14)' : ''}
    ${v.memory_mb === null
      ? null
      : html`<meter min="0" max=${v.memory_r15_mb} high=${v.memory_quota_mb} value=${v.memory_mb} aria-label=${`${v.name} memory against its quota`}></meter>`}
  </div>`;
}

function AppPage(props: { name: string; onUnauthorized: () => void }) {
  const app = props.name;
  const [dynos, setDynos] = useState<Dyno[]>([]);
  const [releases, setReleases] = useState<Release[]>([]);
  const [config, setConfig] = useState<Record<string, string>>({});
  const [revealed, setRevealed] = useState(false);
  const [lines, setLines] = useState<string[]>([]);
  const [source, setSource] = useState('');
  const [dynoFilter, setDynoFilter] = useState('');
  const [problem, setProblem] = useState('');
  const [vitals, setVitals] = useState<Record<string, DynoVitals>>({});
  const [router, setRouter] = useState(NO_ROUTER_STATS);
  const [now, setNow] = useState(Date.now());
  const [builds, setBuilds] = useState<Record<string, Build>>({});
  const [output, setOutput] = useState<{ title: string; text: string } | undefined>(undefined);
  /** The exit status the cards' "Exit with" button makes a dyno's main process leave (`berth chaos crash --exit-code`). */
  const [exitStatus, setExitStatus] = useState('1');
  const guard = (error: unknown) => (error instanceof Unauthorized ? props.onUnauthorized() : setProblem(String((error as Error).message)));

  const readVitals = () =>
    call<DynoVitals[]>(`/berth/apps/${app}/dynos`).then((list) => setVitals(Object.fromEntries(list.map((v) => [v.name, v]))), guard);
  const reload = () => {
    void readVitals();
    call<Dyno[]>(`/apps/${app}/dynos`).then(setDynos, guard);
    call<Release[]>(`/apps/${app}/releases`, { range: 'version ..; order=desc, max=10' }).then(setReleases, guard);
    call<Record<string, string>>(`/apps/${app}/config-vars`).then(setConfig, guard);
    // Each release's build (a deploy's), by release id, for the timeline's build output.
    call<Build[]>(`/apps/${app}/builds`, { range: 'created_at ..; order=desc, max=20' }).then(
      (list) => setBuilds(Object.fromEntries(list.flatMap((b) => (b.release === null ? [] : [[b.release.id, b]])))),
      guard,
    );
  };

  useEffect(() => {
    reload();
    let stream: EventSource | undefined;
    let pending: ReturnType<typeof setTimeout> | undefined;
    // The request rate decays with time, without new lines: the panel's own clock, once a second.
    const tick = setInterval(() => setNow(Date.now()), 1000);
    // `berth_vitals`: the stream carries each dyno's memory readings too, as the R14 sampler takes them.
    call<{ logplex_url: string }>(`/apps/${app}/log-sessions`, { method: 'POST', body: { tail: true, lines: 100, berth_vitals: true } }).then((session) => {
      stream = new EventSource(onThisOrigin(session.logplex_url));
      stream.addEventListener('vitals', (event: MessageEvent<string>) => {
        const reading = JSON.parse(event.data) as DynoVitals;
        setVitals((old) => ({ ...old, [reading.name]: reading }));
      });
      stream.onmessage = (event: MessageEvent<string>) => {
        setLines((old) => [...old.slice(-499), event.data]);
        setRouter((old) => countRouterLine(old, event.data, Date.now()));
        if (/ (heroku\[(?!router\])|app\[api\])/.test(event.data)) {
          clearTimeout(pending);
          pending = setTimeout(reload, 50);
        }
      };
    }, guard);
    return () => {
      stream?.close();
      clearTimeout(pending);
      clearInterval(tick);
    };
  }, [app]);

  const show = (title: string, url: string) => {
    setOutput({ title, text: '' });
    readStream(url, (text) => setOutput({ title, text })).catch(guard);
  };
  const act = (path: string, method: string, body?: unknown) => call(path, { method, ...(body === undefined ? {} : { body }) }).then(reload, guard);
  const restarts = (dyno: string) => lines.filter((line) => STATE_LINE.exec(line)?.[1] === dyno).length;
  const ownLines = (dyno: string) => lines.filter((line) => line.includes(`[${dyno}]: `)).slice(-CARD_LINES).map(untimed);
  const shown = lines.filter((line) => (source === '' || line.includes(` ${source}[`)) && (dynoFilter === '' || new RegExp(`\\[${dynoFilter.replace(/[^\w.-]/g, '')}(\\.\\d+)?\\]`).test(line)));

  // The tail follows the newest line, as `heroku logs --tail` does.
  const tail = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (tail.current) tail.current.scrollTop = tail.current.scrollHeight;
  }, [lines.length, source, dynoFilter]);

  return html`
    <section>
      <h2>${app}</h2>
      ${problem === '' ? null : html`<p class="error" role="alert">${problem}</p>`}
      <div class="dynos">
        ${dynos.map(
          (dyno) => html`<div class=${`dyno ${dyno.state}`} data-dyno=${dyno.name}>
            <div><strong>${dyno.name}</strong> <span class="state">${dyno.state}</span></div>
            <div><code>${dyno.command}</code> (${dyno.size})</div>
            <div>since ${dyno.updated_at} · restarts seen: ${restarts(dyno.name)}</div>
            <${Memory} vitals=${vitals[dyno.name]} />
            ${dyno.state === 'crashed' && vitals[dyno.name]?.cooloff_until
              ? html`<div class="cooloff">cool-off: starts again at ${vitals[dyno.name]?.cooloff_until?.slice(11, 19)} UTC</div>`
              : null}
            <pre class="dyno-log" aria-label=${`last log lines of ${dyno.name}`}>${ownLines(dyno.name).join('\n')}</pre>
            <div>
              <button onClick=${() => act(`/apps/${app}/dynos/${dyno.name}`, 'DELETE')}>Restart</button>
              ${CHAOS.map(
                ([kind, label]) => html`<button title=${`berth chaos ${kind}`} onClick=${() => act(`/berth/apps/${app}/chaos/${kind}`, 'POST', { dyno: dyno.name })}>${label}</button>`,
              )}
            </div>
            <div>
              <label>Exit status <input type="number" min="0" max="255" class="exit-status" value=${exitStatus} onInput=${(e: Event) => setExitStatus((e.target as HTMLInputElement).value)} /></label>
              <button title="berth chaos crash --exit-code" onClick=${() => act(`/berth/apps/${app}/chaos/crash`, 'POST', { dyno: dyno.name, exit_code: Number(exitStatus) })}>Exit with status</button>
            </div>
          </div>`,
        )}
      </div>
    </section>
    <section class="router">
      <h2>Router</h2>
      <p><span class="rate">${requestRate(router, now).toFixed(1)}</span> requests/s (last ${RATE_WINDOW_MS / 1000} s)</p>
      <p>Status codes: ${Object.keys(router.statuses).length === 0 ? 'none yet' : null}
        ${Object.entries(router.statuses).map(([status, n]) => html`<span class="count" data-status=${status}>${status} × ${n}</span> `)}</p>
      <p>Error codes: ${Object.keys(router.codes).length === 0 ? 'none' : null}
        ${Object.entries(router.codes).map(([code, n]) => html`<span class="count" data-code=${code}>${code} × ${n}</span> `)}</p>
      <p>
        <button title="berth chaos slow-router" onClick=${() => act(`/berth/apps/${app}/chaos/slow-router`, 'POST', { seconds: 35 })}>Slow router (35 s: H12)</button>
        <button title="berth chaos slow-router --seconds 0" onClick=${() => act(`/berth/apps/${app}/chaos/slow-router`, 'POST', { seconds: 0 })}>Router back to normal</button>
      </p>
    </section>
    <section>
      <h2>Releases</h2>
      <table>
        <tbody>
          ${releases.map(
            (release) => html`<tr class="release">
              <td>v${release.version}</td><td>${release.description}</td><td>${release.status}</td><td>${release.created_at}</td>
              <td>
                ${builds[release.id] === undefined
                  ? null
                  : html`<button onClick=${() => show(`v${release.version} build output`, (builds[release.id] as Build).output_stream_url)}>Build output</button>`}
                ${release.output_stream_url === null
                  ? null
                  : html`<button onClick=${() => show(`v${release.version} release phase output`, release.output_stream_url as string)}>Release output</button>`}
              </td>
              <td>${release.current ? html`<strong>current</strong>` : release.status === 'succeeded' ? html`<button onClick=${() => act(`/apps/${app}/releases`, 'POST', { release: release.id })}>Roll back to v${release.version}</button>` : null}</td>
            </tr>`,
          )}
        </tbody>
      </table>
      ${output === undefined
        ? null
        : html`<h3 id="output-title">${output.title}</h3><pre class="log output" tabindex="0" aria-labelledby="output-title" aria-live="polite">${output.text}</pre>`}
    </section>
    <section>
      <h2>Config vars <button onClick=${() => setRevealed(!revealed)}>${revealed ? 'Hide' : 'Reveal'}</button></h2>
      <table>
        <tbody>
          ${Object.entries(config).map(([name, value]) => html`<tr><td><code>${name}</code></td><td><code>${revealed ? value : '••••••••'}</code></td></tr>`)}
        </tbody>
      </table>
    </section>
    <section>
      <h2>Logs</h2>
      <label>Source <select value=${source} onChange=${(e: Event) => setSource((e.target as HTMLSelectElement).value)}>
        <option value="">all</option><option value="app">app</option><option value="heroku">heroku</option><option value="router">router</option>
      </select></label>
      <label> Dyno <input value=${dynoFilter} placeholder="web or web.1" onInput=${(e: Event) => setDynoFilter((e.target as HTMLInputElement).value)} /></label>
      <pre class="log" tabindex="0" aria-label="log tail" ref=${tail} aria-live="polite">${shown.slice(-200).join('\n')}</pre>
    </section>`;
}

function Dashboard() {
  const hash = useHash();
  const [signedOut, setSignedOut] = useState(false);
  const appName = /^#\/apps\/([^/]+)$/.exec(hash)?.[1];
  const out = () => setSignedOut(true);
  return html`
    <header><h1><a href="#/">Berth</a></h1>${appName === undefined ? null : html`<span>${appName}</span>`}</header>
    <main>
      ${signedOut
        ? html`<${Login} onDone=${() => location.reload()} />`
        : appName === undefined
          ? html`<${Apps} onUnauthorized=${out} />`
          : html`<${AppPage} name=${decodeURIComponent(appName)} onUnauthorized=${out} />`}
    </main>`;
}

const root = document.getElementById('root');
if (root) render(html`<${Dashboard} />`, root);
