// Semver questions answered by node-semver as bundled inside npm (never hand-rolled).
//   semver.js NPM_DIR valid V           exit 0 when V is one exact version
//   semver.js NPM_DIR satisfies V RANGE exit 0 when V satisfies RANGE
//   semver.js NPM_DIR pick < view.json  prints "version<TAB>tarball<TAB>shasum" of the highest
//                                       version in `npm view NAME@RANGE version dist.tarball dist.shasum --json`
'use strict';
const path = require('path');
const [npmDir, op, a, b] = process.argv.slice(2);
const semver = require(path.join(npmDir, 'node_modules', 'semver'));

if (op === 'valid') process.exit(semver.valid(a) ? 0 : 1);
if (op === 'satisfies') process.exit(semver.satisfies(a, b) ? 0 : 1);
if (op === 'pick') {
  let input = '';
  process.stdin.on('data', (c) => (input += c));
  process.stdin.on('end', () => {
    const text = input.trim();
    if (!text) process.exit(1);
    const parsed = JSON.parse(text);
    const rows = (Array.isArray(parsed) ? parsed : [parsed]).filter((r) => r && semver.valid(r.version));
    if (rows.length === 0) process.exit(1);
    rows.sort((x, y) => semver.rcompare(x.version, y.version));
    const top = rows[0];
    process.stdout.write([top.version, top['dist.tarball'] || '', top['dist.shasum'] || ''].join('\t') + '\n');
  });
} else if (!['valid', 'satisfies'].includes(op)) {
  process.stderr.write(`unknown operation ${op}\n`);
  process.exit(2);
}
