/* The timeline: one row of hops (click to go), events stacked in lanes so none hides another,
   a row per machine that was down, a log-like scale so milliseconds and hours both show, and a legend. */
(() => {
'use strict';
const M = window.mailhop, { P, U, el, put, tr, say, fmtT, fmtTick, kindName, steps, cur, userGo, block } = M;
M.strings({
  en: { timeline: 'Timeline', tlHops: 'hops', tlEvents: 'events', goHop: 'Go to hop {n}, {t}', keyHop: 'hop (click to go to it)', keyDown: 'machine down' },
  pt: { timeline: 'Linha do tempo', tlHops: 'saltos', tlEvents: 'eventos', goHop: 'Ir para o salto {n}, {t}', keyHop: 'salto (clique para ir até ele)', keyDown: 'máquina fora do ar' },
});
/* The scale of the last build: virtual ms to percent of the track. */
let scale = () => 0;
function buildTimeline() {
  const D = P.data, all = steps(), end = Math.max(1, D.end_t || 0, ...all.map(s => s.t || 0));
  const keys = [...new Set([0, ...all.map(s => s.t || 0), end])].sort((a, b) => a - b), sum = a => a.reduce((x, y) => x + y, 0) || 1;
  // Segmented scale: the gap between two consecutive step times gets a width that grows with
  // the log of its length (so milliseconds and hours both show), and at least ~28 px.
  let ws = keys.slice(1).map((k, i) => Math.max(0.5, Math.log1p((k - keys[i]) / 100)));
  const trackW = Math.max(120, (U.tl.clientWidth || 600) - (innerWidth < 600 ? 110 : 150));
  for (let k = 0; k < 3; k++) { const floor = sum(ws) * 28 / trackW; ws = ws.map(w => Math.max(w, floor)); }
  const tot = sum(ws), cum = ws.reduce((a, w) => [...a, a[a.length - 1] + w], [0]);
  const X = scale = t => {
    t = Math.min(end, Math.max(0, t || 0));
    let i = 0;
    while (i < ws.length - 1 && t > keys[i + 1]) i++;
    const a = keys[i], b = keys[i + 1], f = b > a ? Math.log1p((t - a) / 100) / Math.log1p((b - a) / 100) : 0;
    return ((cum[i] + f * ws[i]) / tot) * 100;
  };
  const labs = el('div.tl-labs', { 'aria-hidden': 'true' }), tracks = el('div.tl-tracks');
  const row = (label, cls) => { labs.append(el('div.tl-lab.' + cls, { title: label }, label)); return tracks.appendChild(el('div.tl-row.' + cls)); };
  const at = (e, t, w) => { e.style.left = X(t).toFixed(2) + '%'; if (w != null) e.style.width = Math.max(0.5, X(w) - X(t)).toFixed(2) + '%'; return e; };
  const hopStep = new Map(all.map((s, i) => s.hop && [s.hop.hop, i]).filter(Boolean));
  const tl = D.timeline && D.timeline.length ? D.timeline : all.filter(s => s.hop).map(s => ({ t: s.t, kind: 'hop', hop: s.hop.hop }));
  const hopRow = row(tr('tlHops'), 'hops');
  U.hopBtns = tl.filter(e => e.kind === 'hop').map(e => {
    const i = hopStep.get(e.hop), label = tr('goHop', { n: e.hop, t: fmtT(e.t) }) + (e.text ? ' (' + say(e) + ')' : '');
    return hopRow.appendChild(at(el('button.tl-hop', { 'aria-label': label, title: label, 'data-step': i, disabled: i == null, onclick: () => userGo(i) }, e.hop), e.t));
  });
  // events at nearly the same place stack in lanes instead of hiding each other (a bounce under a delivery)
  const evs = tl.filter(e => e.kind !== 'hop'), evRow = evs.length && row(tr('tlEvents'), 'evs'), ends = [], GAP = 11, LANES_MAX = 6;
  if (evRow) {
    for (const e of evs) {
      const x = (X(e.t) / 100) * trackW;
      let k = ends.findIndex(last => x - last >= GAP);
      if (k < 0) k = ends.length < LANES_MAX ? ends.push(-Infinity) - 1 : ends.indexOf(Math.min(...ends));
      ends[k] = x;
      const m = at(el('span.tl-ev.k-' + e.kind, { tid: 'timeline-event', 'data-kind': e.kind, 'data-lane': k, title: `${fmtT(e.t)} · ${kindName(e.kind)}: ${say(e)}` }), e.t);
      m.style.top = 4 + 12 * k + 'px';
      evRow.append(m);
    }
    const h = 8 + 12 * ends.length + 'px';
    evRow.style.height = h;
    labs.querySelector('.tl-lab.evs').style.height = h;
  }
  const downRows = new Map();
  for (const w of D.downtime || []) {
    if (!downRows.has(w.node)) downRows.set(w.node, row(w.node, 'down'));
    downRows.get(w.node).append(at(el('span.tl-band', { title: `${w.node} · ${tr('down')} · ${fmtT(w.from)} – ${w.until == null ? '…' : fmtT(w.until)}` }, tr('down')), w.from, w.until == null ? end : w.until));
  }
  const axis = row('', 'axis');
  let lastX = -99;
  for (const t of [0, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 3e4, 6e4, 6e5, 36e5, 72e5, 216e5, 432e5, 864e5, 1728e5, 6048e5]) {
    if (t > end || X(t) - lastX < 8) continue;
    lastX = X(t);
    axis.append(at(el('span.tl-tick', null, fmtTick(t)), t));
  }
  tracks.append(U.now = el('div.tl-now'));
  put(U.tl, labs, tracks);
  // the legend names only what this run's timeline shows
  const shown = [...new Set(evs.map(e => e.kind))], sw = (cls, k) => el('span.tl-key', null, el('span.' + cls, { 'aria-hidden': 'true' }), el('span', null, k));
  put(U.tlKey, tl.length > evs.length && sw('tl-hop.key', tr('keyHop')), shown.map(k => sw('tl-ev.key.k-' + k, kindName(k))),
    (D.downtime || []).length > 0 && sw('tl-band.key', tr('keyDown')));
}
function paintTimeline() {
  const e = P.ev >= 0 && (cur().events || [])[P.ev];
  U.now.style.left = scale(e ? e.t : cur().t || 0).toFixed(2) + '%';
  for (const b of U.hopBtns) {
    if (b.dataset.step === String(P.idx)) b.setAttribute('aria-current', 'step'); else b.removeAttribute('aria-current');
  }
}

M.part({
  id: 'timeline', slot: 'stage', order: 10,
  build: () => block('h-tl', tr('timeline'), [U.tl = el('div.tl', { tid: 'timeline' }), U.tlKey = el('div.tl-legend', { tid: 'timeline-legend' })]),
  mounted: buildTimeline, render: paintTimeline, event: paintTimeline, resize: () => { buildTimeline(); paintTimeline(); },
});
})();
