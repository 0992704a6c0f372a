/* The player's core: state, loading, the page frame, stepping, playback, presenter mode, keys.
   Everything the page shows besides the step's head, caption and controls is a part,
   registered with mailhop.part (docs/player.md, "Parts"); the core never names one. */
(() => {
'use strict';
const M = window.mailhop, { el, put, tr, loc, say, icon, fmtT, fmtCal, chKey, chText, gloss, query } = M;
const doc = document, B = doc.body;
M.strings({
  en: {
    gallery: 'All scenarios', loading: 'Loading the scenario…', loadFail: 'Could not load this scenario.',
    problemsTitle: 'This scenario file has problems', problemsWatch: 'Fix the file and save it: this page updates by itself.', problemsHint: 'Fix the file, then reload this page.',
    step: 'Step {n} of {m}', virtual: 'virtual time since the start', controls: 'Step controls',
    first: 'First step', prev: 'Previous', next: 'Next', last: 'Last step', play: 'Play', pause: 'Pause', speed: 'Speed',
    present: 'Present', leave: 'Leave presenter mode', presentHint: 'Presenter mode: press Esc to leave',
  },
  pt: {
    gallery: 'Todos os cenários', loading: 'Carregando o cenário…', loadFail: 'Não foi possível carregar este cenário.',
    problemsTitle: 'Este arquivo de cenário tem problemas', problemsWatch: 'Corrija o arquivo e salve: esta página se atualiza sozinha.', problemsHint: 'Corrija o arquivo e recarregue esta página.',
    step: 'Passo {n} de {m}', virtual: 'tempo virtual desde o início', controls: 'Controles dos passos',
    first: 'Primeiro passo', prev: 'Anterior', next: 'Próximo', last: 'Último passo', play: 'Reproduzir', pause: 'Pausar', speed: 'Velocidade',
    present: 'Apresentar', leave: 'Sair do modo apresentação', presentHint: 'Modo apresentação: aperte Esc para sair',
  },
});

/* ---------- state ---------- */
const root = doc.getElementById('player') || B, isExport = B.dataset.export === '1';
const reduced = matchMedia('(prefers-reduced-motion: reduce)');
/* P: what the student did and where the page is; parts keep their own fields here too. U: the elements of the current page (emptied when it is rebuilt). */
const P = { ev: -1, data: null, text: '', idx: 0, playing: false, speed: 1, present: false, changed: false, busy: false, problems: null, error: null, timer: 0 };
const U = {};
const sid = () => B.dataset.id || (P.data && P.data.id) || '';
const steps = () => P.data.steps || [], cur = () => steps()[P.idx] || {}, lastIdx = () => Math.max(0, steps().length - 1);
const watching = () => B.dataset.watch === '1' && !isExport;
/* What a step is about: its hop, or its session that moved no message (same fields for the channel and the conversation). */
const talk = st => st.hop || st.session || null;

/* ---------- parts ---------- */
const parts = [];
const SLOTS = ['top', 'figure', 'switches', 'prompt', 'stage', 'panels'];
/* Register a part; one registered after the page is up rebuilds it. */
function part(def) {
  if (!def || typeof def.id !== 'string' || !SLOTS.includes(def.slot)) throw new Error('mailhop.part: needs an id and a slot (' + SLOTS.join(', ') + ')');
  if (parts.some(p => p.id === def.id)) throw new Error('mailhop.part: ' + def.id + ' is already registered');
  parts.push(def);
  parts.sort((a, b) => (a.order || 0) - (b.order || 0));
  if (U.label) refresh();
}
/* Call hook `name` on every part that has it, in order. */
const each = (name, ...args) => { for (const p of parts) if (typeof p[name] === 'function') p[name](...args); };
const built = slot => parts.filter(p => p.slot === slot && p.build).map(p => p.build()).filter(Boolean);
const clearPage = () => { each('unmount'); for (const k of Object.keys(U)) delete U[k]; };

/* #step=N counts from 1, as the label "Step N of M" does; a what-if adds `&w=` (P.wq, set by whatif.js). */
const readHash = () => { const m = /(?:^#|&)step=(\d{1,9})/.exec(location.hash); return m ? Math.max(0, Number(m[1]) - 1) : null; };
function writeHash() {
  const h = '#step=' + (P.idx + 1) + (P.changed && P.wq ? '&w=' + P.wq : '');
  if (location.hash !== h) try { history.replaceState(null, '', location.pathname + location.search + h); } catch (e) { location.hash = h; }
}

/* ---------- loading ---------- */
async function fetchData() {
  const r = await fetch('/api/s/' + encodeURIComponent(sid()), { cache: 'no-store', headers: { Accept: 'application/json' } });
  return { status: r.status, ok: r.ok, text: await r.text() };
}
const parse = t => { try { return JSON.parse(t); } catch (e) { return null; } };
function handle(res) {
  const j = parse(res.text);
  P.text = res.text;
  P.problems = P.error = null;
  if (res.status === 422 && j && Array.isArray(j.problems)) { P.problems = j.problems; setPlay(false); showProblems(); }
  else if (!res.ok || !j || !Array.isArray(j.steps)) { P.error = (j && j.error) || 'HTTP ' + res.status; showError(); }
  else setData(j);
}
function setData(j) {
  const first = !P.data;
  P.data = j;
  each('load', first);
  if (first) P.idx = readHash() || 0;
  P.idx = Math.min(Math.max(0, P.idx), lastIdx());
  mount();
  writeHash();
  if (first && query.get('present') === '1') setPresent(true);
  each('ready', first);
}
async function load() {
  if (isExport) { const s = doc.getElementById('mailhop-data'); handle({ status: 200, ok: true, text: s ? s.textContent : '' }); return; }
  showMessage(tr('loading'));
  try { handle(await fetchData()); } catch (e) { P.error = e.message; showError(); }
  if (watching()) setInterval(poll, 2000);
}
async function poll() {
  if (P.changed || P.busy || doc.hidden) return;
  try { const res = await fetchData(); if (res.text !== P.text && !P.changed) handle(res); } catch (e) { /* server restarting: try again later */ }
}

/* ---------- simple views ---------- */
function bar(title) {
  const lb = U.lang = el('button.btn.lang', { tid: 'lang', onclick: () => { M.switchLang(); refresh(); } });
  M.paintLang(lb);
  const brand = isExport ? el('span.brand', null, 'mailhop') : el('a.brand', { href: '/', title: tr('gallery') }, 'mailhop');
  return el('header.bar', null, brand, el('h1.title', null, title), el('div.bar-actions', null, U.present, lb));
}
const notice = (...kids) => { clearPage(); put(root, bar(sid()), el('main.notice-view', null, kids)); };
const showMessage = text => notice(el('p.notice', { role: 'status' }, text));
const showError = () => notice(el('p.notice.error', { role: 'alert' }, tr('loadFail'), ' ', el('span.detail', null, P.error || '')));
const showProblems = () => notice(el('h2', null, tr('problemsTitle')), el('p', null, tr(watching() ? 'problemsWatch' : 'problemsHint')),
  el('pre.problems', { tid: 'problems' }, P.problems.map(p => [el('span.problem', null, String(p)), '\n'])));
function refresh() {
  const fk = focusKey();
  if (P.problems) showProblems(); else if (P.data) mount(); else if (P.error) showError(); else showMessage(tr('loading'));
  restoreFocus(fk);
}
function focusKey() {
  const a = doc.activeElement, t = a && root.contains(a) && a.getAttribute('data-testid');
  if (t) return `[data-testid="${t}"]` + (a.dataset.toggle ? `[data-toggle="${CSS.escape(a.dataset.toggle)}"]` : '');
  return a && a.id && root.contains(a) ? '#' + CSS.escape(a.id) : null;
}
function restoreFocus(k) { const e = k && root.querySelector(k); if (e) e.focus({ preventScroll: true }); }

/* ---------- the page: head, parts, caption, controls ---------- */
/* A titled block of the stage, and a panel's heading. */
const block = (id, title, body) => el('section.block', { 'aria-labelledby': id }, el('h2', { id }, title), body);
const heading = id => el('h2', { id: 'h-' + id }, tr(id));
function mount() {
  const D = P.data, fk = focusKey();
  clearPage();
  U.present = el('button.btn', { tid: 'present', 'aria-pressed': String(P.present), onclick: () => setPresent(!P.present) }, icon('screen'), el('span.lbl'));
  paintPresent();
  const head = bar(loc(D.title));
  head.querySelector('h1').title = loc(D.description);
  const ctl = (tid, ic, iconOnly, fn) => (U[tid] = el('button.btn' + (iconOnly ? '.icon-only' : ''), { tid, 'aria-label': iconOnly && tr(ic), title: tr(ic), onclick: () => U[tid].getAttribute('aria-disabled') || fn() },
    icon(ic), !iconOnly && el('span.lbl', null, tr(ic))));
  U['btn-play'] = el('button.btn.primary', { tid: 'btn-play', onclick: () => setPlay(!P.playing) });
  U.speed = el('select', { tid: 'speed', id: 'mh-speed', onchange: () => { P.speed = Number(U.speed.value) || 1; if (P.playing) schedule(); } },
    ['0.5', '1', '2'].map(v => el('option', { value: v }, (M.lang() === 'pt' ? v.replace('.', ',') : v) + '×')));
  U.speed.value = String(P.speed);
  paintPlay();

  const stage = el('section.stage', null,
    el('div.stephead', null, U.label = el('span.steplabel', { tid: 'step-label' }), U.vt = el('span.vt', { title: tr('virtual') }), U.cal = el('span.cal')),
    el('div.steprow', null, U.title = el('h2.steptitle'),
      U.chanBox = el('span.chan', null, U.chanIcon = el('span.chan-ic'), U.chan = el('span', { tid: 'hop-channel' }), U.hopMeta = el('span.hopmeta'))),
    built('figure'), el('div.journey-row', null, built('switches')), built('prompt'),
    U.caption = el('p.caption', { tid: 'caption', 'aria-live': 'polite' }),
    el('div.controls', { role: 'group', 'aria-label': tr('controls') },
      ctl('btn-first', 'first', true, () => userGo(0)), ctl('btn-prev', 'prev', false, () => userGo(P.idx - 1)), U['btn-play'],
      ctl('btn-next', 'next', false, () => userGo(P.idx + 1)), ctl('btn-last', 'last', true, () => userGo(lastIdx())),
      el('label.speed', { for: 'mh-speed' }, el('span', null, tr('speed')), U.speed)),
    built('stage'),
    U.hint = el('div.present-hint', { role: 'status' }));
  put(root, head, built('top'), el('main.layout', null, stage, el('div.panels', null, built('panels'))));
  each('mounted');
  render(false);
  restoreFocus(fk);
}
function paintPlay() {
  const b = U['btn-play'];
  if (!b) return;
  put(b, icon(P.playing ? 'pause' : 'play'), el('span.lbl', null, tr(P.playing ? 'pause' : 'play')));
  b.setAttribute('aria-pressed', String(P.playing));
}
/* Paint the current step: the core's head, caption and controls, then every part. `moved` animates the hop. */
function render(moved) {
  const st = cur(), h = talk(st), n = steps().length;
  U.label.textContent = tr('step', { n: P.idx + 1, m: n });
  U.vt.textContent = fmtT(st.t);
  U.cal.textContent = fmtCal(P.data.start, st.t);
  U.title.textContent = loc(st.title);
  U.chanBox.hidden = !h;
  U.chan.textContent = h ? chText(h) : '';
  if (h) {
    U.chanBox.className = 'chan ch-' + chKey(h.channel);
    U.chanBox.title = gloss(h.channel === 'plaintext' ? 'STARTTLS' : 'TLS');
    put(U.chanIcon, icon(chKey(h.channel)));
    U.hopMeta.textContent = [h.protocol, h.tls_version].filter(Boolean).join(' · ');
  }
  // captions describe the scenario as written; in a what-if world hops and the end speak for themselves
  const auto = h ? say(h) + '.' : st.stored ? say(st.stored) + '.' : st.kind === 'end' ? M.summary(M.tally(Infinity, Infinity)) : '';
  const cap = (P.changed && auto) || loc(st.caption) || auto;
  U.caption.textContent = cap;
  U.caption.classList.toggle('empty', !cap);
  for (const [k, off] of [['btn-first', !P.idx], ['btn-prev', !P.idx], ['btn-next', P.idx >= n - 1], ['btn-last', P.idx >= n - 1]]) {
    if (off) U[k].setAttribute('aria-disabled', 'true'); else U[k].removeAttribute('aria-disabled');
  }
  each('render', st, moved);
}
function go(i) {
  i = Math.min(Math.max(0, Number(i) || 0), lastIdx());
  const moved = i !== P.idx;
  if (moved) P.ev = -1;
  P.idx = i;
  writeHash();
  render(moved);
}
/* A move the student asked for: a part may stop it (predict mode asks first). */
function userGo(i) {
  if (parts.some(p => typeof p.intercept === 'function' && p.intercept(i))) return;
  go(i);
  if (P.playing) schedule();
}
/* The current event inside the step changed (stepping event by event, or a row of the event list). */
function setEvent(k) {
  const n = (cur().events || []).length;
  P.ev = Math.min(n - 1, Math.max(-1, k));
  each('event');
}

/* ---------- playback ---------- */
const envDur = () => (reduced.matches ? 0 : 1400 / P.speed);
const pace = () => (2500 + 50 * loc(cur().caption).length) / P.speed + envDur();
function schedule() {
  clearTimeout(P.timer);
  if (!P.playing) return;
  if (P.idx >= lastIdx()) setPlay(false);
  else P.timer = setTimeout(() => { go(P.idx + 1); schedule(); }, pace());
}
function setPlay(on) {
  clearTimeout(P.timer);
  P.playing = !!on && !!P.data;
  paintPlay();
  if (!P.playing) return;
  if (P.idx >= lastIdx()) go(0);
  schedule();
}
function paintPresent() { const t = tr(P.present ? 'leave' : 'present'); U.present.lastChild.textContent = t; U.present.setAttribute('aria-label', t); U.present.title = t; }
function setPresent(on) {
  if (!U.present) return;
  P.present = on;
  B.classList.toggle('presenting', on);
  U.present.setAttribute('aria-pressed', String(on));
  paintPresent();
  each('resize');
  if (on) {
    U.hint.textContent = tr('presentHint');
    U.hint.classList.add('show');
    setTimeout(() => U.hint && U.hint.classList.remove('show'), 3500);
  }
  setPlay(on);
}

/* ---------- keyboard, hash, resize ---------- */
function onKey(e) {
  if (!P.data || !U.label || e.altKey || e.ctrlKey || e.metaKey) return;
  const tg = e.target, tag = tg.tagName || '';
  if (e.key === 'Escape' && P.present) { setPresent(false); e.preventDefault(); return; }
  if (tg.isContentEditable || tag === 'TEXTAREA' || tag === 'SELECT' || (tag === 'INPUT' && !['checkbox', 'radio'].includes(tg.type))) return;
  const keys = Object.assign({}, ...parts.map(p => p.keys || {}), { ArrowRight: () => userGo(P.idx + 1), ArrowLeft: () => userGo(P.idx - 1), Home: () => userGo(0), End: () => userGo(lastIdx()), ' ': () => setPlay(!P.playing) });
  // space keeps its own meaning on buttons, links and checkboxes
  if (!keys[e.key] || (e.key === ' ' && ['BUTTON', 'A', 'SUMMARY', 'INPUT'].includes(tag))) return;
  keys[e.key]();
  e.preventDefault();
}
/* Start the page: the gallery only needs the language switch. Called once, by start.js, after every file has registered its parts. */
function start() {
  M.applyLang();
  if (B.dataset.page === 'gallery') {
    const b = doc.querySelector('[data-testid="lang"]');
    if (b) { M.paintLang(b); b.hidden = false; b.addEventListener('click', () => { M.switchLang(); M.paintLang(b); }); }
    return;
  }
  if (B.dataset.page !== 'player') return;
  doc.addEventListener('keydown', onKey);
  addEventListener('hashchange', () => { const n = readHash(); if (U.label && n != null && n !== P.idx) userGo(n); });
  let rz = 0;
  addEventListener('resize', () => { cancelAnimationFrame(rz); rz = requestAnimationFrame(() => { if (U.label) each('resize'); }); });
  load();
}

Object.assign(M, {
  P, U, root, isExport, reduced, sid, steps, cur, lastIdx, watching, talk, part, parts, each, fetchData, parse, handle, setData, refresh, mount,
  block, heading, go, userGo, setEvent, setPlay, schedule, envDur, writeHash, start,
});
})();
