// The committed generated types and dist/ must match what the documents and src/ give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function run(script, args = []) {
  const r = spawnSync(process.execPath, [join(pkg, 'scripts', script), ...args], { cwd: pkg, encoding: 'utf8', timeout: 90000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('src/generated/ is up to date with /v1/openapi.json and docs/asyncapi.yaml', () => {
  const r = run('gen.mjs', ['--check']);
  assert.equal(r.code, 0, r.out);
});

test('dist/ is up to date with src/', () => {
  const r = run('check-dist.mjs');
  assert.equal(r.code, 0, r.out);
});
