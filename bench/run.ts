// Runs the benchmarks: `npm run bench [-- NAME…] [-- --json]`.
import { parseArgs } from 'node:util';

import type { Bench } from './harness.js';
import { lifecycle } from './lifecycle.js';
import { memory } from './memory.js';

const benches: readonly Bench[] = [lifecycle, memory];

function main(): number {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { json: { type: 'boolean' } } });
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    return 2;
  }
  const names = parsed.positionals;
  const unknown = names.filter((name) => !benches.some((bench) => bench.name === name));
  if (unknown.length > 0) {
    console.error(
      `bench: no benchmark named ${unknown.join(', ')} (have: ${benches.map((b) => b.name).join(', ')})`,
    );
    return 2;
  }
  const chosen = names.length ? benches.filter((bench) => names.includes(bench.name)) : benches;
  return chosen.reduce(
    (code, bench) => Math.max(code, runOne(bench, parsed.values.json === true)),
    0,
  );
}

function runOne(bench: Bench, json: boolean): number {
  console.log(`# ${bench.name}: ${bench.description}`);
  const metrics = bench.run((line) => console.log(`  ${line}`));
  if (metrics instanceof Promise) throw new Error('async benches are awaited by a later runner');
  if (json) {
    for (const m of metrics) console.log(JSON.stringify({ bench: bench.name, ...m }));
  }
  return 0;
}

process.exitCode = main();
