/* The diagram: machines in three lanes (or bands on a phone), the hops so far, the current hop
   with its channel and the envelope moving along it, failed attempts, copies at rest; and the
   journey switch, which keeps every past hop in its channel's colour. */
(() => {
'use strict';
const M = window.mailhop, { P, U, el, sv, put, tr, raw, say, icon, chKey, chText, roleGloss, steps, cur, talk, LANES, CHANNELS } = M;
M.strings({
  en: {
    lanes: ['Sender side', 'Internet', 'Recipient side'],
    roles: { mua: 'mail client', msa: 'submission server', mta: 'mail server', smarthost: 'smarthost', 'spam-filter': 'spam filter', 'secondary-mx': 'backup MX', gateway: 'gateway', mda: 'mailbox server', attacker: 'attacker on the path' },
    rolesShort: { mua: 'client', msa: 'submission', mta: 'server', smarthost: 'smarthost', 'spam-filter': 'spam filter', 'secondary-mx': 'backup MX', gateway: 'gateway', mda: 'mailboxes', attacker: 'attacker' },
    topology: 'Machines on the path of the message', readable: 'readable copy', readableN: '{n} readable copies', unreadable: 'copy, not readable',
    pwEdge: 'password in plaintext', envelope: 'message {m} on its way', failed: 'failed attempt',
    journey: 'Whole journey so far', heldBefore: 'held a readable copy', jA1: '1 server held a readable copy', jA: '{n} servers held a readable copy',
    jD1: '1 device of the recipient has one too', jD: '{n} devices of the recipient have one too', ownCopy: 'recipient\'s copy', ownCopyN: '{n} of the recipient\'s copies',
    jP1: '1 hop in plaintext', jP: '{n} hops in plaintext', jE1: '1 hop encrypted', jE: '{n} hops encrypted',
  },
  pt: {
    lanes: ['Lado do remetente', 'Internet', 'Lado do destinatário'],
    roles: { mua: 'cliente de e-mail', msa: 'servidor de submissão', mta: 'servidor de e-mail', smarthost: 'smarthost', 'spam-filter': 'filtro antispam', 'secondary-mx': 'MX reserva', gateway: 'gateway', mda: 'servidor de caixas postais', attacker: 'atacante no caminho' },
    rolesShort: { mua: 'cliente', msa: 'submissão', mta: 'servidor', smarthost: 'smarthost', 'spam-filter': 'antispam', 'secondary-mx': 'MX reserva', gateway: 'gateway', mda: 'caixas postais', attacker: 'atacante' },
    topology: 'Máquinas no caminho da mensagem', readable: 'cópia legível', readableN: '{n} cópias legíveis', unreadable: 'cópia ilegível',
    pwEdge: 'senha em texto claro', envelope: 'mensagem {m} a caminho', failed: 'tentativa que falhou',
    journey: 'Toda a viagem até aqui', heldBefore: 'guardou cópia legível', jA1: '1 servidor guardou uma cópia legível', jA: '{n} servidores guardaram uma cópia legível',
    jD1: '1 aparelho do destinatário também tem uma', jD: '{n} aparelhos do destinatário também têm uma', ownCopy: 'cópia do destinatário', ownCopyN: '{n} cópias do destinatário',
    jP1: '1 salto em texto claro', jP: '{n} saltos em texto claro', jE1: '1 salto cifrado', jE: '{n} saltos cifrados',
  },
});
/* The journey view is on at the end unless the student says otherwise. */
const journeyOn = () => P.journey ?? cur().kind === 'end';

const r1 = v => Math.round(v * 10) / 10;
const cubic = (p0, p3, c1, c2) => [p0, c1, c2, p3];
const hsep = (A, Z, dir) => { const p0 = [dir > 0 ? A.x + A.w : A.x, A.y + A.h / 2], p3 = [dir > 0 ? Z.x - 2 : Z.x + Z.w + 2, Z.y + Z.h / 2], dx = (p3[0] - p0[0]) / 2; return cubic(p0, p3, [p0[0] + dx, p0[1]], [p3[0] - dx, p3[1]]); };
const bulge = (A, Z, side, b) => { const x = side > 0 ? A.x + A.w : A.x, y0 = A.y + A.h / 2, y1 = Z.y + Z.h / 2; return cubic([x, y0], [x + 2 * side, y1], [x + b * side, y0], [x + b * side, y1]); };
/* Wide screens: three lanes side by side, nodes stacked in each lane. */
function layoutLanes(lanes, avail) {
  const maxN = Math.max(1, ...lanes.map(a => a.length)), bh = maxN > 3 ? 46 : 52, gap = maxN > 3 ? 24 : 32, top = 50;
  const H = top + maxN * (bh + gap) - gap + 16;
  // presenter mode scales the drawing up until it takes about half the screen height
  const W = Math.round(P.present ? Math.min(avail, Math.max(780, avail * H / (innerHeight * 0.5))) : Math.max(600, Math.min(avail, 900)));
  const pad = 30, laneW = (W - 2 * pad) / 3, bw = Math.min(laneW - 52, 236), pos = new Map();
  lanes.forEach((arr, li) => arr.forEach((n, k) => pos.set(n.name, { x: pad + li * laneW + (laneW - bw) / 2, y: top + (maxN - arr.length) * (bh + gap) / 2 + k * (bh + gap), w: bw, h: bh, li })));
  const bgs = [0, 1, 2].map(li => ({ li, x: li ? pad + li * laneW : 0, y: 0, w: laneW + (li === 1 ? 0 : pad), h: H, tx: pad + li * laneW + laneW / 2, ty: 28, anchor: 'middle' }));
  // a path from one side to the other that would pass behind a box of the middle lane bends into a gap above or below it
  const mids = () => [...pos.values()].filter(o => o.li === 1);
  const hits = p => mids().find(o => [3, 5, 7, 9, 11, 13, 15, 17].some(k => { const [x, y] = bez(p, k / 20); return x > o.x - 6 && x < o.x + o.w + 6 && y > o.y - 6 && y < o.y + o.h + 6; }));
  const around = (A, Z, p) => {
    const box = Math.abs(Z.li - A.li) === 2 && hits(p);
    if (!box) return p;
    const mid = (p[0][1] + p[3][1]) / 2, bent = t => { const m = (8 * t - p[0][1] - p[3][1]) / 6; return cubic(p[0], p[3], [p[1][0], m], [p[2][0], m]); };
    const up = box.y - gap / 2, down = box.y + box.h + gap / 2, sides = Math.abs(up - mid) <= Math.abs(down - mid) ? [-1, 1] : [1, -1];
    for (const k of [0, 1, 2, 3]) for (const side of sides) {
      const t = (side < 0 ? up : down) + side * k * gap / 2;
      if (t > top - 10 && t < H - 4 && !hits(bent(t))) return bent(t);
    }
    return p;
  };
  const geo = (A, Z) => (A.li === Z.li ? bulge(A, Z, A.li ? 1 : -1, 46) : around(A, Z, hsep(A, Z, Z.li > A.li ? 1 : -1)));
  return { W, H, pos, geo, bgs, bh };
}
/* Phones: the lanes become bands from top to bottom, two nodes per row. */
function layoutBands(lanes, avail) {
  // rows of a band leave room between them for the U joining two boxes side by side, its channel mark, and a hop down to the next row
  const W = Math.max(300, Math.round(avail)), bh = 48, gx = 18, gy = 58, pad = 12, bw = (W - 2 * pad - gx) / 2, pos = new Map(), bgs = [];
  let y = 0;
  lanes.forEach((arr, li) => {
    arr.forEach((n, k) => {
      const row = k >> 1, single = arr.length - row * 2 === 1;
      pos.set(n.name, { x: single ? (W - bw) / 2 : pad + (k % 2) * (bw + gx), y: y + 34 + row * (bh + gy), w: bw, h: bh, li });
    });
    // room under the last row for the U between two boxes side by side and its channel mark
    const h = 60 + (arr.length ? Math.ceil(arr.length / 2) * (bh + gy) - gy + 22 : 0);
    bgs.push({ li, x: 0, y, w: W, h, tx: 10, ty: y + 20, anchor: 'start' });
    y += h;
  });
  const all = [...pos.values()], cx = b => b.x + b.w / 2, cy = b => b.y + b.h / 2;
  const geo = (A, Z) => {
    // side by side: a U under both boxes, so the channel mark has room
  if (Math.abs(cy(A) - cy(Z)) < 1) { const y = A.y + A.h; return cubic([cx(A), y], [cx(Z), y + 2], [cx(A), y + 30], [cx(Z), y + 30]); }
    const dn = cy(Z) > cy(A) ? 1 : -1;
    if (Math.abs(cx(A) - cx(Z)) < 1 && all.some(o => Math.abs(cx(o) - cx(A)) < 1 && (cy(o) - cy(A)) * dn > 1 && (cy(Z) - cy(o)) * dn > 1)) return bulge(A, Z, cx(A) < W / 2 ? -1 : 1, 40);
    const p0 = [cx(A), dn > 0 ? A.y + A.h : A.y], p3 = [cx(Z), dn > 0 ? Z.y - 2 : Z.y + Z.h + 2], dy = (p3[1] - p0[1]) / 2;
    return cubic(p0, p3, [p0[0], p0[1] + dy], [p3[0], p3[1] - dy]);
  };
  return { W, H: y, pos, geo, bgs, bh, compact: true };
}
const isDown = (name, t) => (P.data.downtime || []).some(w => w.node === name && t >= w.from && (w.until == null || t < w.until));
const bez = (p, t) => { const u = 1 - t; return [0, 1].map(i => u * u * u * p[0][i] + 3 * u * u * t * p[1][i] + 3 * u * t * t * p[2][i] + t * t * t * p[3][i]); };
const dOf = p => 'M' + p[0].map(r1) + 'C' + p.slice(1).map(q => q.map(r1)).join(' ');

function drawTopo(animate) {
  cancelAnimationFrame(P.raf);
  const D = P.data, st = cur(), h = st.hop, ses = st.session, wrap = U.topo;
  if (!wrap) return;
  const avail = wrap.clientWidth || 720, lanes = LANES.map(l => (D.nodes || []).filter(n => (LANES.includes(n.lane) ? n.lane : 'internet') === l));
  const L = avail < 600 ? layoutBands(lanes, avail) : layoutLanes(lanes, avail), { W, H, pos, bh } = L;
  const geo = (a, b) => (pos.get(a) && pos.get(b) && a !== b ? L.geo(pos.get(a), pos.get(b)) : null);
  const svg = sv('svg.topo' + (L.compact ? '.compact' : ''), { tid: 'topology', viewBox: `0 0 ${W} ${H}`, role: 'group', 'aria-label': tr('topology') },
    sv('defs', null, [...CHANNELS, 'past'].map(k => sv('marker.mk.mk-' + k, { id: 'mh-a-' + k, viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 11, markerHeight: 11, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' }, sv('path', { d: 'M0 1L9 5L0 9z' })))),
    L.bgs.map(g => sv('rect.lane' + (g.li === 1 ? '.mid' : ''), { x: g.x, y: g.y, width: g.w, height: g.h })));
  // the lanes' names go on top of the lines, with a halo of their lane's colour, so a line crossing one never hides it
  const titles = L.bgs.map(g => sv('text.lane-title' + (g.li === 1 ? '.mid' : ''), { x: g.tx, y: g.ty, 'text-anchor': g.anchor }, raw('lanes')[g.li]));

  // hops already made, in grey; then failed connection attempts of this step
  const done = new Set(h ? [h.from + '>' + h.to] : ses ? [ses.from + '!' + ses.to] : []);
  // in the journey view, each past hop keeps its channel's colour and every machine that held a readable copy stays marked
  const jon = journeyOn(), J = jon ? M.tallyNow() : null;
  const everHeld = new Set(J ? J.nodes.filter(x => x.body || x.headers).map(x => x.node) : []);
  for (const s of steps().slice(0, P.idx)) {
    const k = s.hop && s.hop.from + '>' + s.hop.to, p = k && !done.has(k) && geo(s.hop.from, s.hop.to);
    done.add(k);
    if (!p) continue;
    const ch = chKey(s.hop.channel);
    svg.append(jon ? sv('path.edge-past.ch-' + ch, { tid: 'journey-edge', 'data-channel': s.hop.channel, 'data-hop': s.hop.hop, d: dOf(p), 'marker-end': `url(#mh-a-${ch})` }, sv('title', null, s.hop.hop + ': ' + chText(s.hop)))
      : sv('path.edge-past', { d: dOf(p), 'marker-end': 'url(#mh-a-past)' }));
  }
  for (const e of st.events || []) {
    const k = e.kind === 'connect_failed' && e.node + '!' + e.peer, p = k && !done.has(k) && geo(e.node, e.peer);
    if (!p) continue;
    done.add(k);
    const [x, y] = bez(p, 0.8);
    svg.append(sv('g.edge-fail', { tid: 'edge-fail', 'data-node': e.node, 'data-peer': e.peer }, sv('title', null, tr('failed') + ': ' + say(e)), sv('path', { d: dOf(p) }), icon('x', null, { x: r1(x - 8), y: r1(y - 8), width: 16, height: 16 })));
  }

  // copies at rest on each machine: readable by its operator, sealed, or on the recipient's own device
  const holders = new Map();
  for (const x of st.holders || []) { const v = holders.get(x.node) || { r: 0, u: 0, o: 0 }; v[x.device ? 'o' : x.readable ? 'r' : 'u']++; holders.set(x.node, v); }
  for (const n of D.nodes || []) {
    const p = pos.get(n.name), down = isDown(n.name, st.t || 0), hv = holders.get(n.name), rd = hv && hv.r, role = raw('roles')[n.role] || n.role || '';
    const t = h || ses, active = (t && (t.from === n.name || t.to === n.name)) || (st.stored && st.stored.node === n.name);
    const held = everHeld.has(n.name);
    const own = hv && hv.o;
    svg.append(sv('g.node' + (down ? '.down' : '') + (active ? '.active' : '') + (rd ? '.readable' : '') + (own ? '.own' : '') + (held ? '.held' : ''),
      { tid: 'node', 'data-node': n.name, 'data-readable': rd ? 'true' : null, 'data-own': own ? 'true' : null, 'data-held': held ? 'true' : null, 'data-down': down && 'true', transform: `translate(${r1(p.x)},${r1(p.y)})` },
      sv('title', null, [n.name, role, n.address, down && tr('down')].filter(Boolean).join(' · ') + (roleGloss(n.role) ? '\n' + roleGloss(n.role) : '')),
      sv('rect.box', { width: r1(p.w), height: bh, rx: 8 }),
      sv('text.nname', { x: 12, y: bh / 2 - 3, 'data-fit': p.w - 22 }, n.name),
      sv('text.nrole', { x: 12, y: bh / 2 + 14, 'data-fit': p.w - 22, 'data-alt': [raw('rolesShort')[n.role] || role, n.address].filter(Boolean).join(' · ') }, n.address ? role + ' · ' + n.address : role),
      down && pill(L.compact, 'down', 'power', tr('down'), 10, 0),
      own && !rd ? pill(L.compact, 'own', 'disk', hv.o > 1 ? tr('ownCopyN', { n: hv.o }) : tr('ownCopy'), p.w - 10, 1, hv.o > 1 ? hv.o : '')
        : hv ? pill(L.compact, rd ? 'read' : 'sealed', 'disk', rd ? (rd > 1 ? tr('readableN', { n: rd }) : tr('readable')) : tr('unreadable'), p.w - 10, 1, rd > 1 ? rd : '')
          : held && pill(L.compact, 'was', 'disk', tr('heldBefore'), p.w - 10, 1)));
  }

  const q = ses && geo(ses.from, ses.to);
  if (q) {
    // a session that moved no message: the attempt, stopped short of the server
    const d = dOf(q), [x, y] = bez(q, 0.8), ch = chKey(ses.channel);
    svg.append(sv('g.edge-session.ch-' + ch, { tid: 'edge-session', 'data-code': ses.code || null, 'data-channel': ses.channel },
      sv('title', null, say(ses)), sv('path.edge-halo', { d }), sv('path.edge-line', { d }),
      icon('x', null, { x: r1(x - 9), y: r1(y - 9), width: 18, height: 18 }),
      ses.code && sv('text.edge-code', { x: r1(x), y: r1(y - 14), 'text-anchor': 'middle' }, ses.code)));
  }
  svg.append(...titles);
  const p = h && geo(h.from, h.to);
  let env = null;
  if (p) {
    const ch = chKey(h.channel), d = dOf(p), [mx, my] = bez(p, 0.5);
    svg.append(sv('g.edge.ch-' + ch, { tid: 'edge', 'data-channel': h.channel },
      sv('path.edge-halo', { d }), sv('path.edge-line', { d, 'marker-end': `url(#mh-a-${ch})` }),
      sv('g.edge-label', { transform: `translate(${r1(mx)},${r1(my)})` }, sv('circle.lab-bg', { r: 14 }), icon(ch, chText(h), { x: -9, y: -9, width: 18, height: 18 }))));
    if (M.passwordsOn(h).length) {
      const [kx, ky] = bez(p, 0.3);
      svg.append(sv('g.edge-password', { tid: 'edge-password', role: 'img', 'aria-label': tr('pwEdge'), transform: `translate(${r1(kx)},${r1(ky)})` }, sv('title', null, tr('pwEdge')),
        sv('circle', { r: 12 }), icon('key', null, { x: -8, y: -8, width: 16, height: 16 })));
    }
    svg.append(env = sv('g.envelope', { tid: 'envelope', role: 'img', 'aria-label': tr('envelope', { m: h.message || '' }) }, sv('rect', { x: -14, y: -10, width: 28, height: 20, rx: 3 }), sv('path', { d: 'M-11 -6L0 2L11 -6' })));
  }
  put(wrap, svg);
  fitTexts(svg);
  if (env) moveEnvelope(env, p, animate);
}
/* A badge on a box's top edge. On a phone (compact) it keeps only its icon (and a count), so a
   hop's arrowhead arriving at the top of the box stays visible; the words are its name and tooltip. */
const pill = (compact, cls, ic, text, x, end, short) => sv('g.pill.pill-' + cls, { 'data-x': x, 'data-end': end, role: 'img', 'aria-label': text },
  sv('rect', { y: -10, height: 20, rx: 10, width: 10 }), icon(ic, null, { x: 0, y: -6, width: 12, height: 12 }), sv('text', { y: 4 }, compact ? short ?? '' : text), sv('title', null, text));
/* Once the SVG is in the document: shorten what does not fit, size the pills. */
function fitTexts(svg) {
  try {
    for (const t of svg.querySelectorAll('text[data-fit]')) {
      // shrink a little first; then the shorter form (for a node: a short role, the address kept); then shrink again
      const max = Number(t.dataset.fit), long = () => t.getComputedTextLength() > max, fs0 = parseFloat(getComputedStyle(t).fontSize) || 12;
      const shrink = () => { for (let fs = fs0; fs > 10 && long();) { fs -= 0.5; t.style.fontSize = fs + 'px'; } };
      shrink();
      if (long() && t.dataset.alt) { t.style.fontSize = ''; t.textContent = t.dataset.alt; shrink(); }
      for (let s = t.textContent; s.length > 3 && long();) { s = s.slice(0, -1); t.textContent = s + '…'; }
    }
    for (const g of svg.querySelectorAll('.pill')) {
      const [r, ic, tx] = g.children, w = tx.textContent ? tx.getComputedTextLength() + 32 : 26, x0 = Number(g.dataset.x) - (g.dataset.end === '1' ? w : 0);
      r.setAttribute('x', x0); r.setAttribute('width', w); ic.setAttribute('x', x0 + 7); tx.setAttribute('x', x0 + 24);
    }
  } catch (e) { /* not rendered: keep the estimates */ }
}
function moveEnvelope(env, p, animate) {
  const place = k => { const [x, y] = bez(p, 0.12 + 0.76 * k); env.setAttribute('transform', `translate(${r1(x)},${r1(y)})`); };
  const dur = M.envDur();
  let t0 = 0;
  const tick = now => {
    t0 = t0 || now;
    const k = Math.min(1, (now - t0) / dur);
    place(k < 0.5 ? 2 * k * k : 1 - (2 - 2 * k) ** 2 / 2);
    if (k < 1) P.raf = requestAnimationFrame(tick);
  };
  place(animate && dur ? 0 : 1);
  if (animate && dur) P.raf = requestAnimationFrame(tick);
}

function paintJourney() {
  const on = journeyOn(), T = on && M.tallyNow();
  U.journey.checked = on;
  U.jcount.hidden = !on;
  if (!on) { U.jcount.textContent = ''; return; }
  const n = (k, v) => tr(v === 1 ? k + '1' : k, { n: v }), plain = T.links.filter(l => l.channel === 'plaintext').length;
  U.jcount.textContent = [n('jA', T.a), T.e && n('jD', T.e), n('jP', plain), n('jE', T.links.length - plain)].filter(Boolean).join(' · ');
}

M.part({ id: 'diagram', slot: 'figure', order: 10, build: () => (U.topo = el('div.topo-wrap')), render: (st, moved) => drawTopo(moved), resize: () => drawTopo(false) });
M.part({
  id: 'journey', slot: 'switches', order: 10,
  build: () => [
    el('label.switch', { for: 'mh-journey' }, U.journey = el('input', { type: 'checkbox', role: 'switch', id: 'mh-journey', tid: 'journey-toggle',
      onchange: () => { P.journey = U.journey.checked; paintJourney(); drawTopo(false); } }), el('span', null, tr('journey'))),
    U.jcount = el('span.journey-counts', { tid: 'journey-counts' })],
  render: paintJourney,
});
})();
