/* The mailbox panel: what every mailbox server keeps after this step, as a mail client sees it
   over IMAP (UIDVALIDITY, folders, each message by UID with its flags), and the copies mail
   clients downloaded onto their devices. A step carries the state only when it changed
   (docs/player.md, "mailboxes"); the panel shows the last state at or before the step and marks
   what this step changed: a message filed or moved here, a flag set, a message that left.
   Absent from the page when no mailbox ever holds a message. */
(() => {
'use strict';
const M = window.mailhop, { P, U, el, put, tr, gloss, empty, steps, heading } = M;
M.strings({
  en: {
    mailboxes: 'Mailboxes', mbNone: 'No mailbox holds a message yet.',
    mbIntro: 'What each mailbox server keeps, folder by folder, as a mail client sees it over IMAP. Highlighted: what changed at this step.',
    mbOn: 'on {n}', mbCount1: '1 message', mbCount: '{n} messages', mbEmpty: 'empty', mbUnread: 'unread',
    chNew: 'arrived at this step', chMoved: 'moved here from {f} at this step', chFlag: '{f} set at this step', chFlags: 'flags changed at this step',
    goneExpunge: 'expunged at this step', goneDele: 'deleted at this step: the POP3 client marked it with DELE, and the server removed it at QUIT', goneMove: 'moved to {f} at this step',
    mbDevices: 'Copies on devices', mbDevNote: 'Downloaded by a mail client: the reader\'s own copy, which stays on the device whatever the server does with its own.',
    devFrom: 'from {m}/{f}, UID {u}', devFromNoUid: 'from {m}/{f}', devNew: 'downloaded at this step',
  },
  pt: {
    mailboxes: 'Caixas postais', mbNone: 'Nenhuma caixa postal tem mensagem ainda.',
    mbIntro: 'O que cada servidor de caixas postais guarda, pasta por pasta, como um cliente de e-mail vê por IMAP. Em destaque: o que mudou neste passo.',
    mbOn: 'em {n}', mbCount1: '1 mensagem', mbCount: '{n} mensagens', mbEmpty: 'vazia', mbUnread: 'não lida',
    chNew: 'chegou neste passo', chMoved: 'veio de {f} neste passo', chFlag: '{f} posta neste passo', chFlags: 'marcas mudaram neste passo',
    goneExpunge: 'apagada de vez neste passo (EXPUNGE)', goneDele: 'apagada neste passo: o cliente POP3 marcou com DELE, e o servidor a removeu no QUIT', goneMove: 'movida para {f} neste passo',
    mbDevices: 'Cópias nos aparelhos', mbDevNote: 'Baixadas por um cliente de e-mail: a cópia do próprio leitor, que fica no aparelho não importa o que o servidor faça com a dele.',
    devFrom: 'de {m}/{f}, UID {u}', devFromNoUid: 'de {m}/{f}', devNew: 'baixada neste passo',
  },
});
M.words([
  ['IMAP', { en: 'Internet Message Access Protocol: the mail client reads the mailbox where it stays, on the server (port 143 with STARTTLS, or 993). Folders, flags and what was read are kept there, so every device of the person sees the same.', pt: 'Internet Message Access Protocol: o cliente de e-mail lê a caixa postal onde ela fica, no servidor (porta 143 com STARTTLS, ou 993). Pastas, marcas e o que já foi lido ficam lá, então todos os aparelhos da pessoa veem o mesmo.' }],
  ['POP3', { en: 'Post Office Protocol: the mail client downloads the INBOX (port 110 with STLS, or 995), often deleting it from the server; after that the only copy is on the device.', pt: 'Post Office Protocol: o cliente de e-mail baixa a caixa de entrada (porta 110 com STLS, ou 995), muitas vezes apagando do servidor; depois disso a única cópia fica no aparelho.' }],
  ['UID', { en: 'The number IMAP gives a message in its folder. It never changes and is never given again, so a client asks only for the UIDs it has not seen yet.', pt: 'O número que o IMAP dá a uma mensagem na pasta. Nunca muda nem é dado de novo, então o cliente só pede os UIDs que ainda não viu.' }],
  ['UIDVALIDITY', { en: 'A number that goes with a folder\'s UIDs. If it ever changes, the UIDs a client remembers mean nothing any more, and it downloads the folder again.', pt: 'Um número que acompanha os UIDs de uma pasta. Se um dia mudar, os UIDs que o cliente lembra não valem mais, e ele baixa a pasta de novo.' }],
  ['\\Seen', { en: 'The IMAP flag of a message that has been read; the client sets it when it fetches the message. Other flags mark messages answered, flagged or deleted.', pt: 'A marca do IMAP de uma mensagem já lida; o cliente a põe quando busca a mensagem. Outras marcas indicam mensagens respondidas, sinalizadas ou apagadas.' }],
]);

/* The state at step i: the last step at or before it that carries one; `here` when it is step i's own. */
function stateAt(i) {
  const all = steps();
  for (let j = Math.min(i, all.length - 1); j >= 0; j--) if (all[j].mailboxes) return { mb: all[j].mailboxes, here: j === i };
  return null;
}
function changeText(m) {
  if (m.change === 'new') return tr('chNew');
  if (m.change === 'moved') return tr('chMoved', { f: m.from || '' });
  const added = m.added_flags || [];
  return added.length ? tr('chFlag', { f: added.join(' ') }) : tr('chFlags');
}
function message(m, here) {
  const ch = here && m.change, flags = m.flags || [], added = new Set((ch && m.added_flags) || []);
  return el('li.msg' + (ch ? '.changed' : ''), { tid: 'mailbox-message', 'data-uid': m.uid, 'data-message': m.message, 'data-flags': flags.join(' '), 'data-change': ch || null },
    el('span.uid', { title: gloss('UID') }, 'UID ' + m.uid), el('span.mid', null, m.message), m.subject && el('span.subj', null, m.subject),
    el('span.flags', null, flags.map(f => el('span.flag' + (added.has(f) ? '.added' : ''), { title: gloss(f) || null }, f)),
      !flags.includes('\\Seen') && el('span.unread', null, tr('mbUnread'))),
    ch && el('span.chg', null, changeText(m)));
}
function goneRow(g) {
  const why = g.by === 'MOVE' ? tr('goneMove', { f: g.to || '' }) : g.by === 'DELE' ? tr('goneDele') : tr('goneExpunge');
  return el('li.msg.gone', { tid: 'mailbox-gone', 'data-uid': g.uid, 'data-message': g.message, 'data-by': g.by },
    el('span.uid', null, 'UID ' + g.uid), el('span.mid', null, g.message), el('span.chg', null, why));
}
function folder(f, here) {
  const msgs = f.messages || [], gone = here ? f.gone || [] : [], n = msgs.length;
  return el('div.folder', { tid: 'mailbox-folder', 'data-folder': f.name },
    el('div.folder-head', null, el('span.fname', null, f.name), el('span.count', null, n ? tr(n === 1 ? 'mbCount1' : 'mbCount', { n }) : tr('mbEmpty'))),
    (n > 0 || gone.length > 0) && el('ol.msgs', null, msgs.map(m => message(m, here)), gone.map(goneRow)));
}
function mailbox(m, here) {
  return el('div.mbox', { tid: 'mailbox', 'data-node': m.node, 'data-mailbox': m.mailbox },
    el('div.mbox-head', null, el('b.addr', null, m.mailbox), el('span.on', null, tr('mbOn', { n: m.node })),
      m.uidvalidity != null && el('span.uv', { title: gloss('UIDVALIDITY') }, 'UIDVALIDITY ' + m.uidvalidity)),
    (m.folders || []).map(f => folder(f, here)));
}
function device(d, here) {
  return el('div.mbox.device', { tid: 'device', 'data-node': d.node }, el('div.mbox-head', null, el('b', null, d.node)),
    el('ol.msgs', null, (d.copies || []).map(c => {
      const ch = here && c.change;
      return el('li.msg' + (ch ? '.changed' : ''), { tid: 'device-copy', 'data-message': c.message, 'data-change': ch || null },
        el('span.mid', null, c.message), c.subject && el('span.subj', null, c.subject),
        el('span.from', null, tr(c.uid != null ? 'devFrom' : 'devFromNoUid', { m: c.mailbox, f: c.folder, u: c.uid })), ch && el('span.chg', null, tr('devNew')));
    })));
}
function renderMail() {
  const S = stateAt(P.idx);
  if (!S) { put(U.mail, empty('mbNone')); return; }
  const { mb, here } = S, devices = mb.devices || [];
  put(U.mail, el('p.note', null, tr('mbIntro')), (mb.servers || []).map(m => mailbox(m, here)),
    devices.length > 0 && el('div.devices', null, el('h3', null, tr('mbDevices')), el('p.note', null, tr('mbDevNote')), devices.map(d => device(d, here))));
}

M.part({
  id: 'mailboxes', slot: 'panels', order: 25,
  // only for runs where some mailbox ever holds a message
  build: () => (steps().some(s => s.mailboxes) ? el('section.panel', { id: 'p-mailboxes', tid: 'mailboxes', 'aria-labelledby': 'h-mailboxes' }, heading('mailboxes'), U.mail = el('div')) : null),
  render: () => { if (U.mail) renderMail(); },
});
})();
