/// <reference lib="dom" />
// @internal In flight over time, grace windows shaded, the cursor marked.
import type { EventLog } from './eventLog.js';

/** Draw the whole log's in-flight series on `canvas`; `count` events are before the cursor. */
export function drawChart(
  canvas: HTMLCanvasElement,
  log: EventLog,
  count: number,
  graceMs: number,
): void {
  const width = (canvas.width = canvas.clientWidth || 600);
  const height = (canvas.height = canvas.clientHeight || 70);
  const g = canvas.getContext('2d');
  if (!g) return;
  g.clearRect(0, 0, width, height);
  const events = log.events;
  if (events.length === 0) return;
  const t0 = events[0]!.at;
  const span = Math.max(1, events[events.length - 1]!.at - t0);
  const x = (at: number) => ((at - t0) / span) * (width - 2) + 1;
  let max = 1;
  for (const value of log.inFlight) if (value > max) max = value;
  const y = (value: number) => height - 4 - (value / max) * (height - 10);

  // Grace windows: from each return to zero in flight, for graceMs or until the next start.
  g.fillStyle = 'rgba(245,165,36,0.18)';
  for (let i = 1; i < events.length; i++) {
    if (log.inFlight[i] === 0 && log.inFlight[i - 1]! > 0) {
      const start = events[i]!.at;
      let end = start + graceMs;
      for (let j = i + 1; j < events.length && events[j]!.at < end; j++) {
        if (log.inFlight[j]! > 0) {
          end = events[j]!.at;
          break;
        }
      }
      g.fillRect(x(start), 0, Math.max(1, x(end) - x(start)), height);
    }
  }
  // The series as steps, at most one segment per pixel column.
  g.strokeStyle = '#c586ff';
  g.lineWidth = 1.5;
  g.beginPath();
  let lastX = -1;
  let lastY = y(0);
  g.moveTo(1, lastY);
  for (let i = 0; i < events.length; i++) {
    const px = Math.round(x(events[i]!.at));
    const py = y(log.inFlight[i]!);
    if (px === lastX && py <= lastY) continue;
    g.lineTo(px, lastY);
    g.lineTo(px, py);
    lastX = px;
    lastY = py;
  }
  g.lineTo(width, lastY);
  g.stroke();
  const cursor = events[Math.max(0, count - 1)];
  if (cursor) {
    g.fillStyle = '#4fb3ff';
    g.fillRect(Math.round(x(cursor.at)), 0, 2, height);
  }
  g.fillStyle = '#7b8794';
  g.font = '11px sans-serif';
  g.fillText(`in flight (max ${max})`, 6, 12);
}
