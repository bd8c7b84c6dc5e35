// @internal The inspector page's style sheet, inlined in its HTML.
export const PAGE_CSS = `
:root{--bg:#0f1419;--panel:#161c23;--line:#263040;--fg:#d8dee9;--dim:#7b8794;--acc:#4fb3ff;
--ok:#4cc38a;--wf-h:clamp(150px,22vh,240px);--warn:#f5a524;--bad:#f0616d;--busy:#c586ff;font:13px/1.35 ui-sans-serif,system-ui,sans-serif}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg)}
header{display:flex;gap:10px;align-items:center;padding:8px 12px;border-bottom:1px solid var(--line);flex-wrap:wrap}
header h1{font-size:15px;margin:0 8px 0 0}header .src{color:var(--dim)}
button,select,input{background:var(--panel);color:var(--fg);border:1px solid var(--line);border-radius:4px;padding:3px 7px;font:inherit}
button:hover{border-color:var(--acc)}button.on{background:var(--acc);color:#000}
#scrubber{flex:1;min-width:240px;accent-color:var(--acc)}
#seq{font-family:ui-monospace,monospace;min-width:150px}
.status{padding:2px 6px;border-radius:3px;background:var(--panel);border:1px solid var(--line)}
.status.live{color:var(--ok)}.status.past{color:var(--warn)}
main{display:grid;grid-template-columns:minmax(420px,45%) 1fr;gap:10px;padding:10px;height:calc(100vh - 185px - var(--wf-h))}
section{background:var(--panel);border:1px solid var(--line);border-radius:6px;display:flex;flex-direction:column;min-height:0}
section h2{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--dim);margin:0;padding:6px 10px;border-bottom:1px solid var(--line);display:flex;gap:8px;align-items:center}
.col{display:flex;flex-direction:column;gap:10px;min-height:0}
table{border-collapse:collapse;width:100%}td,th{padding:3px 8px;text-align:left;white-space:nowrap;border-bottom:1px solid var(--line)}
th{color:var(--dim);font-weight:500;font-size:12px}
tr.sel,.row.sel{background:#1f3147}tr[data-gen]{cursor:pointer}
.mono,td.mono{font-family:ui-monospace,monospace;font-size:12px}
.st-started,.st-classified,.st-prepared,.busy{color:var(--busy)}.st-finished{color:var(--dim)}
.o-completed{color:var(--ok)}.o-failed,.o-timed_out{color:var(--bad)}.o-blocked,.o-cancelled,.o-unknown{color:var(--warn)}
.grace{color:var(--warn)}.idle{color:var(--ok)}.gone{color:var(--dim)}
.vlist{position:relative;overflow:auto;flex:1;min-height:0}.vlist .spacer{position:absolute;left:0;top:0;width:1px}
.row{position:absolute;left:0;right:0;height:22px;line-height:22px;padding:0 8px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;cursor:pointer;font-family:ui-monospace,monospace;font-size:12px}
.row:hover{background:#1a2430}.row .t{color:var(--dim);white-space:pre}.row .ty{display:inline-block;width:130px;color:var(--acc)}
.row.after{opacity:.35}
.ent{display:grid;grid-template-columns:70px 80px 110px 90px 70px 1fr;gap:6px}
#filters{display:flex;gap:6px;padding:6px;border-bottom:1px solid var(--line);flex-wrap:wrap}
#filters input{flex:1;min-width:100px}
#detail{margin:0;padding:8px;overflow:auto;max-height:220px;font:12px ui-monospace,monospace;border-top:1px solid var(--line);white-space:pre-wrap}
#chart{width:100%;height:70px;display:block}
#waterfall-section{position:relative;margin:10px 10px 0;height:var(--wf-h)}#waterfall-scroll{flex:1;min-height:0;overflow-y:auto;overflow-x:hidden}
#waterfall{position:sticky;top:0;display:block;width:100%;height:100%;cursor:crosshair}
.wf-legend{display:flex;gap:8px;text-transform:none;letter-spacing:0;font-weight:400}.wf-key i{display:inline-block;width:9px;height:9px;border-radius:2px;margin-right:3px;vertical-align:-1px}
.wf-hint{margin-left:auto;text-transform:none;letter-spacing:0;font-weight:400}
.wf-tip{position:absolute;z-index:5;pointer-events:none;background:var(--bg);color:var(--fg);border:1px solid var(--line);border-radius:4px;padding:5px 8px;font:12px ui-monospace,monospace;max-width:260px;overflow-wrap:anywhere}.wf-tip b{color:var(--dim);font-weight:400}
#diagram svg{width:100%;height:130px}#diagram{min-height:140px}
.banner{background:#3a2a10;color:var(--warn);padding:4px 12px}
.drop{outline:3px dashed var(--acc);outline-offset:-6px}
.hint{color:var(--dim);padding:6px 10px}
section[hidden]{display:none}
.row .host{display:inline-block;min-width:80px;color:var(--warn)}td.host{color:var(--warn)}.fleet .ent{grid-template-columns:130px 80px 110px 90px 70px 1fr}#fleet tr[data-host]{cursor:pointer}
.inv-hint{text-transform:none;letter-spacing:0;font-weight:400}
.inv-up .inv-state{color:var(--ok)}.inv-connecting .inv-state{color:var(--busy)}.inv-down .inv-state,.inv-exited .inv-state{color:var(--bad)}
.inv-notice{color:var(--warn)}#inventory td{vertical-align:top;white-space:normal;overflow-wrap:anywhere}#inventory td:is(.inv-name,.inv-catalog,.inv-notice){white-space:nowrap}#inventory ul{margin:2px 0;padding-left:16px}
.inv-stderr pre{margin:0;max-height:90px;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere;font:11px ui-monospace,monospace;color:var(--dim)}
`;
