// @internal The page's markup; every view fills its own element.
import { FIND_CONTROLS } from './find.js';

export const LAYOUT = `
<header>
  <h1>toolflight inspector</h1><span class="src" id="source"></span>
  <span class="status" id="status">connecting…</span>
  <label>grace <input id="grace" type="number" min="0" step="50" value="250" style="width:70px"> ms</label>
  <label><input id="file" type="file" accept=".jsonl,application/x-ndjson,application/json"></label>
  <button id="export" title="download the stream as .jsonl">export .jsonl</button>
  <button id="help-open" title="keyboard shortcuts (?)" aria-haspopup="dialog" aria-label="keyboard shortcuts">?</button>
</header>
<header>
  <button id="step-back" title="previous event (←)">◀</button>
  <button id="play" title="play from here">▶ play</button>
  <button id="step-fwd" title="next event (→)">▶|</button>
  <input id="scrubber" type="range" min="0" max="0" value="0" step="1" aria-label="time travel over seq">
  <span id="seq">seq 0 / 0</span><span id="held" class="hint"></span>
  <button id="live" class="on" title="follow new events">● live</button>
</header>
<div id="banner"></div>
<canvas id="chart"></canvas>
<section id="waterfall-section"><h2>waterfall <span class="wf-legend" id="waterfall-legend"></span><span class="wf-hint">wheel: zoom · drag: pan · double-click: reset</span></h2>
  <div id="waterfall-scroll"><canvas id="waterfall"></canvas></div></section>
<main>
  <div class="col">
    <section style="flex:0 0 auto;max-height:30%"><h2>captures</h2>
      <div style="overflow:auto"><table id="captures"><thead><tr><th>key</th><th>gen</th><th>in flight</th><th>activity</th><th>idle</th></tr></thead>
      <tbody id="captures-body"></tbody></table></div></section>
    <section style="flex:1"><h2 id="entities-title">entities</h2>
      <div class="row ent" style="position:static;color:var(--dim)"><span>id</span><span>state</span><span>name</span><span>outcome</span><span>duration</span><span>args</span></div>
      <div id="entities"></div></section>
    <section id="outbox-section" style="flex:0 0 auto;max-height:25%" hidden><h2>outbox <span id="outbox-counts"></span></h2>
      <div style="overflow:auto"><table id="outbox"><thead><tr><th>idempotency key</th><th>tool</th><th>state</th></tr></thead>
      <tbody id="outbox-body"></tbody></table></div></section>
    <section id="inventory-section" style="flex:0 0 auto;max-height:30%" hidden><h2>inventory <span id="inventory-counts"></span><span id="inventory-hint" class="inv-hint"></span></h2>
      <div style="overflow:auto"><table id="inventory"><thead><tr><th>server</th><th>state</th><th>catalog</th><th>notice</th><th>tools</th></tr></thead>
      <tbody id="inventory-body"></tbody></table></div></section>
    <section style="flex:0 0 auto"><h2 id="diagram-title">machine</h2><div id="diagram"></div></section>
  </div>
  <section><h2>timeline <span id="timeline-count"></span></h2>
    <div id="filters">
      <select id="filter-type"><option value="">every type</option></select>
      <select id="filter-capture"><option value="">every capture</option></select>
      <select id="filter-tool"><option value="">every tool</option></select>
      <input id="search" type="search" placeholder="search events…">${FIND_CONTROLS}
    </div>
    <div id="timeline"></div>
    <pre id="detail">select an event to see its JSON (secret-looking argument values are masked)</pre>
  </section>
</main>
`;
