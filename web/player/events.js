/* What happened: the step's own events (the log under the timeline, stepped one by one with
   [ and ]) and the event list of the whole run, filtered by machine, message and kind. */
(() => {
'use strict';
const M = window.mailhop, { P, U, el, put, tr, say, icon, fmtT, kindName, steps, cur, userGo, setEvent, block } = M;
M.strings({
  en: {
    events: 'What happened since the previous step', noEvents: 'Nothing else happened.', evPrev: 'Previous event', evNext: 'Next event',
    eventlist: 'All events of the run', evAll: 'all', evNode: 'Machine', evMessage: 'Message', evKind: 'Kind', evCount: '{n} of {m} events; choose one to go to its step',
  },
  pt: {
    events: 'O que aconteceu desde o passo anterior', noEvents: 'Nada mais aconteceu.', evPrev: 'Evento anterior', evNext: 'Próximo evento',
    eventlist: 'Todos os eventos da execução', evAll: 'todos', evNode: 'Máquina', evMessage: 'Mensagem', evKind: 'Tipo', evCount: '{n} de {m} eventos; escolha um para ir ao passo dele',
  },
});
/* The step's events; the current one (P.ev) is marked and the timeline shows its moment. */
function renderLog() {
  const evs = cur().events || [];
  if (P.ev >= evs.length) P.ev = -1;
  U.evPrev.disabled = P.ev < 0;
  U.evNext.disabled = P.ev >= evs.length - 1;
  put(U.log, evs.length ? evs.map((e, k) => el('li.k-' + e.kind + (k === P.ev ? '.cur' : ''), { tid: 'log-event', 'aria-current': k === P.ev ? 'true' : null }, el('span.when', null, fmtT(e.t)), el('span.kind', null, kindName(e.kind)),
    el('span.what', null, say(e)))) : el('li.empty', null, tr('noEvents')));
}
/* The event list: every event of the run in time order, filterable, each linked to its step. */
function allEvents() {
  const out = [];
  steps().forEach((s, i) => {
    (s.events || []).forEach((e, k) => out.push({ e, step: i, k }));
    const x = s.hop || s.session || s.stored;
    if (x) out.push({ e: { t: s.t, kind: s.kind, node: x.from || x.node, peer: x.to || null, message: s.hop ? s.hop.message : null, text: x.text, text_pt: x.text_pt }, step: i, k: -1 });
  });
  return out;
}
function buildEventList() {
  const all = U.evAll = allEvents(), f = P.evf || (P.evf = { node: '', message: '', kind: '' });
  const opts = (key, vals, label) => el('label.evf', null, el('span', null, label), el('select', { tid: 'event-filter-' + key, onchange: e => { f[key] = e.target.value; fillEventList(); } },
    el('option', { value: '' }, tr('evAll')), [...new Set(vals.filter(Boolean))].sort().map(v => el('option', { value: v, selected: f[key] === v }, key === 'kind' ? kindName(v) : v))));
  const section = el('section.panel', { id: 'p-eventlist', tid: 'event-list', 'aria-labelledby': 'h-eventlist' }, el('h2', { id: 'h-eventlist' }, tr('eventlist')),
    el('div.evfilters', null, opts('node', all.flatMap(x => [x.e.node, x.e.peer]), tr('evNode')), opts('message', all.map(x => x.e.message), tr('evMessage')), opts('kind', all.map(x => x.e.kind), tr('evKind'))),
    U.evCount = el('p.muted'), U.evList = el('ol.evlist', { tid: 'event-list-rows' }));
  fillEventList();
  return section;
}
/* Rows for the filters as they are (on mount and when a filter changes). */
function fillEventList() {
  const f = P.evf, rows = U.evAll.filter(({ e }) => (!f.node || e.node === f.node || e.peer === f.node) && (!f.message || e.message === f.message) && (!f.kind || e.kind === f.kind));
  U.evCount.textContent = tr('evCount', { n: rows.length, m: U.evAll.length });
  U.evRows = rows.slice(0, 2000).map(({ e, step, k }) => ({ step, k, li: el('li', null,
    el('button.evrow', { tid: 'event-row', 'data-step': step, 'data-kind': e.kind, 'data-node': e.node || '', onclick: () => { userGo(step); if (P.idx === step) setEvent(k); } },
      el('span.when', null, fmtT(e.t)), el('span.kind', null, kindName(e.kind)), el('span.what', null, say(e)))) }));
  put(U.evList, U.evRows.map(r => r.li));
  paintEventList();
}
/* Which rows belong to the current step, and which is the current event: classes only, the rows stay. */
function paintEventList() {
  for (const r of U.evRows || []) {
    r.li.classList.toggle('here', r.step === P.idx);
    r.li.classList.toggle('cur', r.step === P.idx && r.k === P.ev);
  }
}

M.part({
  id: 'log', slot: 'stage', order: 20,
  build: () => block('h-log', tr('events'), [el('div.evstep', null,
    U.evPrev = el('button.btn.small', { tid: 'ev-prev', onclick: () => setEvent(P.ev - 1) }, icon('prev'), el('span.lbl', null, tr('evPrev'))),
    U.evNext = el('button.btn.small', { tid: 'ev-next', onclick: () => setEvent(P.ev + 1) }, el('span.lbl', null, tr('evNext')), icon('next'))), U.log = el('ul.log')]),
  render: renderLog, event: renderLog, keys: { ']': () => setEvent(P.ev + 1), '[': () => setEvent(P.ev - 1) },
});
M.part({ id: 'eventlist', slot: 'panels', order: 50, build: buildEventList, render: paintEventList, event: paintEventList });
})();
