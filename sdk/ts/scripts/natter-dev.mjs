// Starts a private `natter dev` (temp data folder, free ports) and stops it with its
// nats-server, also when the calling process dies first. Used by `npm run gen` (to
// read /v1/openapi.json), by the SDK's tests and by the web app's browser tests
// (tests/browser/lib/server.js). Can crash it and restart it on the same data folder
// and port.

import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..', '..');

const alive = new Set(); // pids to kill if this process dies first
function killAll() {
  for (const pid of alive) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    killAll();
    process.exit(128 + { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[sig]);
  });
}

function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const t = setTimeout(() => res(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      res(true);
    });
  });
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function killPid(pid, signal = 'SIGTERM', ms = 3000) {
  if (!pidAlive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && pidAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  if (pidAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

async function natsPid(dataDir) {
  try {
    const files = await readdir(join(dataDir, 'nats', 'ports'));
    const m = files.map((f) => /nats-server_(\d+)\.ports$/.exec(f)).find(Boolean);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** A free TCP port on 127.0.0.1 (so a restart can listen on the same address). */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/**
 * Starts `target/debug/natter dev` on a temp data folder and a fixed free port
 * (`--group-add-policy everyone`: tests group users who never messaged each other).
 * Resolves with { url, dataDir, port, log, stop(), crash(), restart() } once it printed
 * its HTTP address; `NATTER_KEEP_TEST_DIR=1` keeps the folder and log at `stop()`.
 * `crash()` SIGKILLs natter dev and its nats-server (data folder kept);
 * `restart()` starts it again on the same folder and port.
 */
export async function startNatter({ timeoutMs = 60000, extraArgs = [], tmpPrefix = 'natter-sdk-' } = {}) {
  const realNats = process.env.NATTER_NATS_SERVER;
  if (!realNats) throw new Error('NATTER_NATS_SERVER is not set (run ./scripts/sdk-test or ./scripts/browser-test, or export it from ./scripts/ensure-nats-server)');
  const bin = process.env.NATTER_BIN || join(repoRoot, 'target', 'debug', 'natter');
  const dataDir = await mkdtemp(join(tmpdir(), tmpPrefix));
  const port = await freePort();
  const log = [];
  let child = null;
  let nats = null;

  const launch = async () => {
    const args = ['dev', '--data', dataDir, '--listen', `127.0.0.1:${port}`, '--nats-port', '0', '--group-add-policy', 'everyone', ...extraArgs];
    child = spawn(bin, args, {
      cwd: repoRoot,
      env: { ...process.env, NATTER_NATS_SERVER: realNats, RUST_LOG: process.env.RUST_LOG || 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    alive.add(child.pid);
    const c = child;
    const url = await new Promise((res, rej) => {
      let out = '';
      const timer = setTimeout(() => rej(new Error(`natter dev printed no HTTP address in ${timeoutMs} ms:\n${log.join('')}`)), timeoutMs);
      c.stdout.on('data', (chunk) => {
        const s = chunk.toString();
        log.push(s);
        out += s;
        const m = /HTTP:\s+(http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          res(m[1].replace(/\/$/, ''));
        }
      });
      c.stderr.on('data', (chunk) => log.push(chunk.toString()));
      c.once('exit', (code, sig) => {
        clearTimeout(timer);
        rej(new Error(`natter dev exited (${code ?? sig}) before it was ready:\n${log.join('')}`));
      });
      c.once('error', (e) => {
        clearTimeout(timer);
        rej(e);
      });
    });
    nats = await natsPid(dataDir);
    if (nats) alive.add(nats);
    return url;
  };

  const halt = async (signal) => {
    nats = nats ?? (await natsPid(dataDir));
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      if (!(await waitExit(child, 8000))) {
        child.kill('SIGKILL');
        await waitExit(child, 3000);
      }
    }
    if (child) alive.delete(child.pid);
    if (nats) {
      await killPid(nats, signal);
      alive.delete(nats);
      nats = null;
    }
    // A new nats-server writes its own ports file; drop the old one.
    await rm(join(dataDir, 'nats', 'ports'), { recursive: true, force: true });
  };

  const stop = async () => {
    await halt('SIGTERM');
    if (process.env.NATTER_KEEP_TEST_DIR) {
      await writeFile(join(dataDir, 'natter-dev.log'), log.join(''));
      console.log(`# kept ${dataDir}`);
    } else {
      await rm(dataDir, { recursive: true, force: true });
    }
  };

  const server = { url: '', dataDir, port, log, stop };
  server.crash = () => halt('SIGKILL');
  server.restart = async () => {
    server.url = await launch();
    return server.url;
  };
  try {
    server.url = await launch();
  } catch (e) {
    await stop();
    throw e;
  }
  return server;
}
