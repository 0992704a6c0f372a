/* The message panel: the copy this step wrote (or the last one before it) with its headers and
   body, the header fields this hop added marked, encoded words decoded beside the raw header,
   and whether that copy's operator can read it. */
(() => {
'use strict';
const M = window.mailhop, { U, el, put, tr, icon, empty, steps, cur, P, heading } = M;
M.strings({
  en: {
    message: 'Message', storedAt: 'Copy stored at {node}, {place}', opCan: 'its operator can read it', opCannot: 'its operator cannot read it',
    added: 'added on this hop', lastCopy: 'Last copy written: {node}, {place}', noMsg: 'The message has not left the sender yet.',
    copyGone: 'The last copy written, on {node} ({place}), has been removed since', addedHere: 'written here', decodedWord: 'decoded: {v}',
    opOwn: 'the recipient\'s own copy, on their device',
  },
  pt: {
    message: 'Mensagem', storedAt: 'Cópia guardada em {node}, {place}', opCan: 'o operador consegue lê-la', opCannot: 'o operador não consegue lê-la',
    added: 'acrescentado neste salto', lastCopy: 'Última cópia gravada: {node}, {place}', noMsg: 'A mensagem ainda não saiu do remetente.',
    copyGone: 'A última cópia gravada, em {node} ({place}), já foi removida', addedHere: 'escrito aqui', decodedWord: 'decodificado: {v}',
    opOwn: 'a cópia do próprio destinatário, no aparelho dele',
  },
});
/* RFC 2047 encoded words (=?charset?B|Q?...?=) decoded; null when there are none. */
function decodeWords(v) {
  if (!/=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=/.test(v)) return null;
  return v.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g, (all, cs, enc, txt) => {
    try {
      const bytes = /[Bb]/.test(enc) ? Uint8Array.from(atob(txt), ch => ch.charCodeAt(0))
        : Uint8Array.from(txt.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})|[\s\S]/g, (m, h) => (h ? String.fromCharCode(parseInt(h, 16)) : m)), ch => ch.charCodeAt(0));
      return new TextDecoder(cs.toLowerCase()).decode(bytes);
    } catch (e) { return all; }
  });
}
function renderMsg() {
  // the copy this step wrote, or else the last one written before it
  const copyOf = s => s.stored || (s.hop && s.hop.stored) || null;
  let st = copyOf(cur());
  const fresh = !!st;
  for (let i = P.idx - 1; !st && i >= 0; i--) st = copyOf(steps()[i]);
  if (!st) { put(U.msgMeta); put(U.msg, empty('noMsg')); return; }
  const gone = !fresh && !(cur().holders || []).some(x => x.node === st.node && x.place === st.place);
  const addedN = fresh ? Number(st.added_headers) || 0 : 0;
  put(U.msgMeta, gone ? el('div', { tid: 'copy-gone' }, tr('copyGone', { node: st.node, place: st.place || '' })) :
    el('div', null, tr(fresh ? 'storedAt' : 'lastCopy', { node: st.node, place: st.place || '' }), ' · ',
      st.device ? el('span.op-own', null, icon('disk'), ' ', tr('opOwn'))
        : el('span.' + (st.readable ? 'op-can' : 'op-cannot'), null, icon('disk'), ' ', tr(st.readable ? 'opCan' : st.pgp ? 'opHeaders' : 'opCannot'))),
  addedN > 0 && el('div.legend', null, el('span.swatch', { 'aria-hidden': 'true' }), tr(cur().stored ? 'addedHere' : 'added')));
  const lines = String(st.eml || '').replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n'), box = el('div.eml');
  // the first addedN header fields, with their folded continuation lines, are new on this hop
  let field = 0, head = true;
  for (const line of lines) {
    let cls = '';
    if (head && line === '') head = false;
    else if (head) {
      if (!/^[ \t]/.test(line)) field++;
      cls = field <= addedN ? '.added' : '.hdr';
      if (cls === '.added' && field === 1 && !box.firstChild) box.append(el('div.added-note', null, tr(cur().stored ? 'addedHere' : 'added')));
    }
    box.append(el('div.ln' + cls, null, line || '\u00a0'));
    const words = head && line && decodeWords(line);
    if (words) box.append(el('div.ln.decoded', { tid: 'decoded-header' }, tr('decodedWord', { v: words.replace(/^[ \t]+/, '') })));
  }
  put(U.msg, box, M.pgpView && M.pgpView(st));
}

M.part({
  id: 'message', slot: 'panels', order: 20,
  build: () => el('section.panel', { id: 'p-message', tid: 'message', 'aria-labelledby': 'h-message' }, heading('message'), U.msgMeta = el('div.meta'), U.msg = el('div')),
  render: renderMsg,
});
})();
