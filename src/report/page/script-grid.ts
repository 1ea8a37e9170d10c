/**
 * The page script, part 1: the header and the grid, built from the embedded JSON with
 * `textContent` only (never HTML from data), and updated in place when a live page receives a
 * new model: tiles whose data did not change are kept (focus and scroll stay).
 */
import { percentOver, percentText } from '../../util/percent.js';

export const SCRIPT_GRID = String.raw`
var WORDS={'up-to-date':'up to date',cached:'cached',remote:'in the remote cache','not-run':'not run yet',
modified:'modified',running:'running',failed:'failed',skipped:'skipped'};
var HINTS={cached:'in the local cache, not in the out folder: a run restores them without a request',remote:
'only in the remote cache: a run downloads them without a request; kontext report --fetch-remote shows them here'};
var REASONS={'new':'new','prompt-changed':'prompt changed','params-changed':'params changed','seed-changed':
'seed changed','model-changed':'model changed','provider-changed':'provider changed','input-changed':'input changed',
'request-changed':'prompt or params changed','forced':'forced','not-cached':'not in cache',
'reattach':'re-attaching','wait':'another run is submitting it','uncertain':
'an earlier run may have paid for it: stopped, exit 75','take-over':
"an earlier run's submit is unsettled; submitted again",'refused':
"the API refused an earlier run's submit (nothing was paid); submitted again"};
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!=null)e.textContent=text;
return e}
// A changed area as the terminal says it (util/percent.ts, these very functions): one rounding, and a drift
// figure with the decimals it takes to read over its max_change (the page said 98.6 %, the run 98.5 %: walk-al 1).
var pct=(${percentText}),pctOver=(${percentOver});
function changed(n){var mc=D.passes[n.p].maxChange;
  return n.drift&&mc!=null?pctOver(n.review.changed_pct,mc):pct(n.review.changed_pct)}
function dur(ms){return ms<1000?Math.round(ms)+' ms':(ms/1000).toFixed(1)+' s'}
function usd(x){return '$'+x.toFixed(x<0.1?3:2)}
// The variant in an element of its own, never cut: a long pass id's ellipsis took it, and two tiles read the same.
function nodeLabel(n){var id=D.passes[n.p].id,s=el('span','nid mono');s.appendChild(el('span','nm',id));
  if(n.variant)s.appendChild(el('span','vn','#'+n.variant));s.title=id+(n.variant?' #'+n.variant:'');return s}
function shaOf(n){var m=/([0-9a-f]{64})/.exec(n.thumb||'');return m?m[1]:''}
function fullUrl(n){if(!n.img)return n.thumb;if(!LIVE)return n.img;var v=shaOf(n);
  return v?n.img+'?v='+v.slice(0,16):null}
function beforeUrl(n){var u=n.from&&byId[n.from];return u&&u.img&&u.img===n.input?fullUrl(u):n.input}
function why(n){if(!n.why)return '';return REASONS[n.why]||n.why}
var tiles={},picks={},sigs={},byId={},cells=[],structure='',NOTE=null,OPEN={};
function renderTop(){
  var top=document.getElementById('top'),a=document.activeElement;
  var was=a&&a.tagName==='SUMMARY'&&top.contains(a)?a.parentNode.dataset.k:null;top.textContent='';
  top.appendChild(el('h1',null,D.recipe.name));
  top.appendChild(el('span','file mono',D.recipe.file+(D.recipe.provider?' \u00b7 '+D.recipe.provider:'')));
  var c=D.counts,counts=el('span','counts');
  var s=el('span','sum');s.appendChild(el('b',null,String(c.nodes)));s.appendChild(document.createTextNode(' nodes'));
  counts.appendChild(s);
  ['up-to-date','cached','remote','running','not-run','modified','failed','skipped'].forEach(function(k){
    if(c[k]>0){var ch=el('span','chip s-'+k,c[k]+' '+WORDS[k]);if(HINTS[k])ch.title=HINTS[k];counts.appendChild(ch)}});
  if(c.drift>0)counts.appendChild(el('span','chip s-drift',c.drift+' drift'));
  top.appendChild(counts);
  var cost=el('span','sum');cost.appendChild(document.createTextNode('cost '));
  cost.appendChild(el('b',null,D.costUsd==null?'\u2014':usd(D.costUsd)));
  if(D.costUsd!=null&&D.costUnpriced>0)cost.appendChild(document.createTextNode(' + '+D.costUnpriced+' unpriced'));
  cost.title='list price of the requests that made the results shown';top.appendChild(cost);
  top.appendChild(el('span','spacer'));
  if(LIVE){var d=el('span','livedot'+(CONNECTED?' on':''),CONNECTED?'live':'reconnecting\u2026');d.id='livedot';
    top.appendChild(d)}
  else top.appendChild(el('span','sum','generated '+D.generatedAt.replace('T',' ').slice(0,19)+' UTC'));
  if(unusable(D))alertBox(top,'errors',D.recipe.file+' cannot be used as saved; '+(D.passes.length?
    'this page shows its last good plan':'this page fills in once it can'),D.errors);
  if(D.buildErrors&&D.buildErrors.length)alertBox(top,'build-errors','this page could not be updated; it shows '+
    'the last one built (a pick works until the recipe file changes)',D.buildErrors);
  if(D.stopped&&D.stopped.length)alertBox(top,'stopped',D.recipe.file+': cycle stopped; watching',D.stopped);
  if(NOTE){var nt=el('div','errs mono',NOTE);nt.id='note';nt.setAttribute('role','alert');top.appendChild(nt)}
  warnBox(top,'recipe warning',D.recipeWarnings||[]);warnBox(top,'prompt-lint warning',D.warnings);
  warnBox(top,'picked-out file',D.pickedOut||[]);
  if(was){var s=top.querySelector('details[data-k="'+was+'"] summary');if(s)s.focus({preventScroll:true})}
  // Its height is measured by the ResizeObserver (script-view.ts), after layout: read here, it forced
  // a layout of the whole grid at every push (walk-w 10: long tasks on a 500-node live page).
}
// What the header shows: a push that changes none of it leaves it as it is (walk-w 10).
function topSig(d){return JSON.stringify([d.recipe,d.counts,d.costUsd,d.costUnpriced,d.generatedAt,d.errors,
  d.buildErrors,d.stopped,d.recipeWarnings,d.warnings,d.pickedOut,d.passes.length,LIVE&&CONNECTED,NOTE])}
var TOPSIG='';
// Each list's lines once: a YAML syntax error was said twice at one position, and listed twice.
function once(lines){var seen=new Set();return lines.filter(function(t){var n=!seen.has(t);seen.add(t);return n})}
// A list the reader opened stays open when a push draws the header again (before, it closed: the page jumped).
function warnBox(top,what,all){var lines=once(all);if(!lines.length)return;var w=el('details','warn');
  w.dataset.k=what;w.open=!!OPEN[what];w.addEventListener('toggle',function(){OPEN[what]=w.open});
  w.appendChild(el('summary',null,lines.length+' '+what+(lines.length>1?'s':'')));
  var ul=el('ul');lines.forEach(function(t){ul.appendChild(el('li','mono',t))});w.appendChild(ul);top.appendChild(w)}
// The grid scrolls, both ways, in its own box (main) of the window's height less the header's, measured
// again whenever that changes (a list opened, the window narrower, the live dot's longer words): the
// page is never wider than the window (a phone widened it to the grid's width, and the fixed viewer
// with it; the header scrolled off sideways). A header over 40 % of the window (many problems, each
// list capped and scrolling within itself) scrolls away with the page instead, the box then the
// window's height: stuck, it left no room for the grid.
function measureTop(){var top=document.getElementById('top'),h=top.offsetHeight,tall=h>window.innerHeight*0.4;
  top.classList.toggle('tall',tall);document.documentElement.style.setProperty('--toph',(tall?0:h)+'px')}
function widthOf(p){var per={},m=1;D.nodes.forEach(function(n){if(n.p===p){per[n.r]=(per[n.r]||0)+1;
  m=Math.max(m,per[n.r])}});return m*168+(m-1)*6+18}
function structureOf(d){return JSON.stringify([d.passes.map(function(p){return [p.id,p.from,p.prompt]}),d.rows,
  d.nodes.map(function(n){return n.id}),unusable(d)])}
// The recipe's own problems only (errors): a page that cannot be written (buildErrors) does not stop a pick.
function unusable(d){return !!(d.errors&&d.errors.length)}
function alertBox(top,id,head,lines){var b=el('div','errs');b.setAttribute('role','alert');b.id=id;
  b.appendChild(el('b',null,head));var u=el('ul');once(lines).forEach(function(t){u.appendChild(el('li','mono',t))});
  b.appendChild(u);top.appendChild(b)}
function renderGrid(){
  var g=document.getElementById('grid');g.textContent='';tiles={};picks={};sigs={};cells=[];
  if(!D.nodes.length){g.appendChild(el('div','empty-note',D.passes.length?'This recipe has no nodes.':
    D.building?'Building the page\u2026':'No plan yet.'));return}
  var widths=D.passes.map(function(p,i){return widthOf(i)});
  // A phone's row header narrower: at 190 px it took half of a 390 px window (review-ad 7).
  g.style.gridTemplateColumns='var(--rowh,190px) '+widths.map(function(w){return w+'px'}).join(' ');
  g.appendChild(el('div','corner','source'));
  D.passes.forEach(function(p,i){
    var h=el('div','colh'+(p.branch?' branch':''));h.style.setProperty('--w',widths[i]+'px');
    h.appendChild(el('span','pid mono',p.id));
    var fork=p.branch&&!p.fromSource;
    h.appendChild(el('span','from'+(fork?' fork':''),(fork?'\u21b3 branch of ':'\u2190 ')+p.from));
    if(p.maxChange!=null)h.appendChild(el('span','from nw','max '+p.maxChange+'%'));
    if(p.picked!=null)h.appendChild(el('span','from nw','pick #'+p.picked));
    var pr=el('div','prompt',p.prompt);pr.title=p.prompt;h.appendChild(pr);g.appendChild(h)});
  D.rows.forEach(function(r,ri){
    var rh=el('div','rowh');rh.appendChild(el('span','inst mono',r.instance==null?r.source:r.instance));
    if(r.instance!=null)rh.appendChild(el('span','src','from '+r.source));
    if(r.thumb){var im=el('img');im.loading='lazy';im.decoding='async';im.alt=r.instance||r.source;im.src=r.thumb;
      rh.appendChild(im)}
    g.appendChild(rh);cells[ri]=[];
    D.passes.forEach(function(p,pi){
      var c=el('div','cell'+(p.branch?' branch':''));cells[ri][pi]=[];g.appendChild(c)})});
  var cellEls=g.querySelectorAll('.cell');
  D.nodes.forEach(function(n){var c=cellEls[n.r*D.passes.length+n.p];c.appendChild(tile(n));
    cells[n.r][n.p].push(n.id)});
  cellEls.forEach(function(c){if(!c.children.length)c.classList.add('empty')});
}
// What a screen reader says of a tile (its label stands for all its text): the state, why it has no
// result, the change and drift, the pick. Before, only the id and state: drift and Δ were never said.
function spoken(n){var s=[n.id,WORDS[n.state]],mc=D.passes[n.p].maxChange;
  if((n.state==='failed'||n.state==='skipped'||n.state==='not-run')&&n.why)s.push(n.state==='not-run'?why(n):
    reasonFirst(n.why));
  if(n.review)s.push((n.stale?'previous result changed ':'changed ')+changed(n));
  if(n.drift)s.push('drift'+(mc!=null?' over '+mc+'%':''));
  if(n.picked)s.push('picked');return s.join(', ')}
// A provider's failure names its request first ("request 3e28…-… failed remotely: Request moderated",
// "prediction q8w7… was moderated: …", "BFL task 1b2c…: …"): on a tile, cut to its width, only the id
// showed (walk-w 11, review-ad 5). The reason first, the request after it; any other message as it is.
function reasonFirst(s){
  var m=/^((?:[\w.]+ )?(?:request|prediction|task) [^\s:]+)(?: failed remotely| failed| was moderated)?: ([\s\S]+)$/
    .exec(s);return m?m[2]+' ('+m[1]+')':s}
// A node's slot in its cell: the tile (role=button), and its pick button beside it, not inside: a
// button within a button is not reachable as itself by a screen reader.
function tile(n){var slot=el('div','slot');
  var t=el('div','tile '+n.state+(n.stale?' stale':'')+(n.drift?' drift':'')+(n.picked?' picked':''));t.tabIndex=-1;
  t.setAttribute('role','button');t.dataset.id=n.id;slot.appendChild(t);
  t.setAttribute('aria-label',spoken(n));
  var th=el('div','th');
  if(n.thumb){var im=el('img');im.loading='lazy';im.decoding='async';im.alt=n.id;im.src=n.thumb;th.appendChild(im)}
  else if(n.noThumb){var no=el('span','none why','no thumbnail: '+n.noThumb);no.title=no.textContent;th.appendChild(no)}
  else th.appendChild(el('span','none',n.state==='running'?'running\u2026':n.state==='remote'?
    'not downloaded':!n.img?'no image yet':LIVE?'making its thumbnail\u2026':'no thumbnail'));
  if(n.drift)th.appendChild(el('span','drift-mark','DRIFT'));
  th.appendChild(el('span','chip s-'+n.state,WORDS[n.state]));
  t.appendChild(th);
  var m=el('div','meta'),l1=el('div','l1');l1.appendChild(nodeLabel(n));
  // A tile showing its previous result (stale: to run again, failed, skipped) says its Δ is that result's.
  var prev=n.stale?'prev ':'',was=n.stale?' (the previous result, from before the change)':'';
  if(n.review){var pc=el('span','pct'+(n.drift?' bad':''),prev+'Δ '+changed(n));pc.title='changed'+was;
    l1.appendChild(pc)}
  m.appendChild(l1);
  var l2=el('div','l2');
  // A failure's, a skip's or a not-run's reason first: after an earlier result's seed and cost it was cut off
  // (review-ad 5; "seed 66395293 · not in c…": walk-al 6). The whole line is the title.
  var bits=[];if((n.state==='failed'||n.state==='skipped')&&n.why)bits.push(reasonFirst(n.why));
  if(n.state==='not-run'&&n.why)bits.push(why(n));
  if(n.seed!=null)bits.push('seed '+n.seed);if(n.ms!=null)bits.push(dur(n.ms));
  if(n.costUsd!=null)bits.push(usd(n.costUsd));
  l2.appendChild(el('span','bits',bits.join(' \u00b7 ')));l2.title=bits.join(' \u00b7 ');m.appendChild(l2);
  var pr=el('div','pr',D.passes[n.p].prompt);pr.title=D.passes[n.p].prompt;m.appendChild(pr);
  if(n.review&&n.review.chain_changed_pct!=null){
    var ch=el('div','chg',prev+'chain \u0394 '+pct(n.review.chain_changed_pct));
    ch.title='changed since the source image'+was;m.appendChild(ch)}
  if(n.picked)th.appendChild(el('span','picked-mark','\u2605 picked'));
  if(PICK&&D.passes[n.p].ownsVariants&&n.variant&&n.state!=='running'){
    var b=el('button','pick',(n.picked?'un-pick #':'pick #')+n.variant);b.type='button';b.dataset.pick=n.id;
    picks[n.id]=b;if(ARMED===n.id){b.dataset.label=b.textContent;b.textContent='confirm '+b.textContent}
    if(n.picked){b.dataset.clear='1';b.title='every variant goes on to the passes after it again'}
    if(unusable(D)){b.disabled=true;b.title=D.recipe.file+' cannot be used as saved: fix it to pick'}
    slot.appendChild(b)}
  t.appendChild(m);tiles[n.id]=t;sigs[n.id]=JSON.stringify(n);byId[n.id]=n;return slot;
}
function apply(next){
  var a=document.activeElement,ds=a&&a.dataset||{},old=ds.id||null,oldPick=ds.pick||null;
  var s=structureOf(next);D=next;byId={};D.nodes.forEach(function(n){byId[n.id]=n});
  var ts=topSig(D);if(ts!==TOPSIG){TOPSIG=ts;renderTop()}
  if(s!==structure){structure=s;renderGrid()}
  else D.nodes.forEach(function(n){var j=JSON.stringify(n);if(sigs[n.id]===j)return;
    var o=tiles[n.id].parentNode;o.parentNode.replaceChild(tile(n),o)});
  if(old&&tiles[old]){tiles[old].tabIndex=0;tiles[old].focus({preventScroll:true})}
  // A pick button's node: the focus on its new button, else its tile (a pick made from the keyboard
  // left it on the body, and the next arrow key started again from the first tile).
  if(oldPick&&!document.contains(a)){var to=picks[oldPick]||tiles[oldPick];if(to)to.focus({preventScroll:true})}
  // The open viewer drawn again only when what it shows changed: rebuilt at every push, it lost the focus.
  if(VIEW.id&&byId[VIEW.id]&&viewerSig(byId[VIEW.id])!==VIEW.sig)showViewer(VIEW.id);
}
`;
