/* Predict mode (Packet Tracer's challenge mode, on real bytes): before a step is shown the student
   answers one question about it, sees whether it was right, and keeps a running score. The score
   lives in the page only, so it works in an export too. */
(() => {
'use strict';
const M = window.mailhop, { P, U, el, put, tr, steps, go } = M;
M.strings({
  en: {
    predict: 'Predict before each step', score: 'Score: {r} of {n}', right: 'Right.', wrong: 'Not quite: the answer was “{a}”.',
    qNext: 'Which machine takes message {m} next, from {a}?', qChannel: 'Will the hop from {a} to {b} be encrypted?',
    aPlain: 'No: plaintext', aTls: 'Yes, but nobody checks the server', aName: 'Yes; the certificate matches the name DNS gave, nothing more', aAuth: 'Yes, and the server’s certificate is checked',
    qSession: '{a} connects to {b}. What will {b} answer?', aAccept: 'It accepts the message', aRefuse: 'It refuses it for good (5xx)', aLater: 'It says to try later (4xx)',
    qStored: 'What does {a} do now?', aDeliver: 'Delivers the message anyway', aNotify: 'Writes a notification back to the sender', aRetry: 'Keeps it and tries again later',
  },
  pt: {
    predict: 'Prever antes de cada passo', score: 'Pontos: {r} de {n}', right: 'Certo.', wrong: 'Não exatamente: a resposta era “{a}”.',
    qNext: 'Qual máquina recebe a mensagem {m} agora, vinda de {a}?', qChannel: 'O salto de {a} para {b} vai ser cifrado?',
    aPlain: 'Não: texto claro', aTls: 'Sim, mas ninguém confere o servidor', aName: 'Sim; o certificado bate com o nome que o DNS deu, e só', aAuth: 'Sim, e o certificado do servidor é conferido',
    qSession: '{a} se conecta a {b}. O que {b} vai responder?', aAccept: 'Aceita a mensagem', aRefuse: 'Recusa de vez (5xx)', aLater: 'Pede para tentar mais tarde (4xx)',
    qStored: 'O que {a} faz agora?', aDeliver: 'Entrega a mensagem mesmo assim', aNotify: 'Escreve uma notificação de volta ao remetente', aRetry: 'Guarda e tenta de novo mais tarde',
  },
});
Object.assign(P, { predict: false, score: { r: 0, n: 0 }, answered: new Set(), ask: null });
/* The question for step `st`, or null when it has none. */
function question(st) {
  if (!st) return null;
  const h = st.hop, x = st.session;
  if (h && st.index % 2 === 1) {
    const others = (P.data.nodes || []).map(n => n.name).filter(n => n !== h.from && n !== h.to).slice(0, 3);
    return { q: tr('qNext', { m: h.message, a: h.from }), choices: [h.to, ...others].sort().map(n => ({ label: n, ok: n === h.to })) };
  }
  if (h) return { q: tr('qChannel', { a: h.from, b: h.to }), choices: [['plaintext', 'aPlain'], ['tls', 'aTls'], ['tls-name-only', 'aName'], ['tls-authenticated', 'aAuth']].map(([c, k]) => ({ label: tr(k), ok: c === h.channel })) };
  // what an SMTP server answers; IMAP's NO and POP3's -ERR have no classes to guess between
  if (x && /^\d{3}$/.test(x.code || '')) return { q: tr('qSession', { a: x.from, b: x.to }), choices: [['2', 'aAccept'], ['5', 'aRefuse'], ['4', 'aLater']].map(([c, k]) => ({ label: tr(k), ok: x.code[0] === c })) };
  if (st.stored && st.kind === 'stored' && /^Return-Path: <>/.test(st.stored.eml || '')) {
    return { q: tr('qStored', { a: st.stored.node }), choices: ['aDeliver', 'aNotify', 'aRetry'].map(k => ({ label: tr(k), ok: k === 'aNotify' })) };
  }
  return null;
}
function ask(i) {
  M.setPlay(false);
  const Q = question(steps()[i]);
  P.ask = i;
  put(U.quiz, el('p.q', null, Q.q), el('div.choices', null, Q.choices.map(c => el('button.btn', { tid: 'predict-choice', onclick: () => answer(i, c, Q) }, c.label))));
  U.quiz.hidden = false;
}
function answer(i, c, Q) {
  P.answered.add(i);
  P.score.n++;
  if (c.ok) P.score.r++;
  P.ask = null;
  go(i);
  const right = Q.choices.find(x => x.ok);
  put(U.quiz, el('p.feedback.' + (c.ok ? 'ok' : 'bad'), { tid: 'predict-feedback' }, c.ok ? tr('right') : tr('wrong', { a: right ? right.label : '' })));
  U.quiz.hidden = false;
  paintScore();
}
function paintScore() {
  if (!U.score) return;
  U.score.hidden = !P.predict;
  U.score.textContent = tr('score', P.score);
}

M.part({
  id: 'predict', slot: 'switches', order: 20,
  build: () => [
    el('label.switch', { for: 'mh-predict' }, el('input', { type: 'checkbox', role: 'switch', id: 'mh-predict', tid: 'predict-toggle', checked: P.predict,
      onchange: e => { P.predict = e.target.checked; U.quiz.hidden = true; paintScore(); } }), el('span', null, tr('predict'))),
    U.score = el('span.score', { tid: 'predict-score', role: 'status' })],
  mounted: paintScore,
  // a student's move to the next step waits for the answer
  intercept: i => { if (P.predict && i === P.idx + 1 && !P.answered.has(i) && question(steps()[i])) { ask(i); return true; } return false; },
});
M.part({
  id: 'quiz', slot: 'prompt', order: 10,
  build: () => (U.quiz = el('div.quiz', { tid: 'predict', hidden: true, 'aria-live': 'polite' })),
  render: (st, moved) => { if (moved && P.ask == null) U.quiz.hidden = true; },
});
})();
