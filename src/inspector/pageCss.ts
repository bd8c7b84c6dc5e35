// @internal The inspector page's style sheet, inlined in its HTML.
export const PAGE_CSS = `
:root{color-scheme:light dark;font:13px/1.35 ui-sans-serif,system-ui,sans-serif;
--bg:#0f1419;--panel:#161c23;--line:#263040;--fg:#d8dee9;--dim:#98a4b0;--acc:#4fb3ff;--on-acc:#000;
--ok:#4cc38a;--warn:#f5a524;--bad:#f0616d;--busy:#c586ff;--sel:#1f3147;--hover:#1a2430;--banner:#3a2a10;
--wf-h:clamp(150px,22vh,240px);
--node:#1c2530;--edge:#52606d;--label:#9aa5b1;--grace:rgba(245,165,36,.18);--backdrop:rgba(0,0,0,.55)}
@media (prefers-color-scheme: light){:root{--bg:#f6f8fa;--panel:#fff;--line:#d0d7de;--fg:#1f2328;--dim:#59636e;
--acc:#0969da;--on-acc:#fff;--ok:#116329;--warn:#7d4e00;--bad:#cf222e;--busy:#6f42c1;--sel:#ddf4ff;--hover:#eef2f6;
--banner:#fff8c5;--node:#f6f8fa;--edge:#8c959f;--label:#59636e;--grace:rgba(191,135,0,.16);--backdrop:rgba(31,35,40,.4)}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg)}
header{display:flex;gap:10px;align-items:center;padding:8px 12px;border-bottom:1px solid var(--line);flex-wrap:wrap}
header h1{font-size:15px;margin:0 8px 0 0}header .src{color:var(--dim)}
button,select,input{background:var(--panel);color:var(--fg);border:1px solid var(--line);border-radius:4px;padding:3px 7px;font:inherit}
button:hover{border-color:var(--acc)}button.on{background:var(--acc);color:var(--on-acc);border-color:var(--acc)}
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
tr.sel,.row.sel{background:var(--sel)}tr[data-gen]{cursor:pointer}
.mono,td.mono{font-family:ui-monospace,monospace;font-size:12px}
.st-started,.st-classified,.st-prepared,.busy{color:var(--busy)}.st-finished{color:var(--dim)}
.o-completed{color:var(--ok)}.o-failed,.o-timed_out{color:var(--bad)}.o-blocked,.o-cancelled,.o-unknown{color:var(--warn)}
.grace{color:var(--warn)}.idle{color:var(--ok)}.gone{color:var(--dim)}
.vlist{position:relative;overflow:auto;flex:1;min-height:0}.vlist .spacer{position:absolute;left:0;top:0;width:1px}
.row{position:absolute;left:0;right:0;height:22px;line-height:22px;padding:0 8px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;cursor:pointer;font-family:ui-monospace,monospace;font-size:12px}
.row:hover{background:var(--hover)}.row .t{color:var(--dim);white-space:pre}.row .ty{display:inline-block;width:140px;color:var(--acc)}
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
.banner{background:var(--banner);color:var(--warn);padding:4px 12px}
.drop{outline:3px dashed var(--acc);outline-offset:-6px}
.hint{color:var(--dim);padding:6px 10px}
section[hidden]{display:none}
#help-open{margin-left:auto;min-width:28px;font-weight:600}
:focus-visible{outline:2px solid var(--acc);outline-offset:1px}
#help{background:var(--panel);color:var(--fg);border:1px solid var(--line);border-radius:8px;padding:0;max-width:min(460px,calc(100vw - 32px))}
#help::backdrop{background:var(--backdrop)}
#help .help-body{padding:12px 16px}#help h2{font-size:14px;margin:0 0 8px}#help td{border:0;padding:2px 8px 2px 0;white-space:normal}
kbd{font:12px ui-monospace,monospace;background:var(--bg);border:1px solid var(--line);border-radius:3px;padding:1px 5px}
#help .hint{padding:8px 0}
.row .host{display:inline-block;min-width:80px;color:var(--warn)}td.host{color:var(--warn)}.fleet .ent{grid-template-columns:130px 80px 110px 90px 70px 1fr}#fleet tr[data-host]{cursor:pointer}
.inv-hint{text-transform:none;letter-spacing:0;font-weight:400}
.inv-up .inv-state{color:var(--ok)}.inv-connecting .inv-state{color:var(--busy)}.inv-down .inv-state,.inv-exited .inv-state{color:var(--bad)}
.inv-notice{color:var(--warn)}#inventory td{vertical-align:top;white-space:normal;overflow-wrap:anywhere}#inventory td:is(.inv-name,.inv-catalog,.inv-notice){white-space:nowrap}#inventory ul{margin:2px 0;padding-left:16px}
.inv-stderr pre{margin:0;max-height:90px;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere;font:11px ui-monospace,monospace;color:var(--dim)}
`;
