/* The who-could-read panel: on the wire (each hop, what was refused, passwords outside TLS) and
   at rest (each machine's operator), as the exposure ledger tells it up to this step. */
(() => {
'use strict';
const M = window.mailhop, { U, el, put, tr, loc, icon, chKey, chText, empty, host, heading } = M;
M.strings({
  en: {
    exposure: 'Who could read it', onWire: 'On the wire: someone watching the link', atRest: 'At rest: the operator of each machine',
    colLink: 'hop and channel', colEnv: 'envelope', colHeaders: 'headers', colBody: 'body', colMachine: 'machine', colMsg: 'message', colSince: 'since hop',
    yes: 'yes', no: 'no', nothingYet: 'Nothing has travelled yet.',
    notAccepted: 'On the wire, not accepted: content the server refused or never finished receiving', passwords: 'On the wire: passwords sent with AUTH outside TLS',
    colConn: 'connection and channel', colPassword: 'what crossed', ownDevice: 'the recipient\'s own device: its mail client downloaded the copy',
    sealedBody: 'no: encrypted',
  },
  pt: {
    exposure: 'Quem pôde ler', onWire: 'Na rede: alguém observando o enlace', atRest: 'Em repouso: o operador de cada máquina',
    colLink: 'salto e canal', colEnv: 'envelope', colHeaders: 'cabeçalhos', colBody: 'corpo', colMachine: 'máquina', colMsg: 'mensagem', colSince: 'desde o salto',
    yes: 'sim', no: 'não', nothingYet: 'Nada viajou ainda.',
    notAccepted: 'Na rede, sem ser aceito: conteúdo que o servidor recusou ou não terminou de receber', passwords: 'Na rede: senhas enviadas com AUTH fora do TLS',
    colConn: 'conexão e canal', colPassword: 'o que passou', ownDevice: 'o aparelho do próprio destinatário: o cliente de e-mail baixou a cópia',
    sealedBody: 'não: cifrado',
  },
});
function renderExposure() {
  const T = M.tallyNow(), { links, nodes, unaccepted, passwords } = T;
  if (!links.length && !nodes.length && !unaccepted.length && !passwords.length) { put(U.expo, empty('nothingYet')); return; }
  const yn = v => el('td.' + (v ? 'yes' : 'no'), null, tr(v ? 'yes' : 'no'));
  // a body encrypted end to end says so, where a plain "no" would hide why
  const body = o => (o.body || !o.body_encrypted ? yn(o.body) : el('td.no.sealed', { tid: 'exposure-sealed' }, tr('sealedBody')));
  const ch = o => el('div.ch.ch-' + chKey(o.channel), null, icon(chKey(o.channel)), ' ', chText(o));
  const multi = new Set(nodes.map(n => n.message)).size > 1;
  const table = (cap, cols, rows, tid) => el('div.scroll', null, el('table.grid', { tid }, el('caption', null, tr(cap)),
    el('thead', null, el('tr', null, cols.filter(Boolean).map(k => el('th', { scope: 'col' }, tr(k))))), el('tbody', null, rows)));
  put(U.expo, el('p.summary', null, M.summary(T)),
    table('onWire', ['colLink', 'colEnv', 'colHeaders', 'colBody'], links.map(l => el('tr', null, el('td.link', null, el('b', null, l.hop), ' ', host(l.from), ' → ', host(l.to),
      ch(l)), yn(l.envelope), yn(l.headers), body(l)))),
    unaccepted.length > 0 && table('notAccepted', ['colConn', 'colEnv', 'colHeaders', 'colBody'], unaccepted.map(u => el('tr', null, el('td.link', null, el('b', null, u.conn), ' ', host(u.from), ' → ', host(u.to),
      ch(u), el('div.what', null, loc(u.text))), yn(u.envelope), yn(u.headers), yn(u.body))), 'exposure-unaccepted'),
    passwords.length > 0 && table('passwords', ['colConn', 'colPassword'], passwords.map(p => el('tr', null, el('td.link', null, el('b', null, p.conn), ' ', host(p.from), ' → ', host(p.to),
      ch({ channel: 'plaintext', channel_text: p.channel_text })), el('td.what', null, loc(p.text)))), 'exposure-passwords'),
    table('atRest', ['colMachine', multi && 'colMsg', 'colSince', 'colEnv', 'colHeaders', 'colBody'], nodes.map(n => el('tr', null, el('td.link', null, host(n.node), n.device && el('div.what', null, tr('ownDevice'))), multi && el('td', null, n.message),
      el('td.num', null, n.since_hop), yn(n.envelope), yn(n.headers), body(n)))));
}

M.part({
  id: 'exposure', slot: 'panels', order: 30,
  build: () => el('section.panel', { id: 'p-exposure', tid: 'exposure', 'aria-labelledby': 'h-exposure' }, heading('exposure'), U.expo = el('div')),
  render: renderExposure,
});
})();
