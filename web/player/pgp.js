/* End-to-end encryption in the message panel: a copy encrypted with OpenPGP as its holder sees it
   (docs/player.md, `stored.pgp`). A server's operator, or anyone on a plaintext link, gets the
   envelope, the headers with the Subject (or the "..." of protected headers) and an armoured
   block; the recipient's device, once its mail client decrypted it, the clear text and the
   signature's verdict. message.js calls `M.pgpView`. */
(() => {
'use strict';
const M = window.mailhop, { el, tr } = M;
M.strings({
  en: {
    pgpTitle: 'What {node} sees: the body is encrypted end to end (OpenPGP)', pgpOpened: 'What {node} sees after its mail client decrypted it',
    pgpEnvelope: 'Envelope:', pgpFrom: 'from {s}', pgpTo: 'to {r}', pgpNoEnvelope: 'a download: no envelope, the headers say who wrote to whom',
    pgpSubject: 'Subject in the headers:', pgpHidden: '"..." (protected: the real Subject is inside the encryption)', pgpNoSubject: 'none',
    pgpBody: 'Body:', pgpEncrypted: 'encrypted: only the recipients\' keys open it', pgpInner: 'Subject inside:',
    pgpSigGood: 'good signature from {s}', pgpSigBad: 'BAD signature: changed on the way, or not the sender\'s', pgpSigUnknown: 'signed, but there is no key to check it with', pgpSigNone: 'not signed',
    pgpFailed: 'Its mail client could not decrypt it: {r}', pgpSig: 'Signature:',
    opHeaders: 'its operator reads the envelope and headers, not the body',
  },
  pt: {
    pgpTitle: 'O que {node} vê: o corpo está cifrado de ponta a ponta (OpenPGP)', pgpOpened: 'O que {node} vê depois que o cliente de e-mail decifrou',
    pgpEnvelope: 'Envelope:', pgpFrom: 'de {s}', pgpTo: 'para {r}', pgpNoEnvelope: 'um download: sem envelope, os cabeçalhos dizem quem escreveu para quem',
    pgpSubject: 'Subject nos cabeçalhos:', pgpHidden: '"..." (protegido: o Subject real está dentro da cifra)', pgpNoSubject: 'nenhum',
    pgpBody: 'Corpo:', pgpEncrypted: 'cifrado: só as chaves dos destinatários o abrem', pgpInner: 'Subject de dentro:',
    pgpSigGood: 'assinatura válida de {s}', pgpSigBad: 'assinatura INVÁLIDA: alterada no caminho, ou não é do remetente', pgpSigUnknown: 'assinada, mas não há chave para conferir', pgpSigNone: 'sem assinatura',
    pgpFailed: 'O cliente de e-mail não conseguiu decifrar: {r}', pgpSig: 'Assinatura:',
    opHeaders: 'o operador lê o envelope e os cabeçalhos, não o corpo',
  },
});
const SIG = { good: 'pgpSigGood', bad: 'pgpSigBad', unknown_key: 'pgpSigUnknown', unsigned: 'pgpSigNone' };
/* The view of the copy `st` (a stored view with `pgp`), or null when it is not encrypted. */
function pgpView(st) {
  const p = st && st.pgp;
  if (!p) return null;
  const o = p.opened, open = !!(o && o.ok);
  const row = (tid, label, ...value) => el('div.pgp-row', { tid }, el('b', null, tr(label)), ' ', ...value);
  const envelope = p.sender || (p.recipients || []).length
    ? [tr('pgpFrom', { s: p.sender || '<>' }), ' ', tr('pgpTo', { r: (p.recipients || []).join(', ') })]
    : [tr('pgpNoEnvelope')];
  const subject = p.subject_hidden ? tr('pgpHidden') : p.subject != null ? p.subject : tr('pgpNoSubject');
  const box = el('div.pgp', { tid: 'pgp-view', 'data-opened': String(open), 'data-subject-hidden': String(!!p.subject_hidden) },
    el('div.pgp-title', null, tr(open ? 'pgpOpened' : 'pgpTitle', { node: st.node })),
    row('pgp-envelope', 'pgpEnvelope', ...envelope),
    row('pgp-subject', 'pgpSubject', subject));
  if (open) {
    if (o.inner_subject) box.append(row('pgp-inner-subject', 'pgpInner', o.inner_subject));
    box.append(row('pgp-signature', 'pgpSig', tr(SIG[o.signature] || 'pgpSigNone', { s: o.signer || '' })),
      el('pre.pgp-clear', { tid: 'pgp-clear-body' }, o.body || ''));
  } else {
    if (o && !o.ok) box.append(el('div.pgp-row', { tid: 'pgp-failed' }, tr('pgpFailed', { r: o.reason || '' })));
    box.append(row('pgp-body', 'pgpBody', tr('pgpEncrypted')), el('pre.pgp-armor', { tid: 'pgp-armor' }, p.armored || ''));
  }
  return box;
}
M.pgpView = pgpView;
})();
