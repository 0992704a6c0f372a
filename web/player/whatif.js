/* What if…: switches for the scenario's faults, STARTTLS and relays, and the message itself; the
   server runs the changed world and answers new player data. The change travels in the address
   (`&w=`), so a link reopens the same run, and the page stays at the same moment by meaning. */
(() => {
'use strict';
const M = window.mailhop, { P, U, el, tr, loc, root, isExport, sid, cur, fetchData, parse, handle, setData, heading } = M;
M.strings({
  en: {
    whatif: 'What if…', whatifIntro: 'Change the world and run it again; you stay at the same step.',
    compose: 'The message', subject: 'Subject', text: 'Text', apply: 'Apply', reset: 'Back to the scenario as written',
    running: 'Running the changed scenario…', changed: 'What if: you are looking at a changed version of this scenario.', failedReq: 'That did not work: {e}', done: 'Done: showing the changed scenario.',
    busyServer: 'the server is busy with other students’ what-ifs; try again in a few seconds', oneAtATime: 'your previous what-if is still running; wait for it, then try again',
  },
  pt: {
    whatif: 'E se…?', whatifIntro: 'Mude o mundo e rode de novo; você continua no mesmo passo.',
    compose: 'A mensagem', subject: 'Assunto', text: 'Texto', apply: 'Aplicar', reset: 'Voltar ao cenário original',
    running: 'Rodando o cenário alterado…', changed: 'E se: você está vendo uma versão alterada deste cenário.', failedReq: 'Não deu certo: {e}', done: 'Pronto: mostrando o cenário alterado.',
    busyServer: 'o servidor está ocupado com os “e se” de outros alunos; tente de novo em alguns segundos', oneAtATime: 'seu “e se” anterior ainda está rodando; espere terminar e tente de novo',
  },
});
Object.assign(P, { base: null, baseText: {}, sel: null, wq: null, again: false, draft: null, keepIdx: false, pending: null });
/* What-if changes travel in the address too (`&w=`, base64url JSON of what differs from the scenario as written), so a link reproduces the run. */
const b64url = {
  enc: o => { let b = ''; for (const x of new TextEncoder().encode(JSON.stringify(o))) b += String.fromCharCode(x); return btoa(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''); },
  dec: v => { try { return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(v.replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0)))); } catch (e) { return null; } },
};
const readWhatifHash = () => { const m = /(?:^#|&)w=([A-Za-z0-9_-]{1,8000})/.exec(location.hash); const o = m && b64url.dec(m[1]); return o && typeof o === 'object' ? o : null; };
/* A step's meaning, to find the same moment in a changed world: the same hop or session by its message and ends, the same copy by its node. */
const meaning = st => {
  const x = st.hop || st.session;
  return { kind: st.kind, t: st.t || 0, m: st.hop ? st.hop.message : null, a: x ? x.from : st.stored ? st.stored.node : null, b: x ? x.to : st.stored ? st.stored.place : null };
};
function locate(list, m) {
  const same = (s, f) => list.findIndex(x => x.kind === m.kind && f(meaning(x)));
  const tries = m.kind === 'start' ? [() => 0] : m.kind === 'end' ? [() => list.length - 1] : [
    () => same(m, x => x.m === m.m && x.a === m.a && x.b === m.b),
    () => m.kind === 'hop' ? same(m, x => x.m === m.m && x.b === m.b) : -1,
    () => m.kind === 'hop' ? same(m, x => x.m === m.m && x.a === m.a) : -1,
    () => { let k = -1; list.forEach((x, i) => { if (x.kind !== 'end' && (x.t || 0) <= m.t) k = i; }); return k; },
  ];
  for (const f of tries) { const i = f(); if (i >= 0) return i; }
  return 0;
}
const isOn = t => !!(P.sel && t.id in P.sel ? P.sel[t.id] : t.on);
function buildWhatif() {
  const w = P.data.whatif;
  if (isExport || !w) return null;
  // the switches of the scenario as written, set as the student last asked (a changed world may lack some)
  const toggles = (P.base || w.toggles || []).map((t, i) => el('label.toggle', { for: 'mh-tg-' + i },
    el('input', { type: 'checkbox', id: 'mh-tg-' + i, tid: 'whatif-toggle', 'data-toggle': t.id, checked: isOn(t), onchange: () => submitWhatif() }), el('span', null, loc(t.label) || t.id)));
  const dr = P.draft || {};
  P.draft = null;
  const compose = (w.subject != null || w.body != null) && el('fieldset.compose', null, el('legend', null, tr('compose')),
    el('label', { for: 'mh-subj' }, tr('subject')), U.subject = el('input', { type: 'text', id: 'mh-subj', tid: 'compose-subject', autocomplete: 'off', onkeydown: e => { if (e.key === 'Enter') { e.preventDefault(); submitWhatif(); } } }),
    el('label', { for: 'mh-body' }, tr('text')), U.body = el('textarea', { id: 'mh-body', rows: 6, tid: 'compose-body' }),
    el('div.row', null, el('button.btn.primary', { tid: 'compose-apply', onclick: () => submitWhatif() }, tr('apply'))));
  if (compose) { U.subject.value = dr.subject ?? w.subject ?? ''; U.body.value = dr.body ?? w.body ?? ''; }
  return el('section.panel.whatif', { id: 'p-whatif', 'aria-labelledby': 'h-whatif' }, heading('whatif'), el('p.muted', null, tr('whatifIntro')),
    toggles.length > 0 && el('div.toggles', null, toggles), compose, U.status = el('p.status', { role: 'status' }),
    el('div.row', null, el('button.btn.small', { tid: 'whatif-reset', onclick: resetWhatif }, tr('reset'))));
}
function setStatus(text, isErr) {
  if (!U.status) return;
  U.status.textContent = text;
  U.status.classList.toggle('error', !!isErr);
  U.status.setAttribute('role', isErr ? 'alert' : 'status');
}
async function submitWhatif() {
  if (P.busy) { P.again = true; return; }
  const boxes = [...root.querySelectorAll('[data-testid="whatif-toggle"]')], toggles = {};
  for (const cb of boxes) toggles[cb.dataset.toggle] = cb.checked;
  const payload = U.subject ? { toggles, subject: U.subject.value, body: U.body.value } : { toggles };
  P.busy = true;
  root.setAttribute('aria-busy', 'true');
  setStatus(tr('running'));
  let res = null, err = null;
  try {
    const r = await fetch('/api/s/' + encodeURIComponent(sid()) + '/whatif', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(payload) });
    const j = parse(await r.text());
    if (r.ok && j && Array.isArray(j.steps)) res = j;
    else if (r.status === 503) err = tr('busyServer');
    else if (r.status === 429) err = tr('oneAtATime');
    else err = (j && (Array.isArray(j.problems) && j.problems.length ? j.problems.join('; ') : j.error)) || 'HTTP ' + r.status;
  } catch (e) { err = e.message; }
  P.busy = false;
  root.removeAttribute('aria-busy');
  if (P.again) { P.again = false; submitWhatif(); return; }
  if (res) {
    // what the student changed, for the address: toggles that differ from the scenario as written, and the message if edited
    const diff = {}, base = P.base || [], bt = P.baseText || {};
    for (const [id, on] of Object.entries(toggles)) { const t = base.find(x => x.id === id); if (!t || t.on !== on) (diff.toggles = diff.toggles || {})[id] = on; }
    if (payload.subject != null && payload.subject !== (bt.subject ?? '')) diff.subject = payload.subject;
    if (payload.body != null && payload.body !== (bt.body ?? '')) diff.body = payload.body;
    if (!P.keepIdx) P.idx = locate(res.steps, meaning(cur()));
    P.keepIdx = false;
    P.changed = true; P.sel = toggles; P.wq = Object.keys(diff).length ? b64url.enc(diff) : null;
    setData(res); setStatus(tr('done')); return;
  }
  P.keepIdx = false;
  for (const cb of boxes) cb.checked = isOn((P.base || []).find(t => t.id === cb.dataset.toggle) || { id: cb.dataset.toggle, on: !cb.checked });
  setStatus(tr('failedReq', { e: err }), true);
}
async function resetWhatif() {
  if (P.busy) return;
  setStatus(tr('running'));
  try {
    const res = await fetchData(), j = parse(res.text), m = meaning(cur());
    P.changed = false;
    U.subject = null;
    if (j && Array.isArray(j.steps)) P.idx = locate(j.steps, m);
    handle(res);
  } catch (e) { setStatus(tr('failedReq', { e: e.message }), true); }
}

M.part({
  id: 'whatif-banner', slot: 'top', order: 10,
  build: () => P.changed && el('div.banner', { role: 'status' }, el('span', null, tr('changed')), el('button.btn.small', { onclick: resetWhatif }, tr('reset'))),
});
M.part({
  id: 'whatif', slot: 'panels', order: 70, build: buildWhatif,
  // the message being edited survives a rebuild of the page (a language switch)
  unmount: () => { if (U.subject) P.draft = { subject: U.subject.value, body: U.body.value }; },
  load: first => {
    const j = P.data;
    if (!P.changed) { P.base = j.whatif && j.whatif.toggles; P.baseText = j.whatif ? { subject: j.whatif.subject, body: j.whatif.body } : {}; P.sel = null; P.wq = null; }
    P.pending = first && !isExport ? readWhatifHash() : null;
  },
  // a link with a what-if: replay it, staying at the step the link names
  ready: () => {
    const w = P.pending;
    if (!w) return;
    P.pending = null;
    P.sel = w.toggles && typeof w.toggles === 'object' ? w.toggles : null;
    P.keepIdx = true;
    M.mount();
    if (U.subject) { U.subject.value = String(w.subject ?? P.baseText.subject ?? ''); U.body.value = String(w.body ?? P.baseText.body ?? ''); }
    submitWhatif();
  },
});
})();
