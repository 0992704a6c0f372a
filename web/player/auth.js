/* The Authentication panel: who really sent the step's message. For each sender check a server made
   on arrival, a small table (SPF for the HELO name and the MAIL FROM domain, each DKIM signature, DMARC
   for the From domain with alignment and the domain's policy, ARC with its sealers), then the decision
   and its reason in narrate's words, the Authentication-Results header and the DNS records read; for a
   spam filter, each rule with its points and meaning, and the total against the thresholds; a DKIM
   signature added, a forward, what a server found out about the client and a greylist answer, one line
   each. Data: a step's `auth` (docs/player.md). Absent from the page when no step has any. */
(() => {
'use strict';
const M = window.mailhop, { U, el, sv, put, tr, raw, loc, say, gloss, empty, host, steps, cur, heading } = M;
M.strings({
  en: {
    authPanel: 'Authentication', auNone: 'No server checked a sender, signed, scored or forwarded a message at this step.',
    auChecks: '{node} checks who really sent {m}', auSeen: 'It knew: client {ip}, HELO {h}, MAIL FROM {f}', auNullSender: '<> (a bounce)',
    auColCheck: 'check', auColResult: 'result', auColWhy: 'what it means',
    auSpfHelo: 'SPF (HELO)', auSpfFrom: 'SPF (MAIL FROM)', auNoSig: 'the message carries no DKIM signature',
    auAligned: 'aligned with From: SPF {s}, DKIM {d}',
    auPolicy: 'its policy for mail that fails: p={p}', auNoPolicy: 'no DMARC record, so no policy',
    auSealedSaw: 'What the last sealer recorded',
    auDecision: 'Decision: {d}', auReply: 'Reply sent: {r}',
    auHeader: 'The Authentication-Results header it added', auHeaderRefused: 'The Authentication-Results it wrote (added to no message: it was refused)',
    auLookups: 'DNS records read for these checks ({n})', auNoRecord: 'no record',
    auSpam: '{node} scores {m} for spam', auColRule: 'rule', auColPoints: 'points', auColMeans: 'what it means', auTotal: 'total',
    auJunkAt: 'Junk from {j}', auRejectAt: 'Junk from {j}, refused from {r}', auNoRules: 'No rule matched: nothing suspicious.', auMatched: 'found: {d}',
    auMeter: 'Score {s} on a scale with the thresholds marked', auSigned: 'DKIM signed', auSigHeader: 'The DKIM-Signature header', auForwarded: 'Forwarded',
    auVerdicts: {
      pass: 'pass: the check succeeded', fail: 'fail: the domain says this sender may not send for it, or the signature does not verify',
      softfail: 'softfail: probably not allowed; accepted, but suspect', neutral: 'neutral: the domain says nothing either way, or the signature cannot be judged',
      none: 'none: nothing to check (no record, or no signature)', temperror: 'temperror: a DNS lookup failed for now; trying later may work',
      permerror: 'permerror: a record is broken; nothing can be checked until it is fixed',
    },
  },
  pt: {
    authPanel: 'Autenticação', auNone: 'Nenhum servidor verificou remetente, assinou, pontuou ou encaminhou mensagem neste passo.',
    auChecks: '{node} verifica quem de fato enviou {m}', auSeen: 'O que ele sabia: cliente {ip}, HELO {h}, MAIL FROM {f}', auNullSender: '<> (uma devolução)',
    auColCheck: 'verificação', auColResult: 'resultado', auColWhy: 'o que significa',
    auSpfHelo: 'SPF (HELO)', auSpfFrom: 'SPF (MAIL FROM)', auNoSig: 'a mensagem não traz assinatura DKIM',
    auAligned: 'alinhado com o From: SPF {s}, DKIM {d}',
    auPolicy: 'sua política para e-mail que falha: p={p}', auNoPolicy: 'sem registro DMARC, então sem política',
    auSealedSaw: 'O que o último selador registrou',
    auDecision: 'Decisão: {d}', auReply: 'Resposta enviada: {r}',
    auHeader: 'O cabeçalho Authentication-Results que ele acrescentou', auHeaderRefused: 'O Authentication-Results que ele escreveu (não entrou em mensagem nenhuma: ela foi recusada)',
    auLookups: 'Registros DNS lidos para estas verificações ({n})', auNoRecord: 'nenhum registro',
    auSpam: '{node} dá pontos de spam a {m}', auColRule: 'regra', auColPoints: 'pontos', auColMeans: 'o que significa', auTotal: 'total',
    auJunkAt: 'Lixo eletrônico a partir de {j}', auRejectAt: 'Lixo eletrônico a partir de {j}, recusa a partir de {r}', auNoRules: 'Nenhuma regra casou: nada suspeito.', auMatched: 'encontrado: {d}',
    auMeter: 'Pontuação {s} numa escala com os limites marcados', auSigned: 'Assinada com DKIM', auSigHeader: 'O cabeçalho DKIM-Signature', auForwarded: 'Encaminhada',
    auVerdicts: {
      pass: 'pass: a verificação deu certo', fail: 'fail: o domínio diz que este remetente não pode enviar por ele, ou a assinatura não confere',
      softfail: 'softfail: provavelmente sem permissão; aceita, mas suspeita', neutral: 'neutral: o domínio não afirma nada, ou a assinatura não pode ser avaliada',
      none: 'none: nada a verificar (nenhum registro, ou nenhuma assinatura)', temperror: 'temperror: uma consulta DNS falhou por ora; tentar mais tarde pode dar certo',
      permerror: 'permerror: um registro está quebrado; nada pode ser verificado até que seja corrigido',
    },
  },
});
M.words([
  ['SPF', { en: 'Sender Policy Framework: a domain lists in a DNS TXT record which servers may send mail with its name in MAIL FROM (and HELO). The receiver compares the connecting address with that list.', pt: 'Sender Policy Framework: um domínio lista num registro TXT do DNS quais servidores podem enviar e-mail com o nome dele no MAIL FROM (e no HELO). Quem recebe compara o endereço que se conectou com essa lista.' }],
  ['DKIM', { en: 'DomainKeys Identified Mail: the sending server signs headers and body with a private key; the public key is in DNS at selector._domainkey.domain. A valid signature proves the domain vouches for the message and nothing signed changed on the way.', pt: 'DomainKeys Identified Mail: o servidor que envia assina cabeçalhos e corpo com uma chave privada; a chave pública fica no DNS em seletor._domainkey.domínio. Uma assinatura válida prova que o domínio responde pela mensagem e que nada do que foi assinado mudou no caminho.' }],
  ['DMARC', { en: 'Ties SPF and DKIM to the From address the reader sees: one of them must pass for a domain aligned with it. The domain\'s record at _dmarc.domain says what to do with mail that fails: p=none, quarantine (Junk) or reject.', pt: 'Liga o SPF e o DKIM ao endereço From que o leitor vê: um dos dois precisa passar para um domínio alinhado com ele. O registro do domínio em _dmarc.domínio diz o que fazer com e-mail que falha: p=none, quarantine (Lixo eletrônico) ou reject.' }],
  ['ARC', { en: 'Authenticated Received Chain: a forwarder or mailing list seals the results it found before changing the message, so a later receiver that trusts it can accept what forwarding broke.', pt: 'Authenticated Received Chain: um encaminhador ou lista de discussão sela os resultados que encontrou antes de mudar a mensagem, para que um destinatário posterior que confie nele aceite o que o encaminhamento quebrou.' }],
  ['SRS', { en: 'Sender Rewriting Scheme: a forwarder puts its own domain in the envelope sender (SRS0=...), so SPF at the next provider asks the forwarder\'s domain, which allows it, and bounces still find their way back.', pt: 'Sender Rewriting Scheme: o encaminhador põe o próprio domínio no remetente do envelope (SRS0=...), assim o SPF no provedor seguinte consulta o domínio do encaminhador, que o autoriza, e as devoluções ainda acham o caminho de volta.' }],
  ['Authentication-Results', { en: 'The header a receiving server adds with what its checks found (spf=, dkim=, dmarc=, arc=), so the mail client and filters after it can read the verdict.', pt: 'O cabeçalho que o servidor que recebe acrescenta com o que as verificações encontraram (spf=, dkim=, dmarc=, arc=), para que o cliente de e-mail e os filtros depois dele leiam o veredito.' }],
  ['TXT', { en: 'A DNS record that holds text. SPF lists, DKIM public keys and DMARC policies are all published as TXT records.', pt: 'Um registro DNS que guarda texto. Listas SPF, chaves públicas DKIM e políticas DMARC são todas publicadas como registros TXT.' }],
]);

/* Numbers as the page's language writes them: one decimal, a comma in Portuguese; `sign` adds + to positives. */
const num = (n, sign) => { const v = Number(n) || 0, s = v.toFixed(1); return (sign && v > 0 ? '+' : '') + (M.lang() === 'pt' ? s.replace('.', ',') : s); };
const verdict = v => el('span.verdict.v-' + v, { title: (raw('auVerdicts') || {})[v] || null }, v);

/* One row: the check and the domain it was about, its result, and what that means in narrate's words. */
function checkRow(kind, label, word, domain, result, why, extra, sub) {
  return el('tr', { tid: 'auth-row', 'data-check': kind, 'data-result': result, 'data-domain': domain || null, ...extra },
    el('th', { scope: 'row' }, el('span.mech', { title: gloss(word) || null }, label), domain && el('span.dom', null, host(domain)), sub && el('span.dom', null, sub)),
    el('td', null, verdict(result)), el('td.why', null, why));
}
/* `refused`: the message was refused after all (by the spam filter), so the header went on no message. */
function checkView(c, refused) {
  const dm = c.dmarc || {}, arc = c.arc || { result: 'none', sealers: [] }, sigs = c.dkim || [];
  const spf = (kind, label, s) => checkRow(kind, label, 'SPF', s.domain, s.result, loc(s.why));
  const dkim = sigs.length ? sigs.map(d => checkRow('dkim', 'DKIM', 'DKIM', d.domain, d.result, loc(d.why), { 'data-selector': d.selector }, 's=' + d.selector))
    : checkRow('dkim', 'DKIM', 'DKIM', '', 'none', tr('auNoSig'));
  const dmarc = checkRow('dmarc', 'DMARC', 'DMARC', dm.domain, dm.result,
    [loc(dm.why), ['pass', 'fail'].includes(dm.result) && el('div.aligned', null, tr('auAligned', { s: dm.spf_aligned, d: dm.dkim_aligned })),
      el('div.policy', { tid: 'auth-policy' }, dm.policy ? tr('auPolicy', { p: dm.policy }) : tr('auNoPolicy'))], { 'data-policy': dm.policy || null });
  const sealers = arc.sealers || [];
  const arcRow = checkRow('arc', 'ARC', 'ARC', sealers[sealers.length - 1] || '', arc.result,
    [loc(arc.why), arc.sealed_results && el('details.auth-more', null, el('summary', null, tr('auSealedSaw')), el('pre.auth-header', null, arc.sealed_results))]);
  const lookups = c.dns || [];
  return el('div.auth-item', { tid: 'auth-check', 'data-node': c.node, 'data-message': c.message, 'data-action': c.action },
    el('h3', null, tr('auChecks', { node: c.node, m: c.message })),
    el('p.note', null, tr('auSeen', { ip: c.client_ip, h: c.helo || '—', f: c.mail_from || tr('auNullSender') })),
    el('div.scroll', null, el('table.grid.auth-table', { tid: 'auth-results' },
      el('thead', null, el('tr', null, ['auColCheck', 'auColResult', 'auColWhy'].map(k => el('th', { scope: 'col' }, tr(k))))),
      el('tbody', null, spf('spf-helo', tr('auSpfHelo'), c.spf_helo || {}), spf('spf', tr('auSpfFrom'), c.spf || {}), dkim, dmarc, arcRow))),
    // accepted although DMARC failed, with no trusted seal to vouch for it: let through, but not a good sign
    el('p.auth-decision.act-' + (c.action === 'accept' && dm.result === 'fail' && !c.trusted_arc ? 'lenient' : c.action), { tid: 'auth-decision', 'data-action': c.action }, tr('auDecision', { d: loc(c.decision) })),
    c.reply && el('p.auth-reply', { tid: 'auth-reply' }, tr('auReply', { r: c.reply })),
    el('details.auth-more', null, el('summary', { title: gloss('Authentication-Results') }, tr(c.action === 'reject' || refused ? 'auHeaderRefused' : 'auHeader')),
      el('pre.auth-header', null, String(c.header || '').replace(/\r\n/g, '\n').trimEnd())),
    lookups.length > 0 && el('details.auth-more', { tid: 'auth-dns' }, el('summary', null, tr('auLookups', { n: lookups.length })),
      el('ul.dns', null, lookups.map(d => el('li', null, el('code', { title: gloss(d.rtype) || null }, d.name + ' ' + d.rtype),
        el('div.ans', null, d.answers && d.answers.length ? d.answers.map(a => el('div', null, a)) : [d.rcode || '', ' (', tr('auNoRecord'), ')']))))));
}

/* The score on a scale, thresholds marked: an SVG, so nothing needs a style attribute. */
function meter(s) {
  const top = Math.max(s.score, s.reject_at ?? s.junk_at, s.junk_at) * 1.25 || 1, x = v => Math.max(0, Math.min(300, (v / top) * 300));
  const level = s.action === 'reject' ? 'reject' : s.action === 'junk' ? 'junk' : 'accept';
  return sv('svg.meter', { viewBox: '0 0 300 18', preserveAspectRatio: 'none', role: 'img', 'aria-label': tr('auMeter', { s: num(s.score) }) },
    sv('rect.track', { x: 0, y: 4, width: 300, height: 10, rx: 3 }), sv('rect.fill.act-' + level, { x: 0, y: 4, width: x(s.score), height: 10, rx: 3 }),
    sv('rect.tick.junk', { x: x(s.junk_at) - 1, y: 0, width: 2, height: 18 }), s.reject_at != null && sv('rect.tick.reject', { x: x(s.reject_at) - 1, y: 0, width: 2, height: 18 }));
}
function spamView(s) {
  const rules = s.rules || [], limits = s.reject_at != null ? tr('auRejectAt', { j: num(s.junk_at), r: num(s.reject_at) }) : tr('auJunkAt', { j: num(s.junk_at) });
  return el('div.auth-item', { tid: 'spam-score', 'data-node': s.node, 'data-message': s.message, 'data-score': s.score, 'data-action': s.action },
    el('h3', null, tr('auSpam', { node: s.node, m: s.message })),
    rules.length ? el('div.scroll', null, el('table.grid.auth-table.spam', null,
      el('thead', null, el('tr', null, ['auColRule', 'auColPoints', 'auColMeans'].map(k => el('th', { scope: 'col' }, tr(k))))),
      el('tbody', null, rules.map(r => el('tr', { tid: 'spam-rule', 'data-rule': r.name }, el('td', null, el('code', null, r.name)), el('td.num', null, num(r.score, true)),
        el('td.why', null, loc(r.meaning), r.detail && el('div.muted', null, tr('auMatched', { d: r.detail })))))),
      el('tfoot', null, el('tr', null, el('th', { scope: 'row' }, tr('auTotal')), el('td.num', null, num(s.score)), el('td.why', null, limits)))))
      : [el('p.note', null, tr('auNoRules')), el('p.note', null, tr('auTotal') + ' ' + num(s.score) + ' · ' + limits)],
    meter(s),
    el('p.auth-decision.act-' + s.action, { tid: 'auth-decision', 'data-action': s.action }, tr('auDecision', { d: loc(s.verdict) })),
    s.reply && el('p.auth-reply', { tid: 'auth-reply' }, tr('auReply', { r: s.reply })));
}
function signedView(x) {
  return el('div.auth-line', { tid: 'auth-signed', 'data-node': x.node, 'data-message': x.message },
    el('b', { title: gloss('DKIM') }, tr('auSigned')), ' ', say(x),
    el('details.auth-more', null, el('summary', null, tr('auSigHeader')), el('pre.auth-header', null, String(x.header || '').replace(/\r\n/g, '\n').trimEnd())));
}
const forwardView = f => el('div.auth-line', { tid: 'auth-forward', 'data-node': f.node, 'data-message': f.message, 'data-srs': f.rewritten ? 'true' : null },
  el('b', { title: f.rewritten ? gloss('SRS') : null }, tr('auForwarded')), ' ', say(f));

/* What a server found out about the client (reverse DNS, HELO, blocklists), or a greylist answer: one line. */
const clientView = x => el('div.auth-line' + (x.code ? '.refused' : ''), { tid: 'auth-client', 'data-kind': x.kind, 'data-node': x.node, 'data-code': x.code || null },
  el('b', { title: gloss(x.kind === 'client_checked' ? 'reverse DNS' : 'greylisting') || null }, M.kindName(x.kind)), ' ', say(x));

function renderAuth() {
  const a = cur().auth;
  if (!a) { put(U.auth, empty('auNone')); return; }
  put(U.auth, (a.client || []).map(clientView), (a.signed || []).map(signedView), (a.checks || []).map(c => checkView(c, (a.spam || []).some(x => x.conn === c.conn && x.message === c.message && x.action === 'reject'))), (a.spam || []).map(spamView), (a.forwards || []).map(forwardView));
}

M.part({
  id: 'auth', slot: 'panels', order: 15,
  // only for runs where some server signs, checks, scores or forwards
  build: () => (steps().some(s => s.auth) ? el('section.panel', { id: 'p-auth', tid: 'auth', 'aria-labelledby': 'h-authPanel' }, heading('authPanel'), U.auth = el('div')) : null),
  render: () => { if (U.auth) renderAuth(); },
});
})();
