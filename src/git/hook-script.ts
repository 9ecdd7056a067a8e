// The pre-receive hook installed in every repo (as CommonJS, run by the daemon's own node). The pushed objects are
// quarantined until it exits, so the hook itself archives the new commit and streams it to the daemon, which builds
// it and streams the output back; git shows what the hook prints as `remote:` lines, and a non-zero exit declines
// the push. It is authorised by the per-push token the daemon put in the CGI environment (never the API key), sent
// over TLS to the daemon's HTTPS listener, verified against the local CA.
// The same script is the post-receive hook (argument `post-receive`): git runs it once the refs are updated, with
// the updates it made, so what must follow an accepted update (a deleted branch's review app going) happens there.

export const HOOK_SCRIPT = String.raw`'use strict';
// Installed by Berth; rewritten whenever the daemon touches this repo. Do not edit.
const { spawn, spawnSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const http = require('node:http');
const https = require('node:https');

const base = process.env.BERTH_PUSH_URL;
const token = process.env.BERTH_PUSH_TOKEN;
const ca = process.env.BERTH_PUSH_CA ? readFileSync(process.env.BERTH_PUSH_CA) : undefined;

function say(lines) {
  for (const line of lines) process.stdout.write(line + '\n');
}

function request(path, headers, body) {
  const url = new URL(base + path);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const options = { method: 'POST', headers: Object.assign({ 'x-berth-push-token': token }, headers) };
    if (url.protocol === 'https:' && ca) options.ca = ca;
    const req = client.request(url, options, resolve);
    req.on('error', reject);
    if (typeof body === 'string') req.end(body);
    else body(req);
  });
}

function readAll(stream) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

// After the refs moved: the daemon does what waited for them; what it says is shown, and nothing here can refuse.
async function received(input) {
  if (!base || !token) return 0;
  const answered = await request('/received', { 'content-type': 'text/plain' }, input);
  const text = await readAll(answered);
  if (answered.statusCode !== 200) {
    say([' !     The Berth daemon answered ' + answered.statusCode + ' after the push: ' + text.trim()]);
    return 0;
  }
  say(JSON.parse(text).lines);
  return 0;
}

async function main() {
  const input = await readAll(process.stdin);
  if (process.argv[2] === 'post-receive') return received(input);
  if (!base || !token) {
    say([' !     This repository deploys only through the Berth daemon (git push over its HTTP(S) endpoint).']);
    return 1;
  }
  const planned = await request('/plan', { 'content-type': 'text/plain' }, input);
  const planText = await readAll(planned);
  if (planned.statusCode !== 200) {
    say([' !     Push failed: the Berth daemon answered ' + planned.statusCode + ': ' + planText.trim()]);
    return 1;
  }
  const plan = JSON.parse(planText);
  say(plan.lines);
  if (!plan.ok) return 1;
  if (!plan.archive) return 0;

  // The commit's subject, for a test run's commit_message (percent-encoded: a header holds no newline or non-ASCII).
  const subject = spawnSync('git', ['log', '-1', '--format=%s', plan.archive], { encoding: 'utf8' }).stdout || '';
  const git = spawn('git', ['archive', '--format=tar.gz', plan.archive], { stdio: ['ignore', 'pipe', 'pipe'] });
  let gitError = '';
  git.stderr.on('data', (c) => (gitError += c));
  const gitDone = new Promise((resolve) => git.on('close', (code) => resolve(code)));
  const headers = { 'content-type': 'application/gzip', 'transfer-encoding': 'chunked', 'x-berth-commit-subject': encodeURIComponent(subject.trim()) };
  const response = await request('/source', headers, (req) => {
    git.stdout.pipe(req);
  });
  response.on('data', (chunk) => process.stdout.write(chunk));
  await new Promise((resolve, reject) => {
    response.on('end', resolve);
    response.on('error', reject);
  });
  const archived = await gitDone;
  if (archived !== 0) {
    say([' !     git archive failed: ' + gitError.trim()]);
    return 1;
  }
  return response.statusCode === 200 && response.trailers['x-berth-result'] === 'succeeded' ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    say([' !     Push failed: ' + (error && error.message ? error.message : String(error))]);
    process.exitCode = 1;
  },
);
`;
