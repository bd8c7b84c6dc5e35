import { maskText } from '../dist/src/index.js';
import { median, type Bench } from './harness.js';

// The shapes that made an earlier draft of the rules quadratic, each repeated to a size.
const SHAPES = ['a:', 'a://', 'http://u:', 'token="', 'x=token=', 'Bearer ', '--token ', 'a.'];
const ROUNDS = 5;

/** CPU µs per KiB to mask every shape at `size` characters. */
function costPerKib(size: number): number {
  const texts = SHAPES.map((shape) => shape.repeat(Math.ceil(size / shape.length)));
  const start = process.cpuUsage();
  for (const text of texts) maskText(text);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / ((texts.length * size) / 1024);
}

const mask: Bench = {
  name: 'mask',
  description: 'maskText on hostile strings: cost per KiB at 1 MiB vs at 64 KiB (linear is 1x)',
  run(log) {
    costPerKib(1 << 16);
    const small: number[] = [];
    const large: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      small.push(costPerKib(1 << 16));
      large.push(costPerKib(1 << 20));
    }
    const ratio = median(large) / median(small);
    log(`64 KiB  ${median(small).toFixed(1)} µs/KiB`);
    log(`1 MiB   ${median(large).toFixed(1)} µs/KiB`);
    log(`ratio   ${ratio.toFixed(2)}x (target <= 2: linear)`);
    return [
      {
        metric: 'linear_ratio_1m_vs_64k',
        value: Math.round(ratio * 100) / 100,
        unit: 'x',
        target: '<= 2',
      },
    ];
  },
};

export default mask;
