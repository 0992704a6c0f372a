/* Who could read what, so far: the exposure ledger of the player data (docs/player.md, "exposure")
   cut at the current step. The diagram, the journey line, the caption at the end and the
   who-could-read panel share these counts. */
(() => {
'use strict';
const M = window.mailhop, { P, steps, tr } = M;
M.strings({
  en: {
    summary: 'Servers that kept a copy their operators could read: {a}. Hops that could be read on the wire: {b}.',
    summaryE: 'Devices of the recipient that downloaded a copy of their own: {e}.',
    summaryC: 'Messages read on the wire where they were not accepted: {c}.', summaryD: 'Passwords read on the wire: {d}.',
    summaryH: 'Encrypted end to end, so only the envelope and headers could be read: copies on {h} servers, {g} hops on the wire.',
  },
  pt: {
    summary: 'Servidores que guardaram uma cópia que o operador podia ler: {a}. Saltos que podiam ser lidos na rede: {b}.',
    summaryE: 'Aparelhos do destinatário que baixaram uma cópia para si: {e}.',
    summaryC: 'Mensagens lidas na rede onde não foram aceitas: {c}.', summaryD: 'Senhas lidas na rede: {d}.',
    summaryH: 'Cifradas de ponta a ponta, então só o envelope e os cabeçalhos podiam ser lidos: cópias em {h} servidores, {g} saltos na rede.',
  },
});
/* The highest hop number reached by the current step. */
const hopNow = () => Math.max(0, ...steps().slice(0, P.idx + 1).map(s => (s.hop ? s.hop.hop : 0)));
/* Rows that have happened by hop `now` (hops, copies at rest) or by step `idx` (what crossed without a hop).
   a: servers whose operators could read a copy; e: the recipient's devices with a copy they downloaded,
   counted apart (the reader's own, not someone else's machine). */
function tally(now, idx) {
  const ex = P.data.exposure || {}, links = (ex.links || []).filter(l => l.hop <= now), nodes = (ex.nodes || []).filter(n => (n.step != null ? n.step <= idx : n.since_hop <= now));
  const unaccepted = (ex.unaccepted || []).filter(u => u.step <= idx), passwords = (ex.passwords || []).filter(p => p.step <= idx);
  // a copy whose body is encrypted end to end (OpenPGP) counts apart: its headers only were read (h, g)
  const readable = nodes.filter(n => n.body || (n.headers && !n.body_encrypted)), count = list => new Set(list.map(n => n.node)).size;
  const sealed = nodes.filter(n => !n.body && n.body_encrypted && !n.device), sealedLinks = links.filter(l => l.headers && !l.body && l.body_encrypted);
  return { links, nodes, unaccepted, passwords, a: count(readable.filter(n => !n.device)), e: count(readable.filter(n => n.device)),
    b: links.filter(l => l.body || (l.headers && !l.body_encrypted)).length, c: unaccepted.filter(u => u.body || u.headers).length, d: passwords.length,
    h: count(sealed), g: sealedLinks.length };
}
/* The rows of the current step, made once per step and data. */
function tallyNow() {
  if (P.tallyAt !== P.idx || P.tallyOf !== P.data) { P.tallyAt = P.idx; P.tallyOf = P.data; P.tally = tally(hopNow(), P.idx); }
  return P.tally;
}
const summary = T => [tr('summary', T), T.e && tr('summaryE', T), (T.h || T.g) && tr('summaryH', T), T.c && tr('summaryC', T), T.d && tr('summaryD', T)].filter(Boolean).join(' ');
/* The passwords an observer read on the connection of hop or session `h`. */
const passwordsOn = h => (h && h.conn ? ((P.data.exposure || {}).passwords || []).filter(x => x.conn === h.conn) : []);

Object.assign(M, { hopNow, tally, tallyNow, summary, passwordsOn });
})();
