/* The conversation panel: the step's dialogue line by line, SMTP, IMAP or POP3 (TLS-protected
   lines grouped and marked, AUTH outside TLS decodable on demand, jargon explained on hover), or
   the raw bytes as someone on the wire sees them. */
(() => {
'use strict';
const M = window.mailhop, { P, U, el, put, tr, loc, icon, gloss, empty, cur, talk, heading } = M;
M.strings({
  en: {
    conversation: 'Conversation', wireToggle: 'What someone on the wire sees', convWho: 'C: client {a} · S: server {b}', certCheck: 'Certificate check: {r}',
    connReused: 'Same connection as hop {n}: the client kept it open and began with RSET, with no new greeting, EHLO or TLS handshake.',
    tlsResumed: 'TLS session resumed: the server sent no certificate this time; the client trusts the session it checked before.',
    insideTls: 'inside TLS', tlsBlock: 'inside TLS: only the two ends can read these lines',
    wireIntro: 'The bytes between {a} and {b} as someone watching the link sees them: plain text as it is, TLS records only by type and size.',
    noConv: 'No conversation in this step.', emptyLine: '(empty line)', tlsRec: 'TLS {t} record, {n} bytes', tlsRec1: 'TLS {t} record, 1 byte',
    refusedBy: 'What the server said no with: {r}', noRefusal: 'No reply refused anything: the connection ended without a message accepted.',
    noRefusalRead: 'No reply refused anything: no message was downloaded on this connection.',
    pwFlag: 'A password crossed this link in plaintext: {t}', decode: 'Decode what an eavesdropper sees',
    decodedPlain: 'Base64 is an encoding, not encryption. Anyone on the wire decodes: user {u}, password {p}', decodedLogin: 'Base64 is an encoding, not encryption. Anyone on the wire decodes: {v}',
  },
  pt: {
    conversation: 'Conversa', wireToggle: 'O que alguém na rede vê', convWho: 'C: cliente {a} · S: servidor {b}', certCheck: 'Verificação do certificado: {r}',
    connReused: 'Mesma conexão do salto {n}: o cliente a manteve aberta e começou com RSET, sem nova saudação, EHLO nem handshake TLS.',
    tlsResumed: 'Sessão TLS retomada: desta vez o servidor não enviou certificado; o cliente confia na sessão que verificou antes.',
    insideTls: 'dentro do TLS', tlsBlock: 'dentro do TLS: só as duas pontas leem estas linhas',
    wireIntro: 'Os bytes entre {a} e {b} como quem observa o enlace os vê: texto puro como está, registros TLS só com tipo e tamanho.',
    noConv: 'Nenhuma conversa neste passo.', emptyLine: '(linha vazia)', tlsRec: 'registro TLS {t}, {n} bytes', tlsRec1: 'registro TLS {t}, 1 byte',
    refusedBy: 'A resposta do servidor que disse não: {r}', noRefusal: 'Nenhuma resposta recusou nada: a conexão terminou sem mensagem aceita.',
    noRefusalRead: 'Nenhuma resposta recusou nada: nenhuma mensagem foi baixada nesta conexão.',
    pwFlag: 'Uma senha atravessou este enlace em texto claro: {t}', decode: 'Decodificar o que um bisbilhoteiro vê',
    decodedPlain: 'Base64 é uma codificação, não criptografia. Qualquer um na rede decodifica: usuário {u}, senha {p}', decodedLogin: 'Base64 é uma codificação, não criptografia. Qualquer um na rede decodifica: {v}',
  },
});
P.wire = false;
/* Commands and DNS types in a line, explained on hover. An IMAP command follows its tag (`a2 STARTTLS`);
   POP3 upgrades with STLS. */
const LINE_WORDS = [[/^(MAIL FROM|RCPT TO)/i, 'envelope'], [/^(\S+ STARTTLS|STARTTLS|STLS)\s*$/i, 'STARTTLS'], [/^\S+ UID (FETCH|STORE|SEARCH|MOVE)\b/i, 'UID'], [/\bMX\b/, 'MX']];
/* A command that starts a login by SASL (SMTP and POP3 `AUTH PLAIN`, IMAP `a1 AUTHENTICATE PLAIN`), and the
   server's prompt for the next part of it (SMTP's 334, IMAP's and POP3's `+`). */
const SASL = /^(?:[^\s]+\s+)?(?:AUTH|AUTHENTICATE)\s+(PLAIN|LOGIN)(?:\s+(\S+))?/i, PROMPT = /^(334\b|\+(\s|$))/;
/* Base64 to text (UTF-8, lossy); null if it is not base64. */
function unb64(v) {
  try { const b = atob(String(v).trim()); return new TextDecoder('utf-8').decode(Uint8Array.from(b, ch => ch.charCodeAt(0))); } catch (e) { return null; }
}
function renderConv() {
  const st = cur(), h = talk(st);
  U.wire.checked = P.wire;
  if (!h) { put(U.convMeta); put(U.conv, empty('noConv')); return; }
  // a download goes from the server to the mail client that connected: the client is the hop's `to`
  const reverse = h.mailbox && !h.mailbox.appended, client = reverse ? h.to : h.from, server = reverse ? h.from : h.to;
  put(U.convMeta, el('div', null, tr('convWho', { a: client, b: server })), el('div', null, [h.message, h.protocol, h.tls_version, h.cipher].filter(Boolean).join(' · ')),
    h.tls_reason && el('div', null, tr('certCheck', { r: (M.lang() === 'pt' && h.tls_reason_pt) || h.tls_reason })),
    h.reused_from && el('div.note', null, tr('connReused', { n: h.reused_from })),
    h.tls_resumed && el('div.note', null, tr('tlsResumed')),
    st.session && el('div.note.refusal', { tid: 'session-refusal' }, st.session.refusal ? tr('refusedBy', { r: st.session.refusal })
      : tr(['IMAP', 'POP3'].includes(st.session.protocol) ? 'noRefusalRead' : 'noRefusal')),
    M.passwordsOn(h).map(x => el('div.note.refusal', { tid: 'password-flag' }, icon('key'), ' ', tr('pwFlag', { t: loc(x.text) }))));
  if (P.wire) {
    put(U.conv, el('p.note', null, tr('wireIntro', { a: h.from, b: h.to })), el('ol.wire', null, (h.wire || []).map(w => {
      const who = el('span.who', null, w.dir === 'c' ? 'C→S' : 'S→C'), dir = w.dir === 'c' ? 'c' : 's';
      if (w.as !== 'text') {
        const recs = Array.isArray(w.records) && w.records.length ? w.records.map(r => tr(r.length === 1 ? 'tlsRec1' : 'tlsRec', { t: r.content_type, n: r.length })).join('\n') : w.text || '';
        return el('li.chunk.rec.' + dir, null, who, el('span.tx', null, icon('lock'), ' ', recs));
      }
      const parts = String(w.text || '').split('\r\n');
      return el('li.chunk.text.' + dir, null, who, el('span.tx', null, parts.map((s, i) => [s, i < parts.length - 1 && [el('span.crlf', { 'aria-hidden': 'true' }, '↵'), '\n']])));
    })));
    return;
  }
  // consecutive lines inside TLS are grouped in a labelled block
  const out = [];
  let grp = null, inTls = null;
  // AUTH outside TLS: the line can be decoded on demand, as an eavesdropper would
  const conv = h.conversation || [];
  const secret = i => {
    const l = conv[i];
    if (!l || l.tls || l.dir !== 'c') return null;
    const plain = v => { const parts = v == null ? null : v.split('\0'); return parts && parts.length === 3 ? tr('decodedPlain', { u: parts[1], p: parts[2] }) : null; };
    const login = v => (v == null || /[\x00-\x08]/.test(v) ? null : tr('decodedLogin', { v }));
    const m = SASL.exec(l.text);
    if (m) return m[2] ? (/plain/i.test(m[1]) ? plain : login)(unb64(m[2])) : null;
    // an answer to the server's challenge, inside the last AUTH exchange
    const prev = conv[i - 1], last = lastAuth && SASL.exec(lastAuth.text);
    if (!prev || prev.dir !== 's' || !PROMPT.test(prev.text) || !last) return null;
    return (/plain/i.test(last[1]) ? plain : login)(unb64(l.text));
  };
  let lastAuth = null;
  conv.forEach((l, i) => {
    const tls = !!l.tls, c = l.dir === 'c', decoded = secret(i), word = c && LINE_WORDS.find(([re]) => re.test(l.text));
    if (c && SASL.test(l.text)) lastAuth = l;
    if (!grp || tls !== inTls) {
      inTls = tls;
      grp = el('ol.conv');
      out.push(tls ? el('div.tls-group', null, el('div.tls-head', null, icon('lock'), el('span', null, tr('tlsBlock'))), grp) : grp);
    }
    const out1 = el('li.ln.' + (c ? 'c' : 's') + (tls ? '.tls' : '') + (decoded ? '.secret' : ''), null, el('span.who', { title: c ? client : server }, c ? 'C:' : 'S:'),
      l.text ? el('span.tx', { title: word ? gloss(word[1]) : null }, l.text) : el('span.tx.blank', null, tr('emptyLine')),
      tls && el('span.tls-mark', { title: tr('insideTls') }, icon('lock'), el('span.sr', null, tr('insideTls'))));
    grp.append(out1);
    if (decoded) {
      const shown = el('div.decoded', { tid: 'auth-decoded', hidden: true }, decoded);
      grp.append(el('li.aux', null, el('button.btn.small', { tid: 'auth-decode', onclick: e => { shown.hidden = !shown.hidden; e.currentTarget.setAttribute('aria-expanded', String(!shown.hidden)); }, 'aria-expanded': 'false' }, icon('key'), ' ', tr('decode')), shown));
    }
  });
  put(U.conv, out);
}

M.part({
  id: 'conversation', slot: 'panels', order: 10,
  build: () => {
    U.wire = el('input', { type: 'checkbox', role: 'switch', id: 'mh-wire', tid: 'wire-toggle', onchange: () => { P.wire = U.wire.checked; renderConv(); } });
    return el('section.panel', { id: 'p-conversation', tid: 'conversation', 'aria-labelledby': 'h-conversation' },
      el('div.panel-head', null, heading('conversation'), el('label.switch', { for: 'mh-wire' }, U.wire, el('span', null, tr('wireToggle')))),
      U.convMeta = el('div.meta'), U.conv = el('div.conv-body'));
  },
  render: renderConv,
});
})();
