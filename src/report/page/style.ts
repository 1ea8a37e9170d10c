/** The review sheet's stylesheet, inlined in the page (no external fonts or files). */
export const PAGE_STYLE = `
:root{--bg:#eef0f3;--panel:#fff;--line:#dfe2e6;--line2:#eceef1;--ink:#1c2128;--ink2:#5c6570;--ink3:#656d76;
--acc:#2f6feb;--tile:168px;--thumb:104px;
font:12.5px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);}
*{box-sizing:border-box}
body{margin:0;background:var(--bg)}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
header.top{position:sticky;top:0;z-index:5;background:var(--panel);border-bottom:1px solid var(--line);
padding:10px 16px;display:flex;flex-wrap:wrap;align-items:center;gap:6px 16px}
header.top.tall{position:relative}
.top ul,#note{max-height:30vh;overflow:auto}
.top h1{font-size:15px;margin:0;font-weight:650;letter-spacing:-.01em}
.top .file{color:var(--ink2)}
.top .counts{display:flex;gap:6px;flex-wrap:wrap;align-items:center}
.top .sum{color:var(--ink2)}
.top .sum b{color:var(--ink);font-weight:600}
.livedot{display:inline-flex;align-items:center;gap:5px;color:var(--ink2)}
.livedot::before{content:"";width:8px;height:8px;border-radius:50%;background:#9aa3ad}
.livedot.on::before{background:#2da44e;box-shadow:0 0 0 3px #2da44e2e}
.spacer{flex:1}
details.warn{width:100%;background:#fff8e6;border:1px solid #f0d48a;border-radius:6px;padding:4px 10px;color:#6b4e00}
details.warn summary{cursor:pointer;font-weight:600}
details.warn ul{margin:4px 0 2px;padding-left:18px}
.errs{width:100%;background:#fdecec;border:1px solid #e8a3a3;border-radius:6px;padding:4px 10px;color:#8a1c1c}
.errs ul{margin:4px 0 2px;padding-left:18px}
main{overflow:auto;height:calc(100vh - var(--toph,49px));height:calc(100dvh - var(--toph,49px));outline:none}
.grid{display:grid;gap:0;background:var(--panel);border:1px solid var(--line);border-radius:8px;width:max-content;
margin:12px 16px 40px}
.grid>div{border-bottom:1px solid var(--line2)}
.corner,.colh{position:sticky;top:0;z-index:3;background:#f8f9fb;
border-bottom:1px solid var(--line)!important}
.corner{left:0;z-index:4;padding:8px 10px;color:var(--ink3);font-weight:600;text-transform:uppercase;font-size:10.5px;
letter-spacing:.05em;border-right:1px solid var(--line)}
.colh{padding:7px 10px;border-left:1px solid var(--line2);min-width:0;overflow-wrap:anywhere}
.colh.branch{border-left:2px solid #b6bec8}
.colh .pid{font-weight:650;font-size:12.5px}
.colh .from{color:var(--ink3);font-size:11px;margin-left:6px}
.colh .from.fork{color:#7a5af8}
.colh .from.nw{white-space:nowrap}
.colh .prompt{color:var(--ink2);font-size:11.5px;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;
overflow:hidden;margin-top:2px;max-width:calc(var(--w) - 20px)}
.rowh{position:sticky;left:0;z-index:2;background:var(--panel);padding:8px 10px;border-right:1px solid var(--line);
display:flex;flex-direction:column;gap:6px}
.rowh .inst{font-weight:600;word-break:break-all}
.rowh .src{color:var(--ink3);font-size:11px}
.rowh img{width:100%;height:var(--thumb);object-fit:contain;background:#f2f3f5;border-radius:4px}
.cell{padding:8px;display:flex;gap:6px;border-left:1px solid var(--line2);align-items:flex-start}
.cell.branch{border-left:2px solid #d5dae0}
.cell.empty{background:repeating-linear-gradient(135deg,#fafbfc,#fafbfc 6px,#f4f5f7 6px,#f4f5f7 12px)}
.tile{width:var(--tile);border:1px solid var(--line);border-radius:6px;background:var(--panel);cursor:pointer;
overflow:hidden;outline:none;transition:box-shadow .12s,border-color .12s;position:relative}
.tile:hover{border-color:#b9c0c8}
.tile:focus-visible,.tile.focus{border-color:var(--acc);box-shadow:0 0 0 2px var(--acc)}
.tile .th{height:var(--thumb);background:#f2f3f5;display:flex;align-items:center;justify-content:center;
position:relative}
.tile .th img{max-width:100%;max-height:100%;display:block}
.tile .th .chip{position:absolute;left:5px;bottom:5px;box-shadow:0 0 0 1px #ffffffb0}
.tile .th .none{color:var(--ink3);font-size:11px}
.tile .th .none.why{color:#a4343a;padding:6px 8px 24px;display:-webkit-box;-webkit-line-clamp:4;
-webkit-box-orient:vertical;overflow:hidden;overflow-wrap:anywhere;align-self:flex-start}
.tile.stale .th img{opacity:.45;filter:grayscale(.6)}
.tile .meta{padding:5px 7px 6px;display:flex;flex-direction:column;gap:2px}
.tile .l1{display:flex;align-items:center;justify-content:space-between;gap:4px}
.tile .nid{font-weight:600;white-space:nowrap;font-size:12px;display:flex;gap:.45em;min-width:0}
.tile .nid .nm{overflow:hidden;text-overflow:ellipsis}
.tile .nid .vn{flex:none}
.tile .l2{color:var(--ink2);font-size:11px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;display:flex;
gap:5px;align-items:center}
.tile .l2 .bits{overflow:hidden;text-overflow:ellipsis}
.tile .pct{font-size:11px;color:var(--ink2);white-space:nowrap;flex:none}
.tile .pct.bad{color:#c21f2c;font-weight:700}
.tile .pr{color:var(--ink3);font-size:11px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tile .chg{font-size:11px;color:var(--ink2);white-space:nowrap}
.chip{display:inline-block;border-radius:999px;padding:0 7px;font-size:10.5px;font-weight:600;line-height:17px;
white-space:nowrap}
.s-up-to-date{background:#e6f4ea;color:#176f30}
.s-cached{background:#e8effd;color:#1f5fbf}
.s-remote{background:#e3f4f4;color:#0f6e73}
.s-not-run{background:#eef0f2;color:#57606a}
.s-modified{background:#fff3d6;color:#8a5a00}
.s-running{background:#efe7ff;color:#6639ba;animation:pulse 1.2s ease-in-out infinite}
.s-failed{background:#ffe6e4;color:#c21f2c}
.s-skipped{background:#f1ece4;color:#6e5a3a}
.s-drift{background:#d1242f;color:#fff}
@keyframes pulse{50%{box-shadow:0 0 0 3px #6639ba55}}
.tile.running .th::after{content:"";position:absolute;inset:0;background:linear-gradient(90deg,transparent,#ffffff80,
transparent);animation:sweep 1.4s linear infinite}
@keyframes sweep{from{transform:translateX(-100%)}to{transform:translateX(100%)}}
@media (prefers-reduced-motion:reduce){.s-running,.tile.running .th::after{animation:none}}
.drift-mark{position:absolute;top:5px;right:5px;background:#d1242f;color:#fff;border-radius:4px;font-size:10px;
font-weight:700;padding:1px 5px;letter-spacing:.03em}
.tile.drift{border-color:#e5868d}
.picked-mark{position:absolute;top:5px;left:5px;background:#1f6feb;color:#fff;border-radius:4px;font-size:10px;
font-weight:700;padding:1px 5px}
.tile.picked{border-color:#8fb4f5}
.slot{width:var(--tile);display:flex;flex-direction:column;gap:4px}
.pick{align-self:flex-start;font:inherit;font-size:11px;border:1px solid var(--line);border-radius:4px;
background:#f6f8fa;cursor:pointer;padding:1px 6px}
.pick:hover{background:#eef1f4}
.pick[data-label]{background:#fff3cd;border-color:#9a6700;color:#6b4a00;font-weight:600}
.pick:disabled,.pick[aria-disabled=true]{cursor:not-allowed;opacity:.5}
#note{white-space:pre-wrap}
.viewer{position:fixed;inset:0;z-index:20;background:#0e1116;display:flex;flex-direction:column;color:#e6edf3}
.viewer[hidden]{display:none}
.viewer .vh{display:flex;align-items:center;gap:10px;padding:10px 16px;border-bottom:1px solid #30363d;flex-wrap:wrap}
.viewer .vh .nid{font-weight:650;font-size:14px}
.viewer .vh .meta{color:#9da7b3}
.viewer button,.viewer label.tg{font:inherit;color:#e6edf3;background:#21262d;border:1px solid #363b42;
border-radius:5px;padding:3px 9px;cursor:pointer}
.viewer button[aria-pressed=true]{background:#1f5fd1;border-color:#1f5fd1;color:#fff}
.viewer .seg{display:inline-flex;gap:0}
.viewer .seg button{border-radius:0}
.viewer .seg button:first-child{border-radius:5px 0 0 5px}
.viewer .seg button:last-child{border-radius:0 5px 5px 0}
.viewer .vh,.viewer .vf{flex:none}
.viewer .stagewrap{flex:1;min-height:0;display:flex;padding:8px 12px}
.stage{position:relative;flex:1;min-width:0;min-height:0;user-select:none}
.stage .frame{position:absolute;left:50%;top:50%;width:100%;height:100%;transform:translate(-50%,-50%)}
.stage img{position:absolute;inset:0;width:100%;height:100%;object-fit:contain}
.stage .map{opacity:.85;pointer-events:none}
.stage .bar{position:absolute;top:0;bottom:0;width:2px;background:#fff;box-shadow:0 0 0 1px #0006;pointer-events:none}
.stage .tl{right:8px}
.stage .tr{left:8px}
.stage .tag{position:absolute;top:8px;white-space:nowrap;background:#000a;color:#fff;border-radius:4px;padding:1px 6px;
font-size:11px}
.viewer .vf{padding:8px 16px 12px;border-top:1px solid #30363d;color:#c9d1d9;display:flex;gap:18px;flex-wrap:wrap;
max-height:40vh;overflow:auto}
.viewer .vf .prompt{flex:1 1 420px;min-width:0;max-height:5.6em;overflow:auto;overflow-wrap:anywhere}
.viewer .vf .why{flex:1 1 100%;max-height:4.2em;overflow:auto;overflow-wrap:anywhere}
.viewer .vf .why.bad{color:#ff9492}
.viewer .vf .prev{flex:1 1 100%;color:#e3b341}
.viewer input[type=range]{width:220px}
@media (max-width:480px),(max-height:520px){.viewer .vh{gap:4px 8px;padding:6px 10px}
.viewer .vf{gap:2px 12px;padding:6px 10px 8px}.viewer .stagewrap{padding:4px 6px}}
.empty-note{padding:30px;color:var(--ink2)}
.viewer .empty-note{color:#9da7b3}
/* Printed, the grid flows on as many pages as it takes: a scroll box printed one window's height (review-ad 1). */
@media print{main{height:auto;overflow:visible}header.top,.corner,.colh,.rowh{position:static}}
@media (max-width:480px){:root{--rowh:104px}.rowh{padding:6px}.rowh img{height:64px}}
`;
