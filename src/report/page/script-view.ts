/**
 * The page script, part 2: keyboard navigation (arrows between tiles, Enter or Space opens, Esc closes),
 * the before/after viewer (split slider or toggle, change map overlay) and, on a served page,
 * the live updates (Server-Sent Events) and the pick button. A pick sends the recipe's sha256
 * the page was built from; a refused one is explained in a note above the grid, and when the
 * recipe changed meanwhile the event stream is opened again, which starts with the newest model.
 * A stream naming another session than the page's (the watch process restarted on this port)
 * reloads the page once that server has a model: the old page's token would make every pick 403.
 * The server pings every PING ms: a page that hears nothing for 2.5 pings says `reconnecting…` (the
 * watch not answering) and opens its stream again (a frozen server's socket stays open and raises no
 * error); it says the watch has stopped only once its stream is refused for a few seconds (a server gone).
 */
export const SCRIPT_VIEW = String.raw`
var VIEW={id:null,sig:'',mode:'split',map:false,pos:50,back:null,w:0,h:0,fit:'cover'};
function focusTile(id){var t=tiles[id];if(!t)return;Object.keys(tiles).forEach(function(k){tiles[k].tabIndex=-1});
  t.tabIndex=0;t.focus();t.scrollIntoView({block:'nearest',inline:'nearest'})}
function firstIn(r,p,k,dir){
  for(var i=r;i>=0&&i<cells.length;i+=dir){var ids=cells[i][p];if(ids&&ids.length)return ids[Math.min(k,ids.length-1)]}
  return null}
function move(id,key){
  var n=byId[id],ids=cells[n.r][n.p],k=ids.indexOf(id),row=cells[n.r],p,j;
  if(key==='ArrowRight'){if(k+1<ids.length)return ids[k+1];
    for(p=n.p+1;p<row.length;p++)if(row[p].length)return row[p][0];return null}
  if(key==='ArrowLeft'){if(k>0)return ids[k-1];for(p=n.p-1;p>=0;p--)if(row[p].length)return row[p][row[p].length-1];
    return null}
  if(key==='ArrowDown')return firstIn(n.r+1,n.p,k,1);
  if(key==='ArrowUp')return firstIn(n.r-1,n.p,k,-1);
  j=null;return j}
// The first tile in sight (below the column headers), where the arrow keys start when no tile has the focus.
function firstInView(){var m=document.querySelector('main').getBoundingClientRect(),h=document.querySelector('.colh'),
  top=h?h.getBoundingClientRect().bottom:m.top;for(var i=0;i<D.nodes.length;i++){
  var r=tiles[D.nodes[i].id].getBoundingClientRect();if(r.bottom>top&&r.top<m.bottom&&r.right>m.left&&r.left<m.right)
    return D.nodes[i].id}return D.nodes.length?D.nodes[0].id:null}
// PageUp/PageDown/Home/End/Space with nothing focused scroll the grid's box: the page itself no longer
// scrolls, and the keys did nothing until a click in the grid (review-ad 3).
function pageKey(e){var m=document.querySelector('main'),h=m.clientHeight*0.9,by={PageDown:h,PageUp:-h,' ':
  e.shiftKey?-h:h,Home:-m.scrollHeight,End:m.scrollHeight}[e.key];
  if(by==null||m.scrollHeight<=m.clientHeight)return false;e.preventDefault();if(!headerFirst(by))m.scrollBy({top:by});
  return true}
// A header taller than 40 % of the window scrolls away with the page, and then the grid's box fills the
// window: scrolling down over the grid moves the page first until the header is gone (the box scrolled
// first, the header staying until the grid's end: review-ad 2).
function headerFirst(dy){var top=document.getElementById('top'),left=top.offsetHeight-window.scrollY;
  if(!top.classList.contains('tall')||dy<=0||left<=0)return false;window.scrollBy(0,Math.min(left,dy));return true}
document.querySelector('main').addEventListener('wheel',function(e){
  if(headerFirst(e.deltaY*(e.deltaMode===1?16:e.deltaMode===2?window.innerHeight:1)))e.preventDefault()},
  {passive:false});
// Tab and Shift+Tab go round the open viewer's controls (aria-modal): they went on to the page behind it.
function trapTab(e){var all=[].filter.call(V.querySelectorAll('button,input,.why'),function(c){return !c.disabled}),
  first=all[0],last=all[all.length-1],a=document.activeElement;if(!first)return;
  if(e.shiftKey?a===first||!V.contains(a):a===last||!V.contains(a)){e.preventDefault();(e.shiftKey?last:first).focus()}}
document.addEventListener('keydown',function(e){
  if(VIEW.id){if(e.key==='Escape'){e.preventDefault();closeViewer()}
    else if(e.key==='Tab')trapTab(e)
    else if(e.key==='b'){setMode(VIEW.mode==='before'?'after':'before')}
    else if(e.key==='m')toggleMap()
    else if(e.key==='ArrowLeft'||e.key==='ArrowRight'){e.preventDefault();split(VIEW.pos+(e.key==='ArrowLeft'?-5:5))}
    return}
  var t=document.activeElement,id=t&&t.dataset?t.dataset.id:null,at=id||t&&t.dataset&&t.dataset.pick;
  if((!t||t===document.body)&&pageKey(e))return;
  if(/^Arrow/.test(e.key)){e.preventDefault();if(!at){var f=firstInView();if(f)focusTile(f);return}
    var to=move(at,e.key);if(to)focusTile(to)}
  else if((e.key==='Enter'||e.key===' ')&&id){e.preventDefault();openViewer(id)}});
document.getElementById('grid').addEventListener('click',function(e){
  var b=e.target.closest('button[data-pick]');if(b){e.stopPropagation();
    if(b.getAttribute('aria-disabled')!=='true')pressed(b);return}
  var t=e.target.closest('.tile');if(t){focusTile(t.dataset.id);openViewer(t.dataset.id)}});
var V=document.getElementById('viewer');
function openViewer(id){VIEW.back=id;VIEW.pos=50;showViewer(id);V.hidden=false;fitFrame();
  document.getElementById('v-close').focus()}
function closeViewer(){V.hidden=true;var back=VIEW.id;VIEW.id=null;document.getElementById('v-stage').textContent='';
  if(back)focusTile(back)}
function setMode(m){VIEW.mode=m;redraw()}
function toggleMap(){VIEW.map=!VIEW.map;redraw()}
// A mode or the map toggled: the buttons say so in place and only the image and footer are drawn
// again, so the button pressed keeps the focus (rebuilt, it left the focus on the page's body).
function redraw(){var n=byId[VIEW.id];if(!n)return;keepFocus(function(){syncHead(n);drawBody(n)})}
// What the viewer shows of a node: a live push whose data for it did not change leaves it as it is.
function viewerSig(n){return JSON.stringify([n,n.from&&byId[n.from],D.passes[n.p],D.rows[n.r]])}
// The focus stays on the control of the same name (data-k) when the viewer is drawn again.
function keepFocus(draw){var a=document.activeElement,k=a&&V.contains(a)&&a.dataset?a.dataset.k:null;draw();
  if(!k)return;var e=V.querySelector('[data-k="'+k+'"]');if(e&&!e.disabled)e.focus();
  else if(!V.contains(document.activeElement))document.getElementById('v-close').focus()}
function showViewer(id){
  var n=byId[id];VIEW.id=id;if(!n)return;VIEW.sig=viewerSig(n);
  keepFocus(function(){drawHead(n);drawBody(n)})}
function drawHead(n){
  var head=document.getElementById('v-head');head.textContent='';
  head.appendChild(el('span','nid mono',n.id));head.appendChild(el('span','chip s-'+n.state,WORDS[n.state]));
  if(n.drift)head.appendChild(el('span','chip s-drift','drift'));
  var meta=[];if(n.seed!=null)meta.push('seed '+n.seed);if(n.ms!=null)meta.push(dur(n.ms));
  if(n.costUsd!=null)meta.push(usd(n.costUsd));if(n.finishedAt)meta.push(n.finishedAt.replace('T',' ').slice(0,19));
  head.appendChild(el('span','meta',(meta.length&&previous(n)?'previous result: ':'')+meta.join(' \u00b7 ')));
  head.appendChild(el('span','spacer'));
  var seg=el('span','seg');['split','before','after'].forEach(function(m){var b=el('button',null,m);b.type='button';
    b.dataset.k=m;b.addEventListener('click',function(){setMode(m)});seg.appendChild(b)});head.appendChild(seg);
  if(n.review&&n.review.map){var tg=el('button',null,'change map');tg.type='button';tg.dataset.k='map';
    tg.addEventListener('click',toggleMap);head.appendChild(tg)}
  var x=el('button',null,'close (Esc)');x.type='button';x.id='v-close';x.dataset.k='close';
  x.addEventListener('click',closeViewer);head.appendChild(x);syncHead(n)}
// Pressed: the mode shown, which is "after" for a node with no input to show (a disabled "split" was
// said pressed: review-ad 8).
function syncHead(n){var hasBefore=!!beforeUrl(n),shown=hasBefore?VIEW.mode:'after';
  ['split','before','after'].forEach(function(m){var b=V.querySelector('#v-head [data-k="'+m+'"]');
    b.setAttribute('aria-pressed',String(shown===m));b.disabled=!hasBefore&&m!=='after'});
  var tg=V.querySelector('#v-head [data-k="map"]');if(tg)tg.setAttribute('aria-pressed',String(VIEW.map))}
function drawBody(n){var id=n.id,before=beforeUrl(n),hasBefore=!!before,after=fullUrl(n);
  var st=document.getElementById('v-stage');st.textContent='';
  var mode=hasBefore?VIEW.mode:'after';
  if(!after){st.appendChild(el('div','empty-note',n.state==='failed'?'No image: this node failed (why below).':
    'No image for this node yet.'))}
  else{
    // One frame of the output's shape holds every layer: the input is laid on it as the change review
    // compared it (centre-cropped unless the review says stretched or fitted inside), so split,
    // toggle and change map line up pixel for pixel.
    var fr=el('div','frame');st.appendChild(fr);VIEW.w=n.review?n.review.width:0;VIEW.h=n.review?n.review.height:0;
    VIEW.fit=n.review&&n.review.fit||'cover';
    fitFrame();
    var base=el('img',mode==='before'?'before':'base');base.src=mode==='after'?after:before;
    orThumb(base,mode==='after'?n.thumb:inputThumb(n));
    base.alt=mode==='after'?'output':'input';fr.appendChild(base);
    if(mode!=='after'){base.style.objectFit=VIEW.fit;base.addEventListener('load',noteCrop)}
    var out=mode==='after'?base:null;
    if(mode==='split'){out=el('img','after');out.src=after;out.alt='output';orThumb(out,n.thumb);
      out.style.clipPath='inset(0 0 0 '+VIEW.pos+'%)';fr.appendChild(out);var bar=el('div','bar');
      bar.style.left=VIEW.pos+'%';fr.appendChild(bar);
      bar.appendChild(el('span','tag tl','before'));bar.appendChild(el('span','tag tr','after'))}
    else fr.appendChild(el('span','tag',mode)).style.left='8px';
    if(!out){out=new Image();out.src=after}
    // No thumbnail to fall back on: the output cannot be shown (undecodable, too large). Said, with
    // the input taken away: before, the split's "after" half was clear and the input showed through.
    if(mode!=='before'&&!n.thumb)out.addEventListener('error',function(){if(VIEW.id===id)cannotShow(n)});
    out.addEventListener('load',function(){if(VIEW.id!==id)return;VIEW.w=out.naturalWidth;VIEW.h=out.naturalHeight;
      fitFrame()});
    // Under the tags and the split's bar, and in a split over the output's half only: over all of it,
    // it hid the before/after tags and showed on both halves (walk-w 11).
    if(VIEW.map&&n.review&&n.review.map){var mp=el('img','map');mp.src=n.review.map;mp.alt='change map';
      if(mode==='split')mp.style.clipPath='inset(0 0 0 '+VIEW.pos+'%)';
      fr.insertBefore(mp,fr.querySelector('.bar,.tag'))}
  }
  var foot=document.getElementById('v-foot');foot.textContent='';
  // Focusable, and in the Tab ring: a long failure scrolls in its box, and Tab never reached it (review-ad 6).
  var said=stateWhy(n);if(said)foot.appendChild(el('div','why'+(n.state==='failed'?' bad':''),said)).tabIndex=0;
  if(previous(n))foot.appendChild(el('div','prev',previousWhy(n)));
  var pr=el('div','prompt');pr.appendChild(el('b',null,D.passes[n.p].id+': '));
  pr.appendChild(document.createTextNode(D.passes[n.p].prompt));foot.appendChild(pr);
  foot.appendChild(el('span',null,'input: '+(n.from||(D.rows[n.r].instance||D.rows[n.r].source))));
  if(n.review){foot.appendChild(el('span',null,(previous(n)?'previous result: ':'')+'changed '+changed(n)+
    (n.review.chain_changed_pct!=null?
    ' \u00b7 chain '+pct(n.review.chain_changed_pct):'')+' ('+n.review.metric+', threshold '+n.review.threshold+')'))}
  else if(n.noReview)foot.appendChild(el('span','norev','no change map: '+n.noReview));
  if(n.beforeNote)foot.appendChild(el('span','norev','before: '+n.beforeNote));
  var crop=el('span','crop');crop.id='v-crop';foot.appendChild(crop);noteCrop();
  var sm=el('span','norev');sm.id='v-small';foot.appendChild(sm);
  // No full image in out/ (deleted; the cache has it): the 320 px thumbnail, blown up, said (walk-al 5).
  if(after&&!n.img&&n.thumb)sm.textContent='full-size image not in out/'+(n.state==='cached'?
    ' (a run restores it from the cache, free)':'')+': showing the thumbnail';
  if(mode==='split'&&after){var r=el('input');r.type='range';r.min='0';r.max='100';r.value=String(VIEW.pos);
    r.setAttribute('aria-label','before/after split');r.dataset.k='range';
    r.addEventListener('input',function(){split(+r.value)});foot.appendChild(r)}
}
// The image of a node that has to run again (failed, skipped, running, not run yet) is its previous result, and
// so are its figures: said, never as this prompt's (a failed node's viewer showed them unsaid: walk-al 3).
function previous(n){return !!(n.stale&&(n.img||n.thumb))}
function previousWhy(n){var was=n.staleWhy?REASONS[n.staleWhy]||n.staleWhy:null;
  return 'showing the previous result'+(n.state==='not-run'?'':was?' (from before: '+was+')':', from before this run')+
    '; its change, cost and time are that result\u2019s'}
function cannotShow(n){var st=document.getElementById('v-stage');st.textContent='';
  st.appendChild(el('div','empty-note','This output cannot be displayed: '+(n.noThumb||n.noReview||
    'the browser could not load it')));var r=document.querySelector('#v-foot input');if(r)r.remove()}
// Why a node has no current result, as the terminal says it: a failure's code, message and hint (the
// tile has room for some 25 characters of it), why a node was left out of the run (skipped), or why a
// node not run yet will run.
function stateWhy(n){if(n.state==='failed')return 'failed: '+(n.code?n.code+': ':'')+(n.why||'no reason given')+
  (n.hint?' ('+n.hint+')':'');if(n.state==='skipped')return 'skipped: '+(n.why||'left out of the run');
  return n.state==='not-run'&&n.why?'not run yet: '+why(n):''}
// A full image is the output in the out folder (../<pass>/<file>): a report folder moved or zipped
// without it (or an output removed since) shows the thumbnail instead, and says so.
// The upstream's thumbnail only when the before image is the upstream's (not a preview of what the node was made from).
function inputThumb(n){var u=n.from&&byId[n.from];
  return u?(n.input===u.img||n.input===u.thumb?u.thumb:null):D.rows[n.r].thumb}
function orThumb(img,thumb){if(!thumb||thumb===img.getAttribute('src'))return;
  img.addEventListener('error',function(){img.src=thumb;var s=document.getElementById('v-small');
    if(s)s.textContent='full-size image not found beside this page (keep report/ inside its out folder), '+
      'or not one the browser can show: showing the thumbnail'},{once:true})}
function fitFrame(){var st=document.getElementById('v-stage'),f=st.querySelector('.frame');if(!f)return;
  if(!VIEW.w||!VIEW.h){f.style.width=f.style.height='100%';return}
  var k=Math.min(st.clientWidth/VIEW.w,st.clientHeight/VIEW.h);f.style.width=VIEW.w*k+'px';f.style.height=VIEW.h*k+'px';
  noteCrop()}
function noteCrop(){var b=document.querySelector('#v-stage .frame img.base,#v-stage .frame img.before'),
  c=document.getElementById('v-crop');if(!b||!c||!b.naturalWidth||!VIEW.w)return;
  c.textContent=Math.abs(b.naturalWidth*VIEW.h/(b.naturalHeight*VIEW.w)-1)>0.01?'input '+b.naturalWidth+'\u00d7'+
    b.naturalHeight+', '+LAID[VIEW.fit]+' on the output\u2019s '+VIEW.w+'\u00d7'+VIEW.h+' shape':''}
var LAID={cover:'laid centre-cropped',fill:'stretched',contain:'fitted inside'};
// The frame fits the stage whenever the stage's size changes: the window's, and the footer growing by the
// crop note noteCrop writes once the input is loaded (the frame ran over the header and footer: walk-al 4).
new ResizeObserver(function(){if(VIEW.id)fitFrame()}).observe(document.getElementById('v-stage'));
// The header's height again whenever it changes, and the window's (the 40 % rule): measureTop.
new ResizeObserver(measureTop).observe(document.getElementById('top'));
window.addEventListener('resize',measureTop);
function split(pos){VIEW.pos=Math.max(0,Math.min(100,pos));var st=document.getElementById('v-stage');
  var a=st.querySelector('.after'),b=st.querySelector('.bar'),r=document.querySelector('#v-foot input');
  var mp=a&&st.querySelector('.map');if(mp)mp.style.clipPath='inset(0 0 0 '+VIEW.pos+'%)';
  if(a)a.style.clipPath='inset(0 0 0 '+VIEW.pos+'%)';if(b)b.style.left=VIEW.pos+'%';if(r)r.value=String(VIEW.pos)}
var dragging=false;
function dragTo(e){var st=document.getElementById('v-stage');
  var box=(st.querySelector('.frame')||st).getBoundingClientRect();
  split((e.clientX-box.left)/box.width*100)}
document.getElementById('v-stage').addEventListener('pointerdown',function(e){if(VIEW.mode!=='split')return;
  dragging=true;dragTo(e)});
document.addEventListener('pointermove',function(e){if(dragging)dragTo(e)});
document.addEventListener('pointerup',function(){dragging=false});
V.addEventListener('click',function(e){if(e.target===V||e.target.id==='v-wrap')closeViewer()});
function note(text){NOTE=text;renderTop()}
// Busy, the button is aria-disabled, not disabled: a disabled button drops the keyboard's focus.
function busy(b,on){if(on)b.setAttribute('aria-disabled','true');else b.removeAttribute('aria-disabled')}
// A pick that may start paid requests asks for a second press within 5 s (a stray Enter while tabbing paid
// for 9 requests: walk-al 7): the passes after it have not run on that variant (another one is picked), or an
// un-pick sends every variant on again. A pick among variants the passes below all took already costs nothing.
var ARMED=null,ARM_T=0;
function mayPay(id,clear){var n=byId[id],p=n&&D.passes[n.p];if(!p)return true;
  return D.passes.some(function(q){return !q.fromSource&&q.from===p.id})&&(clear||p.picked!=null)}
function disarm(){var b=ARMED&&picks[ARMED];ARMED=null;clearTimeout(ARM_T);
  if(b&&b.dataset.label){b.textContent=b.dataset.label;delete b.dataset.label;note(null)}}
function pressed(b){var id=b.dataset.pick,clear=!!b.dataset.clear,n=byId[id];
  if(ARMED===id||!mayPay(id,clear)){ARMED=null;clearTimeout(ARM_T);pick(id,b,clear);return}
  disarm();ARMED=id;b.dataset.label=b.textContent;b.textContent='confirm '+b.textContent;ARM_T=setTimeout(disarm,5000);
  note((clear?'un-pick '+id+': the passes after it run on every variant again':'pick '+id+
    ': the passes after it run on variant '+(n?n.variant:'?'))+
    ', paid for what they have not run on before; press again within 5 s to '+(clear?'un-pick':'pick'))}
function pick(id,b,clear){var what=clear?'un-pick':'pick';busy(b,true);b.textContent=what+'ing\u2026';note(null);
  fetch('/api/pick',{method:'POST',headers:{'content-type':'application/json','x-kontext-token':TOKEN},
    body:JSON.stringify({node:id,expectSha256:D.recipe.sha256,clear:clear})}).then(function(r){
    b.textContent=r.ok?what+'ed':what+' failed ('+r.status+')';busy(b,r.ok);
    if(r.ok){note(null);return}
    r.text().then(function(t){note(what+' '+id+' not written: '+t.trim())});
    if(r.status===409)connect()},
    function(){b.textContent=what+' failed';busy(b,false);
      note(what+' '+id+' not written: the server did not answer')})}
var es=null,RESTARTED=false,DOWN=0,HEARD=0,REFUSED=false;
function dot(on,text){var d=document.getElementById('livedot');if(d){d.className='livedot'+(on?' on':'');
  d.textContent=text}}
function heard(){HEARD=Date.now();REFUSED=false;if(CONNECTED)return;CONNECTED=true;DOWN=0;dot(true,'live')}
// Refused for more than a few retries: the watch stopped, or runs on another port now (this page will not
// follow). Only silent (a frozen process: kill -STOP, a debugger, asleep): never called stopped (walk-ak 4).
function lost(refused){CONNECTED=false;DOWN=DOWN||Date.now();REFUSED=REFUSED||refused;
  dot(false,!REFUSED?'reconnecting\u2026 (the watch is not answering: asleep or stopped?)':
  Date.now()-DOWN<5000?'reconnecting\u2026':
  'not live: the watch has stopped; this page shows its last state (a new watch prints its URL)')}
function connect(){if(es)es.close();HEARD=Date.now();es=new EventSource('/events');
  es.addEventListener('session',function(e){RESTARTED=e.data!==SESSION;heard()});
  es.addEventListener('model',function(e){if(RESTARTED){es.close();location.reload();return}
    heard();apply(JSON.parse(e.data))});
  es.addEventListener('ping',heard);es.onopen=heard;es.onerror=function(){lost(true)}}
// A server that stops answering with its socket open (its process stopped, kill -STOP, asleep) raises no
// error: it said "live" over its old state for as long (walk-ac 4). Two pings unheard: said, and reopened.
if(LIVE){connect();if(PING>0)setInterval(function(){if(Date.now()-HEARD>PING*2.5){lost(false);connect()}},PING/2)}
`;
