#!/usr/bin/env node
// Fails when the committed dist/ is stale against src/: compiles src/ into a temp
// folder with the package's own tsconfig and compares every file, both ways.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = await mkdtemp(join(tmpdir(), 'natter-sdk-dist-'));

async function list(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await list(p)));
    else out.push(p);
  }
  return out;
}

try {
  const tsc = join(pkg, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.json'), '--outDir', tmp], { cwd: pkg, stdio: 'inherit' });
  const fresh = (await list(tmp)).map((p) => relative(tmp, p)).sort();
  const have = (await list(join(pkg, 'dist'))).map((p) => relative(join(pkg, 'dist'), p)).sort();
  const problems = [];
  for (const f of fresh) {
    if (!have.includes(f)) problems.push(`missing dist/${f}`);
    else if ((await readFile(join(tmp, f), 'utf8')) !== (await readFile(join(pkg, 'dist', f), 'utf8'))) problems.push(`stale dist/${f}`);
  }
  for (const f of have) if (!fresh.includes(f)) problems.push(`extra dist/${f} (no source)`);
  if (problems.length) {
    console.error(`dist/ is stale against src/:\n  ${problems.join('\n  ')}\nrun \`npm run build\` in sdk/ts and commit dist/`);
    process.exit(1);
  }
  console.log(`dist/ is up to date (${fresh.length} files)`);
} finally {
  await rm(tmp, { recursive: true, force: true });
}
