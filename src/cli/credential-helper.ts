#!/usr/bin/env node
// The git credential helper `berth git:remote` installs: a small entry point (no commander, no daemon modules), so
// each git request pays only a bare node start. Usage (git appends the operation): credential-helper.js --host H get
import { loadSettings } from '../settings.js';
import { credentialsCommand } from './git-remote.js';

const args = process.argv.slice(2);
const hostAt = args.indexOf('--host');
const host = hostAt === -1 ? undefined : args[hostAt + 1];
const operation = args.filter((_, i) => i !== hostAt && i !== hostAt + 1)[0] ?? 'get';
const chunks: Buffer[] = [];
if (!process.stdin.isTTY) for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
process.stdout.write(await credentialsCommand(loadSettings(), operation, Buffer.concat(chunks).toString('utf8'), host));
