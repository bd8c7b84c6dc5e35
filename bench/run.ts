// Runs the benchmarks: `npm run bench [-- NAME…] [-- --json]`.
// Every bench/<name>.bench.ts default-exports one Bench; they run in name order.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import type { Bench } from './harness.js';

async function loadBenches(): Promise<Bench[]> {
  const files = (await readdir(import.meta.dirname)).filter((f) => f.endsWith('.bench.ts')).sort();
  const benches: Bench[] = [];
  for (const file of files) {
    const module = (await import(`./${file}`)) as { default: Bench };
    benches.push(module.default);
  }
  return benches;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { json: { type: 'boolean' } } });
  } catch (error) {
    console.error(`bench: ${(error as Error).message} (usage: npm run bench [-- NAME…] [--json])`);
    return 2;
  }
  const benches = await loadBenches();
  const names = parsed.positionals;
  const unknown = names.filter((name) => !benches.some((bench) => bench.name === name));
  if (unknown.length > 0) {
    console.error(
      `bench: no benchmark named ${unknown.join(', ')} (have: ${benches.map((b) => b.name).join(', ')})`,
    );
    return 2;
  }
  const chosen = names.length ? benches.filter((bench) => names.includes(bench.name)) : benches;
  if (chosen.length > 1) {
    // One process per bench: a bench's leftover heap, JIT state and child processes must not
    // skew the next one (a shared process made the lifecycle ratio read 60% worse).
    let worst = 0;
    for (const bench of chosen) {
      const args = [...process.execArgv, fileURLToPath(import.meta.url), bench.name];
      if (parsed.values.json === true) args.push('--json');
      const child = spawn(process.execPath, args, { stdio: 'inherit' });
      const [code] = (await once(child, 'exit')) as [number | null];
      worst = Math.max(worst, code ?? 1);
    }
    return worst;
  }
  for (const bench of chosen) {
    console.log(`# ${bench.name}: ${bench.description}`);
    const metrics = await bench.run((line) => console.log(`  ${line}`));
    if (parsed.values.json === true) {
      for (const m of metrics) console.log(JSON.stringify({ bench: bench.name, ...m }));
    }
  }
  return 0;
}

process.exitCode = await main();
