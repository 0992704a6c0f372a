/* The DNS panel: every lookup since the previous step, whoever made it, with its answers. */
(() => {
'use strict';
const M = window.mailhop, { U, el, put, tr, fmtT, gloss, empty, cur, heading } = M;
M.strings({
  en: { dns: 'DNS', noDns: 'No DNS lookups since the previous step.', asks: 'asks for', noAnswer: 'no records' },
  pt: { dns: 'DNS', noDns: 'Nenhuma consulta DNS desde o passo anterior.', asks: 'pergunta', noAnswer: 'nenhum registro' },
});
function renderDns() {
  const q = cur().dns || [];
  put(U.dns, q.length ? el('ul.dns', null, q.map(d => el('li', null, el('span.when', null, fmtT(d.t)), ' ', el('b', null, d.node), ' ', tr('asks'), ' ', el('code', { title: gloss(d.rtype) || null }, d.name + ' ' + d.rtype),
    el('div.ans', null, d.answers && d.answers.length ? d.answers.map(a => el('div', null, a)) : [d.rcode || '', ' (', tr('noAnswer'), ')'])))) : empty('noDns'));
}

M.part({
  id: 'dns', slot: 'panels', order: 40,
  build: () => el('section.panel', { id: 'p-dns', tid: 'dns', 'aria-labelledby': 'h-dns' }, heading('dns'), U.dns = el('div')),
  render: renderDns,
});
})();
