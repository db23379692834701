// Starts a private `natter dev` (temp data folder, free ports) and stops it, with
// its nats-server, when the tests end — pass or fail.

import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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
    process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[sig]);
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

async function killPid(pid, ms = 3000) {
  if (!pidAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
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

/** The nats-server's pid, from the ports file it writes (nats-server_<pid>.ports). */
async function natsPid(dataDir) {
  try {
    const files = await readdir(join(dataDir, 'nats', 'ports'));
    const m = files.map((f) => /nats-server_(\d+)\.ports$/.exec(f)).find(Boolean);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Starts `target/debug/natter dev --data <tmp> --listen 127.0.0.1:0 --nats-port 0`.
 * Resolves with { url, dataDir, stop() } once it printed "HTTP: http://…".
 */
export async function startNatter({ timeoutMs = 60000 } = {}) {
  const realNats = process.env.NATTER_NATS_SERVER;
  if (!realNats) throw new Error('NATTER_NATS_SERVER is not set (run ./scripts/browser-test)');
  const bin = join(repoRoot, 'target', 'debug', 'natter');
  const dataDir = await mkdtemp(join(tmpdir(), 'natter-browser-'));
  const log = [];
  // These tests make groups of users who never messaged each other; the default
  // group-add policy (contacts only) is tested in tests/tests/groups.rs.
  const args = ['dev', '--data', dataDir, '--listen', '127.0.0.1:0', '--nats-port', '0', '--group-add-policy', 'everyone'];
  const child = spawn(bin, args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      NATTER_NATS_SERVER: realNats,
      RUST_LOG: process.env.RUST_LOG || 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  alive.add(child.pid);
  let nats = null;

  const stop = async () => {
    nats = nats ?? (await natsPid(dataDir));
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitExit(child, 8000))) {
        child.kill('SIGKILL');
        await waitExit(child, 3000);
      }
    }
    alive.delete(child.pid);
    // `natter dev` stops its nats-server when it exits; make sure of it.
    if (nats) {
      await killPid(nats);
      alive.delete(nats);
    }
    if (process.env.NATTER_KEEP_TEST_DIR) {
      await writeFile(join(dataDir, 'natter-dev.log'), log.join(''));
      console.log(`# kept ${dataDir}`);
    } else {
      await rm(dataDir, { recursive: true, force: true });
    }
  };

  try {
    const url = await new Promise((res, rej) => {
      let out = '';
      const timer = setTimeout(() => rej(new Error(`natter dev printed no HTTP address in ${timeoutMs} ms:\n${log.join('')}`)), timeoutMs);
      const onData = (chunk) => {
        const s = chunk.toString();
        log.push(s);
        out += s;
        const m = /HTTP:\s+(http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          res(m[1].replace(/\/$/, ''));
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (c) => log.push(c.toString()));
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        rej(new Error(`natter dev exited (${code ?? sig}) before it was ready:\n${log.join('')}`));
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        rej(e);
      });
    });
    nats = await natsPid(dataDir);
    if (nats) alive.add(nats);
    return { url, dataDir, stop, log };
  } catch (e) {
    await stop();
    throw e;
  }
}
