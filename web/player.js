/* mailhop web player: draws one scenario's player data (docs/player.md).
   Plain ES2020, no dependencies, no build step. Also runs the gallery's language switch. */
'use strict';
(() => {
const doc = document, B = doc.body, NS = 'http://www.w3.org/2000/svg', KEY = 'mailhop.lang';
const LANES = ['sender', 'internet', 'recipient'], CHANNELS = ['plaintext', 'tls', 'tls-authenticated'];

const STR = {
  en: {
    lanes: ['Sender side', 'Internet', 'Recipient side'],
    roles: { mua: 'mail client', msa: 'submission server', mta: 'mail server', smarthost: 'smarthost', 'spam-filter': 'spam filter', 'secondary-mx': 'backup MX', gateway: 'gateway', mda: 'mailbox server' },
    kinds: { session: 'session, nothing accepted', stored: 'copy written', hop: 'hop', composed: 'written', deferred: 'deferred', retry_scheduled: 'retry', delivered: 'delivered', bounced: 'bounced', dropped: 'dropped', connect_failed: 'connection failed', tls_failed: 'TLS failed', submission_failed: 'not submitted', queued_at_end: 'still queued', node_down: 'down', node_up: 'back up', typed: 'typed', typing_stopped: 'stopped typing', auth: 'login', delay_warned: 'late notice' },
    langLabel: 'Language: English. Mudar para português', gallery: 'All scenarios', loading: 'Loading the scenario…', loadFail: 'Could not load this scenario.',
    problemsTitle: 'This scenario file has problems', problemsWatch: 'Fix the file and save it: this page updates by itself.', problemsHint: 'Fix the file, then reload this page.',
    topology: 'Machines on the path of the message', down: 'down', readable: 'readable copy', readableN: '{n} readable copies', unreadable: 'copy, not readable',
    keyHop: 'hop (click to go to it)', keyDown: 'machine down', tlsRec: 'TLS {t} record, {n} bytes', tlsRec1: 'TLS {t} record, 1 byte',
    rolesShort: { mua: 'client', msa: 'submission', mta: 'server', smarthost: 'smarthost', 'spam-filter': 'spam filter', 'secondary-mx': 'backup MX', gateway: 'gateway', mda: 'mailboxes' },
    pwFlag: 'A password crossed this link in plaintext: {t}', pwEdge: 'password in plaintext', decode: 'Decode what an eavesdropper sees',
    decodedPlain: 'Base64 is an encoding, not encryption. Anyone on the wire decodes: user {u}, password {p}', decodedLogin: 'Base64 is an encoding, not encryption. Anyone on the wire decodes: {v}',
    decodedWord: 'decoded: {v}',
    journey: 'Whole journey so far', heldBefore: 'held a readable copy', jA1: '1 machine held a readable copy', jA: '{n} machines held a readable copy',
    jP1: '1 hop in plaintext', jP: '{n} hops in plaintext', jE1: '1 hop encrypted', jE: '{n} hops encrypted',
    envelope: 'message {m} on its way', failed: 'failed attempt', step: 'Step {n} of {m}', virtual: 'virtual time since the start', controls: 'Step controls',
    first: 'First step', prev: 'Previous', next: 'Next', last: 'Last step', play: 'Play', pause: 'Pause', speed: 'Speed',
    present: 'Present', leave: 'Leave presenter mode', presentHint: 'Presenter mode: press Esc to leave',
    conversation: 'Conversation', wireToggle: 'What someone on the wire sees', convWho: 'C: client {a} · S: server {b}', certCheck: 'Certificate check: {r}',
    connReused: 'Same connection as hop {n}: the client kept it open and began with RSET, with no new greeting, EHLO or TLS handshake.',
    tlsResumed: 'TLS session resumed: the server sent no certificate this time; the client trusts the session it checked before.',
    insideTls: 'inside TLS', tlsBlock: 'inside TLS: only the two ends can read these lines',
    wireIntro: 'The bytes between {a} and {b} as someone watching the link sees them: plain text as it is, TLS records only by type and size.',
    noConv: 'No SMTP conversation in this step.', emptyLine: '(empty line)',
    message: 'Message', storedAt: 'Copy stored at {node}, {place}', opCan: 'its operator can read it', opCannot: 'its operator cannot read it',
    added: 'added on this hop', lastCopy: 'Last copy written: {node}, {place}', noMsg: 'The message has not left the sender yet.',
    copyGone: 'The last copy written, on {node} ({place}), has been removed since', addedHere: 'written here',
    refusedBy: 'What the server said no with: {r}', noRefusal: 'No reply refused anything: the connection ended without a message accepted.',
    dns: 'DNS', noDns: 'No DNS lookups since the previous step.', asks: 'asks for', noAnswer: 'no records',
    exposure: 'Who could read it', onWire: 'On the wire: someone watching the link', atRest: 'At rest: the operator of each machine',
    colLink: 'hop and channel', colEnv: 'envelope', colHeaders: 'headers', colBody: 'body', colMachine: 'machine', colMsg: 'message', colSince: 'since hop',
    yes: 'yes', no: 'no', nothingYet: 'Nothing has travelled yet.',
    summary: 'Machines that kept a copy their operators could read: {a}. Hops that could be read on the wire: {b}.',
    summaryC: 'Messages read on the wire where they were not accepted: {c}.', summaryD: 'Passwords read on the wire: {d}.',
    notAccepted: 'On the wire, not accepted: content the server refused or never finished receiving', passwords: 'On the wire: passwords sent with AUTH outside TLS',
    colConn: 'connection and channel', colPassword: 'what crossed',
    timeline: 'Timeline', tlHops: 'hops', tlEvents: 'events', goHop: 'Go to hop {n}, {t}',
    events: 'What happened since the previous step', noEvents: 'Nothing else happened.',
    eventlist: 'All events of the run', evAll: 'all', evNode: 'Machine', evMessage: 'Message', evKind: 'Kind', evCount: '{n} of {m} events; choose one to go to its step',
    evPrev: 'Previous event', evNext: 'Next event',
    words: 'Words used here',
    predict: 'Predict before each step', score: 'Score: {r} of {n}', right: 'Right.', wrong: 'Not quite: the answer was “{a}”.',
    qNext: 'Which machine takes message {m} next, from {a}?', qChannel: 'Will the hop from {a} to {b} be encrypted?',
    aPlain: 'No: plaintext', aTls: 'Yes, but nobody checks the server', aAuth: 'Yes, and the server’s certificate is checked',
    qSession: '{a} connects to {b}. What will {b} answer?', aAccept: 'It accepts the message', aRefuse: 'It refuses it for good (5xx)', aLater: 'It says to try later (4xx)',
    qStored: 'What does {a} do now?', aDeliver: 'Delivers the message anyway', aNotify: 'Writes a notification back to the sender', aRetry: 'Keeps it and tries again later',
    whatif: 'What if…', whatifIntro: 'Change the world and run it again; you stay at the same step.',
    compose: 'The message', subject: 'Subject', text: 'Text', apply: 'Apply', reset: 'Back to the scenario as written',
    running: 'Running the changed scenario…', changed: 'What if: you are looking at a changed version of this scenario.', failedReq: 'That did not work: {e}', done: 'Done: showing the changed scenario.',
    busyServer: 'the server is busy with other students’ what-ifs; try again in a few seconds', oneAtATime: 'your previous what-if is still running; wait for it, then try again',
  },
  pt: {
    lanes: ['Lado do remetente', 'Internet', 'Lado do destinatário'],
    roles: { mua: 'cliente de e-mail', msa: 'servidor de submissão', mta: 'servidor de e-mail', smarthost: 'smarthost', 'spam-filter': 'filtro antispam', 'secondary-mx': 'MX reserva', gateway: 'gateway', mda: 'servidor de caixas postais' },
    kinds: { session: 'sessão, nada aceito', stored: 'cópia gravada', hop: 'salto', composed: 'escrita', deferred: 'adiado', retry_scheduled: 'nova tentativa', delivered: 'entregue', bounced: 'devolvido', dropped: 'descartado', connect_failed: 'falha de conexão', tls_failed: 'falha de TLS', submission_failed: 'não enviada', queued_at_end: 'ainda na fila', node_down: 'fora do ar', node_up: 'de volta', typed: 'digitado', typing_stopped: 'parou de digitar', auth: 'login', delay_warned: 'aviso de atraso' },
    langLabel: 'Idioma: português. Switch to English', gallery: 'Todos os cenários', loading: 'Carregando o cenário…', loadFail: 'Não foi possível carregar este cenário.',
    problemsTitle: 'Este arquivo de cenário tem problemas', problemsWatch: 'Corrija o arquivo e salve: esta página se atualiza sozinha.', problemsHint: 'Corrija o arquivo e recarregue esta página.',
    topology: 'Máquinas no caminho da mensagem', down: 'fora do ar', readable: 'cópia legível', readableN: '{n} cópias legíveis', unreadable: 'cópia ilegível',
    keyHop: 'salto (clique para ir até ele)', keyDown: 'máquina fora do ar', tlsRec: 'registro TLS {t}, {n} bytes', tlsRec1: 'registro TLS {t}, 1 byte',
    rolesShort: { mua: 'cliente', msa: 'submissão', mta: 'servidor', smarthost: 'smarthost', 'spam-filter': 'antispam', 'secondary-mx': 'MX reserva', gateway: 'gateway', mda: 'caixas postais' },
    pwFlag: 'Uma senha atravessou este enlace em texto claro: {t}', pwEdge: 'senha em texto claro', decode: 'Decodificar o que um bisbilhoteiro vê',
    decodedPlain: 'Base64 é uma codificação, não criptografia. Qualquer um na rede decodifica: usuário {u}, senha {p}', decodedLogin: 'Base64 é uma codificação, não criptografia. Qualquer um na rede decodifica: {v}',
    decodedWord: 'decodificado: {v}',
    journey: 'Toda a viagem até aqui', heldBefore: 'guardou cópia legível', jA1: '1 máquina guardou uma cópia legível', jA: '{n} máquinas guardaram uma cópia legível',
    jP1: '1 salto em texto claro', jP: '{n} saltos em texto claro', jE1: '1 salto cifrado', jE: '{n} saltos cifrados',
    envelope: 'mensagem {m} a caminho', failed: 'tentativa que falhou', step: 'Passo {n} de {m}', virtual: 'tempo virtual desde o início', controls: 'Controles dos passos',
    first: 'Primeiro passo', prev: 'Anterior', next: 'Próximo', last: 'Último passo', play: 'Reproduzir', pause: 'Pausar', speed: 'Velocidade',
    present: 'Apresentar', leave: 'Sair do modo apresentação', presentHint: 'Modo apresentação: aperte Esc para sair',
    conversation: 'Conversa', wireToggle: 'O que alguém na rede vê', convWho: 'C: cliente {a} · S: servidor {b}', certCheck: 'Verificação do certificado: {r}',
    connReused: 'Mesma conexão do salto {n}: o cliente a manteve aberta e começou com RSET, sem nova saudação, EHLO nem handshake TLS.',
    tlsResumed: 'Sessão TLS retomada: desta vez o servidor não enviou certificado; o cliente confia na sessão que verificou antes.',
    insideTls: 'dentro do TLS', tlsBlock: 'dentro do TLS: só as duas pontas leem estas linhas',
    wireIntro: 'Os bytes entre {a} e {b} como quem observa o enlace os vê: texto puro como está, registros TLS só com tipo e tamanho.',
    noConv: 'Nenhuma conversa SMTP neste passo.', emptyLine: '(linha vazia)',
    message: 'Mensagem', storedAt: 'Cópia guardada em {node}, {place}', opCan: 'o operador consegue lê-la', opCannot: 'o operador não consegue lê-la',
    added: 'acrescentado neste salto', lastCopy: 'Última cópia gravada: {node}, {place}', noMsg: 'A mensagem ainda não saiu do remetente.',
    copyGone: 'A última cópia gravada, em {node} ({place}), já foi removida', addedHere: 'escrito aqui',
    refusedBy: 'A resposta do servidor que disse não: {r}', noRefusal: 'Nenhuma resposta recusou nada: a conexão terminou sem mensagem aceita.',
    dns: 'DNS', noDns: 'Nenhuma consulta DNS desde o passo anterior.', asks: 'pergunta', noAnswer: 'nenhum registro',
    exposure: 'Quem pôde ler', onWire: 'Na rede: alguém observando o enlace', atRest: 'Em repouso: o operador de cada máquina',
    colLink: 'salto e canal', colEnv: 'envelope', colHeaders: 'cabeçalhos', colBody: 'corpo', colMachine: 'máquina', colMsg: 'mensagem', colSince: 'desde o salto',
    yes: 'sim', no: 'não', nothingYet: 'Nada viajou ainda.',
    summary: 'Máquinas que guardaram uma cópia que o operador podia ler: {a}. Saltos que podiam ser lidos na rede: {b}.',
    summaryC: 'Mensagens lidas na rede onde não foram aceitas: {c}.', summaryD: 'Senhas lidas na rede: {d}.',
    notAccepted: 'Na rede, sem ser aceito: conteúdo que o servidor recusou ou não terminou de receber', passwords: 'Na rede: senhas enviadas com AUTH fora do TLS',
    colConn: 'conexão e canal', colPassword: 'o que passou',
    timeline: 'Linha do tempo', tlHops: 'saltos', tlEvents: 'eventos', goHop: 'Ir para o salto {n}, {t}',
    events: 'O que aconteceu desde o passo anterior', noEvents: 'Nada mais aconteceu.',
    eventlist: 'Todos os eventos da execução', evAll: 'todos', evNode: 'Máquina', evMessage: 'Mensagem', evKind: 'Tipo', evCount: '{n} de {m} eventos; escolha um para ir ao passo dele',
    evPrev: 'Evento anterior', evNext: 'Próximo evento',
    words: 'Palavras usadas aqui',
    predict: 'Prever antes de cada passo', score: 'Pontos: {r} de {n}', right: 'Certo.', wrong: 'Não exatamente: a resposta era “{a}”.',
    qNext: 'Qual máquina recebe a mensagem {m} agora, vinda de {a}?', qChannel: 'O salto de {a} para {b} vai ser cifrado?',
    aPlain: 'Não: texto claro', aTls: 'Sim, mas ninguém confere o servidor', aAuth: 'Sim, e o certificado do servidor é conferido',
    qSession: '{a} se conecta a {b}. O que {b} vai responder?', aAccept: 'Aceita a mensagem', aRefuse: 'Recusa de vez (5xx)', aLater: 'Pede para tentar mais tarde (4xx)',
    qStored: 'O que {a} faz agora?', aDeliver: 'Entrega a mensagem mesmo assim', aNotify: 'Escreve uma notificação de volta ao remetente', aRetry: 'Guarda e tenta de novo mais tarde',
    whatif: 'E se…?', whatifIntro: 'Mude o mundo e rode de novo; você continua no mesmo passo.',
    compose: 'A mensagem', subject: 'Assunto', text: 'Texto', apply: 'Aplicar', reset: 'Voltar ao cenário original',
    running: 'Rodando o cenário alterado…', changed: 'E se: você está vendo uma versão alterada deste cenário.', failedReq: 'Não deu certo: {e}', done: 'Pronto: mostrando o cenário alterado.',
    busyServer: 'o servidor está ocupado com os “e se” de outros alunos; tente de novo em alguns segundos', oneAtATime: 'seu “e se” anterior ainda está rodando; espere terminar e tente de novo',
  },
};

/* ---------- language ---------- */
/* One glossary for the whole page: each word where it appears (a tooltip) and all of them in the Words panel. Written for this player, in both languages. */
const GLOSSARY = [
  ['MUA', { en: 'Mail user agent: the program a person reads and writes mail with (Thunderbird, a phone app, a webmail page).', pt: 'Agente de usuário de e-mail: o programa com que a pessoa lê e escreve mensagens (Thunderbird, um app no celular, um webmail).' }, ['mua']],
  ['MSA', { en: 'Mail submission agent: the server that takes a new message from its own users, after they log in, usually on port 587.', pt: 'Agente de submissão: o servidor que recebe a mensagem nova dos próprios usuários, depois do login, em geral na porta 587.' }, ['msa']],
  ['MTA', { en: 'Mail transfer agent: a server that passes mail on towards its destination, speaking SMTP to the next server, usually on port 25.', pt: 'Agente de transferência: um servidor que passa a mensagem adiante rumo ao destino, falando SMTP com o próximo servidor, em geral na porta 25.' }, ['mta']],
  ['MDA', { en: 'Mail delivery agent: the server that files a message into the recipient\'s mailbox, where it waits to be read.', pt: 'Agente de entrega: o servidor que coloca a mensagem na caixa postal do destinatário, onde ela espera ser lida.' }, ['mda']],
  ['smarthost', { en: 'A relay that a server hands all its outgoing mail to, instead of finding each recipient\'s server itself; often the provider\'s.', pt: 'Um relay ao qual um servidor entrega toda a mensagem que sai, em vez de procurar ele mesmo o servidor de cada destinatário; muitas vezes é o do provedor.' }, ['smarthost']],
  ['spam filter', { en: 'A hosted service that receives a domain\'s mail first (its MX points there), checks it, and passes the rest on.', pt: 'Um serviço hospedado que recebe primeiro a mensagem de um domínio (o MX aponta para ele), examina e repassa o resto.' }, ['spam-filter']],
  ['backup MX', { en: 'A second mail exchanger with a higher preference number: tried when the first does not answer, it keeps the mail until the first is back.', pt: 'Um segundo servidor de e-mail com número de preferência maior: é tentado quando o primeiro não responde e guarda a mensagem até ele voltar.' }, ['secondary-mx']],
  ['MX', { en: 'The DNS record naming the servers that accept mail for a domain, each with a preference: the lowest number is tried first.', pt: 'O registro DNS que diz quais servidores aceitam mensagens de um domínio, cada um com uma preferência: o número menor é tentado primeiro.' }],
  ['envelope', { en: 'What the servers act on: the sender in MAIL FROM and the recipients in RCPT TO. It can differ from the From: and To: headers inside the message.', pt: 'O que os servidores usam: o remetente em MAIL FROM e os destinatários em RCPT TO. Pode ser diferente dos cabeçalhos From: e To: dentro da mensagem.' }],
  ['STARTTLS', { en: 'The command that turns a plaintext SMTP connection into an encrypted one. Only if both ends support it, and it protects this one hop only.', pt: 'O comando que transforma uma conexão SMTP em texto claro numa conexão cifrada. Só se as duas pontas aceitarem, e protege só este salto.' }],
  ['TLS', { en: 'The encryption under HTTPS and STARTTLS. Whether the client checked the server\'s certificate decides if it knows who it is talking to.', pt: 'A criptografia por baixo do HTTPS e do STARTTLS. Se o cliente conferiu o certificado do servidor, ele sabe com quem está falando.' }],
  ['DSN', { en: 'Delivery status notification: the message a server writes back to the envelope sender when it cannot deliver (a bounce), sent with an empty sender <>.', pt: 'Notificação de status de entrega: a mensagem que um servidor escreve de volta ao remetente do envelope quando não consegue entregar (uma devolução), enviada com remetente vazio <>.' }],
  ['relay', { en: 'Passing mail on for someone else. A server that relays for anyone on the Internet (an open relay) is soon used by spammers.', pt: 'Repassar mensagens de outra pessoa. Um servidor que repassa para qualquer um na Internet (um relay aberto) logo é usado por spammers.' }],
  ['queue', { en: 'Where a server keeps a message, on disk, until it has handed it on or given up. Its operator can read what sits there.', pt: 'Onde o servidor guarda a mensagem, em disco, até repassá-la ou desistir. O operador dele pode ler o que está ali.' }],
];
const gloss = term => { const g = GLOSSARY.find(x => x[0] === term); return g ? loc(g[1]) : ''; };
const roleGloss = role => { const g = GLOSSARY.find(x => (x[2] || []).includes(role)); return g ? g[0] + ': ' + loc(g[1]) : ''; };
/* SMTP commands and DNS types in a line, explained on hover */
const LINE_WORDS = [[/^(MAIL FROM|RCPT TO)/i, 'envelope'], [/^STARTTLS/i, 'STARTTLS'], [/\bMX\b/, 'MX']];
const store = v => { try { return v ? localStorage.setItem(KEY, v) : localStorage.getItem(KEY); } catch (e) { return null; } };
const query = new URLSearchParams(location.search), isLang = v => v === 'pt' || v === 'en';
let lang = isLang(query.get('lang')) ? query.get('lang') : isLang(store()) ? store() : /^pt\b/i.test(navigator.language || '') ? 'pt' : 'en';
const raw = k => STR[lang][k] ?? STR.en[k];
const tr = (k, v) => String(raw(k) ?? k).replace(/\{(\w+)\}/g, (_, x) => (v && v[x] != null ? v[x] : ''));
const loc = o => (o == null ? '' : typeof o === 'string' ? o : o[lang] || o.en || '');
const kindName = k => raw('kinds')[k] || k, chKey = c => (CHANNELS.includes(c) ? c : 'plaintext');
/** A hop's or link's channel in words, as the player data tells it. */
const chText = h => loc(h.channel_text) || h.channel;

/** An event or hop told in the page's language (server quotes stay as said). */
function say(e) { return (lang === 'pt' && e.text_pt) || e.text || ''; }
function applyLang() { doc.documentElement.lang = lang === 'pt' ? 'pt-BR' : 'en'; doc.documentElement.dataset.lang = lang; }
function switchLang() {
  lang = lang === 'pt' ? 'en' : 'pt';
  store(lang);
  if (query.has('lang')) {
    query.set('lang', lang);
    try { history.replaceState(null, '', location.pathname + '?' + query + location.hash); } catch (e) { /* file: URLs */ }
  }
  applyLang();
}
function paintLang(b) {
  put(b, el('span' + (lang === 'en' ? '.on' : ''), { lang: 'en' }, 'EN'), el('span' + (lang === 'pt' ? '.on' : ''), { lang: 'pt-BR' }, 'PT'));
  b.dataset.lang = lang;
  b.setAttribute('aria-label', tr('langLabel'));
  b.title = tr('langLabel');
}

/* ---------- DOM helpers: el('tag.class1.class2', {attr, onevent, tid}, ...children) ---------- */
function setup(e, cls, attrs, kids) {
  if (cls.length) e.setAttribute('class', cls.join(' '));
  if (e.tagName === 'BUTTON') e.type = 'button';
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k === 'tid' ? 'data-testid' : k, v === true ? '' : v);
  }
  for (const c of kids.flat(Infinity)) if (c != null && c !== false) e.append(c.nodeType ? c : String(c));
  return e;
}
const mk = make => (sel, attrs, ...kids) => { const [t, ...c] = sel.split('.'); return setup(make(t), c.filter(Boolean), attrs, kids); };
const el = mk(t => doc.createElement(t)), sv = mk(t => doc.createElementNS(NS, t));
const put = (e, ...kids) => { e.textContent = ''; return setup(e, [], null, kids); };

const ICONS = {
  'tls-authenticated': ['R5 11 14 10', 'M8 11V7a4 4 0 0 1 8 0v4', 'M9 16l2 2 4-4'],
  tls: ['R5 11 14 10', 'M8 11V7a4 4 0 0 1 8 0'],
  plaintext: ['R5 11 14 10', 'M8 11V7a4 4 0 0 1 8 0v4', '!M3 3l18 18'],
  lock: ['R5 11 14 10', 'M8 11V7a4 4 0 0 1 8 0v4'],
  disk: ['M5 6c0-1.7 3.1-3 7-3s7 1.3 7 3-3.1 3-7 3-7-1.3-7-3z', 'M5 6v12c0 1.7 3.1 3 7 3s7-1.3 7-3V6', 'M5 12c0 1.7 3.1 3 7 3s7-1.3 7-3'],
  power: ['M12 3v8', 'M7 6.3a7.5 7.5 0 1 0 10 0'],
  key: ['M14.5 9.5a4 4 0 1 0-1.2 2.8', 'M13.3 12.3L21 20', 'M18 17l2-2', 'M16 15l2-2'],
  first: ['M17 6l-6 6 6 6', 'M7 6v12'], last: ['M7 6l6 6-6 6', 'M17 6v12'], prev: ['M15 6l-6 6 6 6'], next: ['M9 6l6 6-6 6'],
  play: ['*M8 5l11 7-11 7z'], pause: ['*M7 5h3v14H7z', '*M14 5h3v14h-3z'], screen: ['R3 4 18 12', 'M8 20h8', 'M12 16v4'], x: ['M6 6l12 12', 'M18 6L6 18'],
};
/* An inline SVG icon: with a label it is an image with a name, else decoration. box places it inside an SVG. */
function icon(name, label, box) {
  const s = sv('svg.ic.ic-' + name, { viewBox: '0 0 24 24', 'aria-hidden': label ? null : 'true', role: label ? 'img' : null, 'aria-label': label, focusable: 'false', ...box });
  if (label) s.append(sv('title', null, label));
  for (const p of ICONS[name] || []) {
    const d = p.slice(1);
    if (p[0] === 'R') { const [x, y, width, height] = d.split(' '); s.append(sv('rect', { x, y, width, height, rx: 2 })); }
    else if (p[0] === '*') s.append(sv('path.fill', { d }));
    else if (p[0] === '!') s.append(sv('path.halo', { d }), sv('path.slash', { d }));
    else s.append(sv('path', { d: p }));
  }
  return s;
}

/* ---------- formatting ---------- */
const p2 = n => String(n).padStart(2, '0');
function fmtT(ms) {
  ms = Math.max(0, Math.round(ms || 0));
  const h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60, s = Math.floor(ms / 1000) % 60;
  return '+' + (h ? `${h}h${p2(m)}m${p2(s)}` : m ? `${m}m${p2(s)}` : s) + (lang === 'pt' ? ',' : '.') + String(ms % 1000).padStart(3, '0') + 's';
}
function fmtTick(ms) {
  const u = [[86400000, 'd'], [3600000, 'h'], [60000, 'm'], [1000, 's']].find(([n]) => ms >= n && ms % n === 0);
  const v = ms === 0 ? '0' : u ? ms / u[0] + u[1] : ms / 1000 + 's';
  return lang === 'pt' ? v.replace('.', ',') : v;
}
function fmtCal(t) {
  const d = new Date(Date.parse(P.data.start) + (t || 0));
  return isNaN(d) ? '' : new Intl.DateTimeFormat(lang === 'pt' ? 'pt-BR' : 'en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }).format(d) + ' UTC';
}

/* ---------- state ---------- */
const root = doc.getElementById('player') || B, isExport = B.dataset.export === '1';
const reduced = matchMedia('(prefers-reduced-motion: reduce)');
const P = { predict: false, score: { r: 0, n: 0 }, answered: new Set(), ask: null, ev: -1, evf: null, journey: null, data: null, text: '', idx: 0, playing: false, speed: 1, wire: false, present: false, changed: false, busy: false, again: false, base: null, sel: null, problems: null, error: null, timer: 0, raf: 0, draft: null };
let U = {};
const sid = () => B.dataset.id || (P.data && P.data.id) || '';
const steps = () => P.data.steps || [], cur = () => steps()[P.idx] || {}, lastIdx = () => Math.max(0, steps().length - 1);
const watching = () => B.dataset.watch === '1' && !isExport;
/* #step=N counts from 1, as the label "Step N of M" does. */
const readHash = () => { const m = /(?:^#|&)step=(\d{1,9})/.exec(location.hash); return m ? Math.max(0, Number(m[1]) - 1) : null; };
/* What-if changes travel in the address too (`&w=`, base64url JSON of what differs from the scenario as written), so a link reproduces the run. */
const b64url = {
  enc: o => { let b = ''; for (const x of new TextEncoder().encode(JSON.stringify(o))) b += String.fromCharCode(x); return btoa(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''); },
  dec: v => { try { return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(v.replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0)))); } catch (e) { return null; } },
};
const readWhatifHash = () => { const m = /(?:^#|&)w=([A-Za-z0-9_-]{1,8000})/.exec(location.hash); const o = m && b64url.dec(m[1]); return o && typeof o === 'object' ? o : null; };
function writeHash() {
  const h = '#step=' + (P.idx + 1) + (P.changed && P.wq ? '&w=' + P.wq : '');
  if (location.hash !== h) try { history.replaceState(null, '', location.pathname + location.search + h); } catch (e) { location.hash = h; }
}

/* ---------- loading ---------- */
async function fetchData() {
  const r = await fetch('/api/s/' + encodeURIComponent(sid()), { cache: 'no-store', headers: { Accept: 'application/json' } });
  return { status: r.status, ok: r.ok, text: await r.text() };
}
const parse = t => { try { return JSON.parse(t); } catch (e) { return null; } };
function handle(res) {
  const j = parse(res.text);
  P.text = res.text;
  P.problems = P.error = null;
  if (res.status === 422 && j && Array.isArray(j.problems)) { P.problems = j.problems; setPlay(false); showProblems(); }
  else if (!res.ok || !j || !Array.isArray(j.steps)) { P.error = (j && j.error) || 'HTTP ' + res.status; showError(); }
  else setData(j);
}
function setData(j) {
  const first = !P.data, w = first && !isExport && readWhatifHash();
  P.data = j;
  if (!P.changed) { P.base = j.whatif && j.whatif.toggles; P.baseText = j.whatif ? { subject: j.whatif.subject, body: j.whatif.body } : {}; P.sel = null; P.wq = null; }
  if (first) P.idx = readHash() || 0;
  P.idx = Math.min(Math.max(0, P.idx), lastIdx());
  mount();
  writeHash();
  if (first && query.get('present') === '1') setPresent(true);
  // a link with a what-if: replay it, staying at the step the link names
  if (w) {
    P.sel = w.toggles && typeof w.toggles === 'object' ? w.toggles : null;
    P.keepIdx = true;
    mount();
    if (U.subject) { U.subject.value = String(w.subject ?? P.baseText.subject ?? ''); U.body.value = String(w.body ?? P.baseText.body ?? ''); }
    submitWhatif();
  }
}
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
async function load() {
  if (isExport) { const s = doc.getElementById('mailhop-data'); handle({ status: 200, ok: true, text: s ? s.textContent : '' }); return; }
  showMessage(tr('loading'));
  try { handle(await fetchData()); } catch (e) { P.error = e.message; showError(); }
  if (watching()) setInterval(poll, 2000);
}
async function poll() {
  if (P.changed || P.busy || doc.hidden) return;
  try { const res = await fetchData(); if (res.text !== P.text && !P.changed) handle(res); } catch (e) { /* server restarting: try again later */ }
}

/* ---------- simple views ---------- */
function bar(title) {
  const lb = U.lang = el('button.btn.lang', { tid: 'lang', onclick: () => { switchLang(); refresh(); } });
  paintLang(lb);
  const brand = isExport ? el('span.brand', null, 'mailhop') : el('a.brand', { href: '/', title: tr('gallery') }, 'mailhop');
  return el('header.bar', null, brand, el('h1.title', null, title), el('div.bar-actions', null, U.present, lb));
}
const notice = (...kids) => { U = {}; put(root, bar(sid()), el('main.notice-view', null, kids)); };
const showMessage = text => notice(el('p.notice', { role: 'status' }, text));
const showError = () => notice(el('p.notice.error', { role: 'alert' }, tr('loadFail'), ' ', el('span.detail', null, P.error || '')));
const showProblems = () => notice(el('h2', null, tr('problemsTitle')), el('p', null, tr(watching() ? 'problemsWatch' : 'problemsHint')),
  el('pre.problems', { tid: 'problems' }, P.problems.map(p => [el('span.problem', null, String(p)), '\n'])));
function refresh() {
  const fk = focusKey();
  if (P.problems) showProblems(); else if (P.data) mount(); else if (P.error) showError(); else showMessage(tr('loading'));
  restoreFocus(fk);
}
function focusKey() {
  const a = doc.activeElement, t = a && root.contains(a) && a.getAttribute('data-testid');
  if (t) return `[data-testid="${t}"]` + (a.dataset.toggle ? `[data-toggle="${CSS.escape(a.dataset.toggle)}"]` : '');
  return a && a.id && root.contains(a) ? '#' + CSS.escape(a.id) : null;
}
function restoreFocus(k) { const e = k && root.querySelector(k); if (e) e.focus({ preventScroll: true }); }

/* ---------- the player ---------- */
function mount() {
  const D = P.data, fk = focusKey();
  if (U.subject) P.draft = { subject: U.subject.value, body: U.body.value };
  U = {};
  U.present = el('button.btn', { tid: 'present', 'aria-pressed': String(P.present), onclick: () => setPresent(!P.present) }, icon('screen'), el('span.lbl'));
  paintPresent();
  const head = bar(loc(D.title));
  head.querySelector('h1').title = loc(D.description);
  const banner = P.changed && el('div.banner', { role: 'status' }, el('span', null, tr('changed')), el('button.btn.small', { onclick: resetWhatif }, tr('reset')));
  const ctl = (tid, ic, iconOnly, fn) => (U[tid] = el('button.btn' + (iconOnly ? '.icon-only' : ''), { tid, 'aria-label': iconOnly && tr(ic), title: tr(ic), onclick: () => U[tid].getAttribute('aria-disabled') || fn() },
    icon(ic), !iconOnly && el('span.lbl', null, tr(ic))));
  U['btn-play'] = el('button.btn.primary', { tid: 'btn-play', onclick: () => setPlay(!P.playing) });
  U.speed = el('select', { tid: 'speed', id: 'mh-speed', onchange: () => { P.speed = Number(U.speed.value) || 1; if (P.playing) schedule(); } },
    ['0.5', '1', '2'].map(v => el('option', { value: v }, (lang === 'pt' ? v.replace('.', ',') : v) + '×')));
  U.speed.value = String(P.speed);
  paintPlay();

  const block = (id, title, body) => el('section.block', { 'aria-labelledby': id }, el('h2', { id }, title), body);
  const stage = el('section.stage', null,
    el('div.stephead', null, U.label = el('span.steplabel', { tid: 'step-label' }), U.vt = el('span.vt', { title: tr('virtual') }), U.cal = el('span.cal')),
    el('div.steprow', null, U.title = el('h2.steptitle'),
      U.chanBox = el('span.chan', null, U.chanIcon = el('span.chan-ic'), U.chan = el('span', { tid: 'hop-channel' }), U.hopMeta = el('span.hopmeta'))),
    U.topo = el('div.topo-wrap'),
    el('div.journey-row', null,
      el('label.switch', { for: 'mh-journey' }, U.journey = el('input', { type: 'checkbox', role: 'switch', id: 'mh-journey', tid: 'journey-toggle',
        onchange: () => { P.journey = U.journey.checked; render(false); } }), el('span', null, tr('journey'))),
      U.jcount = el('span.journey-counts', { tid: 'journey-counts' }),
      el('label.switch', { for: 'mh-predict' }, el('input', { type: 'checkbox', role: 'switch', id: 'mh-predict', tid: 'predict-toggle', checked: P.predict,
        onchange: e => { P.predict = e.target.checked; U.quiz.hidden = true; paintScore(); } }), el('span', null, tr('predict'))),
      U.score = el('span.score', { tid: 'predict-score', role: 'status' })),
    U.quiz = el('div.quiz', { tid: 'predict', hidden: true, 'aria-live': 'polite' }),
    U.caption = el('p.caption', { tid: 'caption', 'aria-live': 'polite' }),
    el('div.controls', { role: 'group', 'aria-label': tr('controls') },
      ctl('btn-first', 'first', true, () => userGo(0)), ctl('btn-prev', 'prev', false, () => userGo(P.idx - 1)), U['btn-play'],
      ctl('btn-next', 'next', false, () => userGo(P.idx + 1)), ctl('btn-last', 'last', true, () => userGo(lastIdx())),
      el('label.speed', { for: 'mh-speed' }, el('span', null, tr('speed')), U.speed)),
    block('h-tl', tr('timeline'), [U.tl = el('div.tl', { tid: 'timeline' }), U.tlKey = el('div.tl-legend', { tid: 'timeline-legend' })]),
    block('h-log', tr('events'), [el('div.evstep', null,
      U.evPrev = el('button.btn.small', { tid: 'ev-prev', onclick: () => stepEvent(-1) }, icon('prev'), el('span.lbl', null, tr('evPrev'))),
      U.evNext = el('button.btn.small', { tid: 'ev-next', onclick: () => stepEvent(1) }, el('span.lbl', null, tr('evNext')), icon('next'))), U.log = el('ul.log')]),
    U.hint = el('div.present-hint', { role: 'status' }));

  const hd = id => el('h2', { id: 'h-' + id }, tr(id));
  const panel = (id, tid, ...kids) => el('section.panel', { id: 'p-' + id, tid, 'aria-labelledby': 'h-' + id }, kids);
  U.wire = el('input', { type: 'checkbox', role: 'switch', id: 'mh-wire', tid: 'wire-toggle', onchange: () => { P.wire = U.wire.checked; renderConv(); } });
  const sections = [
    panel('conversation', 'conversation', el('div.panel-head', null, hd('conversation'), el('label.switch', { for: 'mh-wire' }, U.wire, el('span', null, tr('wireToggle')))),
      U.convMeta = el('div.meta'), U.conv = el('div.conv-body')),
    panel('message', 'message', hd('message'), U.msgMeta = el('div.meta'), U.msg = el('div')),
    panel('exposure', 'exposure', hd('exposure'), U.expo = el('div')),
    panel('dns', 'dns', hd('dns'), U.dns = el('div')),
    buildEventList(),
    el('section.panel', { id: 'p-words', tid: 'glossary', 'aria-labelledby': 'h-words' }, el('details', null, el('summary', null, el('h2', { id: 'h-words' }, tr('words'))),
      el('dl.glossary', null, GLOSSARY.map(([term, text]) => [el('dt', { tid: 'glossary-term' }, term), el('dd', null, loc(text))])))),
    buildWhatif(hd),
  ].filter(Boolean);
  put(root, head, banner, authorWarnings(D), el('main.layout', null, stage, el('div.panels', null, sections)));
  buildTimeline();
  render(false);
  paintScore();
  restoreFocus(fk);
}
function paintPlay() {
  const b = U['btn-play'];
  if (!b) return;
  put(b, icon(P.playing ? 'pause' : 'play'), el('span.lbl', null, tr(P.playing ? 'pause' : 'play')));
  b.setAttribute('aria-pressed', String(P.playing));
}

/* The highest hop number reached by the current step; the journey view is on at the end unless the student says otherwise. */
const hopNow = () => Math.max(0, ...steps().slice(0, P.idx + 1).map(s => (s.hop ? s.hop.hop : 0)));
const journeyOn = () => P.journey ?? cur().kind === 'end';
/* The who-could-read rows of the current step: the journey line, the diagram and the panel share one count. */
function tallyNow() {
  if (P.tallyAt !== P.idx || P.tallyOf !== P.data) { P.tallyAt = P.idx; P.tallyOf = P.data; P.tally = tally(hopNow(), P.idx); }
  return P.tally;
}
function paintJourney() {
  const on = journeyOn(), T = on && tallyNow();
  U.journey.checked = on;
  U.jcount.hidden = !on;
  if (!on) { U.jcount.textContent = ''; return; }
  const n = (k, v) => tr(v === 1 ? k + '1' : k, { n: v }), plain = T.links.filter(l => l.channel === 'plaintext').length;
  U.jcount.textContent = [n('jA', T.a), n('jP', plain), n('jE', T.links.length - plain)].join(' · ');
}
/* Base64 to text (UTF-8, lossy); null if it is not base64. */
function unb64(v) {
  try { const b = atob(String(v).trim()); return new TextDecoder('utf-8').decode(Uint8Array.from(b, ch => ch.charCodeAt(0))); } catch (e) { return null; }
}
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
/* The passwords an observer read on the connection of hop or session `h`. */
const passwordsOn = h => (h && h.conn ? ((P.data.exposure || {}).passwords || []).filter(x => x.conn === h.conn) : []);
/* A host name that may wrap only after its dots, never inside a label. */
const host = name => String(name || '').split('.').map((part, i, a) => (i < a.length - 1 ? [part + '.', el('wbr')] : part));
/* What a step is about: its hop, or its session that moved no message (same fields for the channel and the conversation). */
const talk = st => st.hop || st.session || null;
function render(animate) {
  const st = cur(), h = talk(st), n = steps().length;
  U.label.textContent = tr('step', { n: P.idx + 1, m: n });
  U.vt.textContent = fmtT(st.t);
  U.cal.textContent = fmtCal(st.t);
  U.title.textContent = loc(st.title);
  U.chanBox.hidden = !h;
  U.chan.textContent = h ? chText(h) : '';
  if (h) {
    U.chanBox.className = 'chan ch-' + chKey(h.channel);
    U.chanBox.title = gloss(h.channel === 'plaintext' ? 'STARTTLS' : 'TLS');
    put(U.chanIcon, icon(chKey(h.channel)));
    U.hopMeta.textContent = [h.protocol, h.tls_version].filter(Boolean).join(' · ');
  }
  // captions describe the scenario as written; in a what-if world hops and the end speak for themselves
  const auto = h ? say(h) + '.' : st.stored ? say(st.stored) + '.' : st.kind === 'end' ? summary(tally(Infinity, Infinity)) : '';
  const cap = (P.changed && auto) || loc(st.caption) || auto;
  U.caption.textContent = cap;
  U.caption.classList.toggle('empty', !cap);
  for (const [k, off] of [['btn-first', !P.idx], ['btn-prev', !P.idx], ['btn-next', P.idx >= n - 1], ['btn-last', P.idx >= n - 1]]) {
    if (off) U[k].setAttribute('aria-disabled', 'true'); else U[k].removeAttribute('aria-disabled');
  }
  paintJourney();
  drawTopo(animate);
  paintTimeline();
  renderLog();
  renderConv();
  renderMsg();
  renderExposure();
  renderDns();
  paintEventList();
}
function go(i) {
  i = Math.min(Math.max(0, Number(i) || 0), lastIdx());
  const moved = i !== P.idx;
  if (moved) { P.ev = -1; if (U.quiz && P.ask == null) U.quiz.hidden = true; }
  P.idx = i;
  writeHash();
  render(moved);
}
function userGo(i) {
  if (P.predict && i === P.idx + 1 && !P.answered.has(i) && question(steps()[i])) { ask(i); return; }
  go(i);
  if (P.playing) schedule();
}

/* ---------- predict mode: before a step is shown, one question about it; the score lives in the page only ---------- */
function question(st) {
  if (!st) return null;
  const h = st.hop, x = st.session;
  if (h && st.index % 2 === 1) {
    const others = (P.data.nodes || []).map(n => n.name).filter(n => n !== h.from && n !== h.to).slice(0, 3);
    return { q: tr('qNext', { m: h.message, a: h.from }), choices: [h.to, ...others].sort().map(n => ({ label: n, ok: n === h.to })) };
  }
  if (h) return { q: tr('qChannel', { a: h.from, b: h.to }), choices: [['plaintext', 'aPlain'], ['tls', 'aTls'], ['tls-authenticated', 'aAuth']].map(([c, k]) => ({ label: tr(k), ok: c === h.channel })) };
  if (x && x.code) return { q: tr('qSession', { a: x.from, b: x.to }), choices: [['2', 'aAccept'], ['5', 'aRefuse'], ['4', 'aLater']].map(([c, k]) => ({ label: tr(k), ok: x.code[0] === c })) };
  if (st.stored && st.kind === 'stored' && /^Return-Path: <>/.test(st.stored.eml || '')) {
    return { q: tr('qStored', { a: st.stored.node }), choices: ['aDeliver', 'aNotify', 'aRetry'].map(k => ({ label: tr(k), ok: k === 'aNotify' })) };
  }
  return null;
}
function ask(i) {
  setPlay(false);
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

/* ---------- playback ---------- */
const envDur = () => (reduced.matches ? 0 : 1400 / P.speed);
const pace = () => (2500 + 50 * loc(cur().caption).length) / P.speed + envDur();
function schedule() {
  clearTimeout(P.timer);
  if (!P.playing) return;
  if (P.idx >= lastIdx()) setPlay(false);
  else P.timer = setTimeout(() => { go(P.idx + 1); schedule(); }, pace());
}
function setPlay(on) {
  clearTimeout(P.timer);
  P.playing = !!on && !!P.data;
  paintPlay();
  if (!P.playing) return;
  if (P.idx >= lastIdx()) go(0);
  schedule();
}
function paintPresent() { const t = tr(P.present ? 'leave' : 'present'); U.present.lastChild.textContent = t; U.present.setAttribute('aria-label', t); U.present.title = t; }
function setPresent(on) {
  if (!U.present) return;
  P.present = on;
  B.classList.toggle('presenting', on);
  U.present.setAttribute('aria-pressed', String(on));
  paintPresent();
  drawTopo(false);
  if (on) {
    U.hint.textContent = tr('presentHint');
    U.hint.classList.add('show');
    setTimeout(() => U.hint && U.hint.classList.remove('show'), 3500);
  }
  setPlay(on);
}

/* ---------- topology ---------- */
const r1 = v => Math.round(v * 10) / 10;
const cubic = (p0, p3, c1, c2) => [p0, c1, c2, p3];
const hsep = (A, Z, dir) => { const p0 = [dir > 0 ? A.x + A.w : A.x, A.y + A.h / 2], p3 = [dir > 0 ? Z.x - 2 : Z.x + Z.w + 2, Z.y + Z.h / 2], dx = (p3[0] - p0[0]) / 2; return cubic(p0, p3, [p0[0] + dx, p0[1]], [p3[0] - dx, p3[1]]); };
const bulge = (A, Z, side, b) => { const x = side > 0 ? A.x + A.w : A.x, y0 = A.y + A.h / 2, y1 = Z.y + Z.h / 2; return cubic([x, y0], [x + 2 * side, y1], [x + b * side, y0], [x + b * side, y1]); };
/* Wide screens: three lanes side by side, nodes stacked in each lane. */
function layoutLanes(lanes, avail) {
  const maxN = Math.max(1, ...lanes.map(a => a.length)), bh = maxN > 3 ? 46 : 52, gap = maxN > 3 ? 24 : 32, top = 50;
  const H = top + maxN * (bh + gap) - gap + 16;
  // presenter mode scales the drawing up until it takes about half the screen height
  const W = Math.round(P.present ? Math.min(avail, Math.max(780, avail * H / (innerHeight * 0.5))) : Math.max(600, Math.min(avail, 900)));
  const pad = 30, laneW = (W - 2 * pad) / 3, bw = Math.min(laneW - 52, 236), pos = new Map();
  lanes.forEach((arr, li) => arr.forEach((n, k) => pos.set(n.name, { x: pad + li * laneW + (laneW - bw) / 2, y: top + (maxN - arr.length) * (bh + gap) / 2 + k * (bh + gap), w: bw, h: bh, li })));
  const bgs = [0, 1, 2].map(li => ({ li, x: li ? pad + li * laneW : 0, y: 0, w: laneW + (li === 1 ? 0 : pad), h: H, tx: pad + li * laneW + laneW / 2, ty: 28, anchor: 'middle' }));
  const geo = (A, Z) => (A.li === Z.li ? bulge(A, Z, A.li ? 1 : -1, 46) : hsep(A, Z, Z.li > A.li ? 1 : -1));
  return { W, H, pos, geo, bgs, bh };
}
/* Phones: the lanes become bands from top to bottom, two nodes per row. */
function layoutBands(lanes, avail) {
  const W = Math.max(300, Math.round(avail)), bh = 48, gx = 18, gy = 36, pad = 12, bw = (W - 2 * pad - gx) / 2, pos = new Map(), bgs = [];
  let y = 0;
  lanes.forEach((arr, li) => {
    arr.forEach((n, k) => {
      const row = k >> 1, single = arr.length - row * 2 === 1;
      pos.set(n.name, { x: single ? (W - bw) / 2 : pad + (k % 2) * (bw + gx), y: y + 34 + row * (bh + gy), w: bw, h: bh, li });
    });
    // room under the last row for the U between two boxes side by side and its channel mark
    const h = 60 + (arr.length ? Math.ceil(arr.length / 2) * (bh + gy) - gy + 22 : 0);
    bgs.push({ li, x: 0, y, w: W, h, tx: 10, ty: y + 20, anchor: 'start' });
    y += h;
  });
  const all = [...pos.values()], cx = b => b.x + b.w / 2, cy = b => b.y + b.h / 2;
  const geo = (A, Z) => {
    // side by side: a U under both boxes, so the channel mark has room
  if (Math.abs(cy(A) - cy(Z)) < 1) { const y = A.y + A.h; return cubic([cx(A), y], [cx(Z), y + 2], [cx(A), y + 30], [cx(Z), y + 30]); }
    const dn = cy(Z) > cy(A) ? 1 : -1;
    if (Math.abs(cx(A) - cx(Z)) < 1 && all.some(o => Math.abs(cx(o) - cx(A)) < 1 && (cy(o) - cy(A)) * dn > 1 && (cy(Z) - cy(o)) * dn > 1)) return bulge(A, Z, cx(A) < W / 2 ? -1 : 1, 40);
    const p0 = [cx(A), dn > 0 ? A.y + A.h : A.y], p3 = [cx(Z), dn > 0 ? Z.y - 2 : Z.y + Z.h + 2], dy = (p3[1] - p0[1]) / 2;
    return cubic(p0, p3, [p0[0], p0[1] + dy], [p3[0], p3[1] - dy]);
  };
  return { W, H: y, pos, geo, bgs, bh, compact: true };
}
const isDown = (name, t) => (P.data.downtime || []).some(w => w.node === name && t >= w.from && (w.until == null || t < w.until));
const bez = (p, t) => { const u = 1 - t; return [0, 1].map(i => u * u * u * p[0][i] + 3 * u * u * t * p[1][i] + 3 * u * t * t * p[2][i] + t * t * t * p[3][i]); };
const dOf = p => 'M' + p[0].map(r1) + 'C' + p.slice(1).map(q => q.map(r1)).join(' ');

function drawTopo(animate) {
  cancelAnimationFrame(P.raf);
  const D = P.data, st = cur(), h = st.hop, ses = st.session, wrap = U.topo;
  if (!wrap) return;
  const avail = wrap.clientWidth || 720, lanes = LANES.map(l => (D.nodes || []).filter(n => (LANES.includes(n.lane) ? n.lane : 'internet') === l));
  const L = avail < 600 ? layoutBands(lanes, avail) : layoutLanes(lanes, avail), { W, H, pos, bh } = L;
  const geo = (a, b) => (pos.get(a) && pos.get(b) && a !== b ? L.geo(pos.get(a), pos.get(b)) : null);
  const svg = sv('svg.topo' + (L.compact ? '.compact' : ''), { tid: 'topology', viewBox: `0 0 ${W} ${H}`, role: 'group', 'aria-label': tr('topology') },
    sv('defs', null, [...CHANNELS, 'past'].map(k => sv('marker.mk.mk-' + k, { id: 'mh-a-' + k, viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 11, markerHeight: 11, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' }, sv('path', { d: 'M0 1L9 5L0 9z' })))),
    L.bgs.map(g => [sv('rect.lane' + (g.li === 1 ? '.mid' : ''), { x: g.x, y: g.y, width: g.w, height: g.h }), sv('text.lane-title', { x: g.tx, y: g.ty, 'text-anchor': g.anchor }, raw('lanes')[g.li])]));

  // hops already made, in grey; then failed connection attempts of this step
  const done = new Set(h ? [h.from + '>' + h.to] : ses ? [ses.from + '!' + ses.to] : []);
  // in the journey view, each past hop keeps its channel's colour and every machine that held a readable copy stays marked
  const jon = journeyOn(), J = jon ? tallyNow() : null;
  const everHeld = new Set(J ? J.nodes.filter(x => x.body || x.headers).map(x => x.node) : []);
  for (const s of steps().slice(0, P.idx)) {
    const k = s.hop && s.hop.from + '>' + s.hop.to, p = k && !done.has(k) && geo(s.hop.from, s.hop.to);
    done.add(k);
    if (!p) continue;
    const ch = chKey(s.hop.channel);
    svg.append(jon ? sv('path.edge-past.ch-' + ch, { tid: 'journey-edge', 'data-channel': s.hop.channel, 'data-hop': s.hop.hop, d: dOf(p), 'marker-end': `url(#mh-a-${ch})` }, sv('title', null, s.hop.hop + ': ' + chText(s.hop)))
      : sv('path.edge-past', { d: dOf(p), 'marker-end': 'url(#mh-a-past)' }));
  }
  for (const e of st.events || []) {
    const k = e.kind === 'connect_failed' && e.node + '!' + e.peer, p = k && !done.has(k) && geo(e.node, e.peer);
    if (!p) continue;
    done.add(k);
    const [x, y] = bez(p, 0.8);
    svg.append(sv('g.edge-fail', { tid: 'edge-fail', 'data-node': e.node, 'data-peer': e.peer }, sv('title', null, tr('failed') + ': ' + say(e)), sv('path', { d: dOf(p) }), icon('x', null, { x: r1(x - 8), y: r1(y - 8), width: 16, height: 16 })));
  }

  const holders = new Map();
  for (const x of st.holders || []) { const v = holders.get(x.node) || { r: 0, u: 0 }; v[x.readable ? 'r' : 'u']++; holders.set(x.node, v); }
  for (const n of D.nodes || []) {
    const p = pos.get(n.name), down = isDown(n.name, st.t || 0), hv = holders.get(n.name), rd = hv && hv.r, role = raw('roles')[n.role] || n.role || '';
    const t = h || ses, active = (t && (t.from === n.name || t.to === n.name)) || (st.stored && st.stored.node === n.name);
    const held = everHeld.has(n.name);
    svg.append(sv('g.node' + (down ? '.down' : '') + (active ? '.active' : '') + (rd ? '.readable' : '') + (held ? '.held' : ''), { tid: 'node', 'data-node': n.name, 'data-readable': rd ? 'true' : null, 'data-held': held ? 'true' : null, 'data-down': down && 'true', transform: `translate(${r1(p.x)},${r1(p.y)})` },
      sv('title', null, [n.name, role, n.address, down && tr('down')].filter(Boolean).join(' · ') + (roleGloss(n.role) ? '\n' + roleGloss(n.role) : '')),
      sv('rect.box', { width: r1(p.w), height: bh, rx: 8 }),
      sv('text.nname', { x: 12, y: bh / 2 - 3, 'data-fit': p.w - 22 }, n.name),
      sv('text.nrole', { x: 12, y: bh / 2 + 14, 'data-fit': p.w - 22, 'data-alt': [raw('rolesShort')[n.role] || role, n.address].filter(Boolean).join(' · ') }, n.address ? role + ' · ' + n.address : role),
      down && pill('down', 'power', tr('down'), 10, 0),
      hv ? pill(rd ? 'read' : 'sealed', 'disk', rd ? (rd > 1 ? tr('readableN', { n: rd }) : tr('readable')) : tr('unreadable'), p.w - 10, 1)
        : held && pill('was', 'disk', tr('heldBefore'), p.w - 10, 1)));
  }

  const q = ses && geo(ses.from, ses.to);
  if (q) {
    // a session that moved no message: the attempt, stopped short of the server
    const d = dOf(q), [x, y] = bez(q, 0.8), ch = chKey(ses.channel);
    svg.append(sv('g.edge-session.ch-' + ch, { tid: 'edge-session', 'data-code': ses.code || null, 'data-channel': ses.channel },
      sv('title', null, say(ses)), sv('path.edge-halo', { d }), sv('path.edge-line', { d }),
      icon('x', null, { x: r1(x - 9), y: r1(y - 9), width: 18, height: 18 }),
      ses.code && sv('text.edge-code', { x: r1(x), y: r1(y - 14), 'text-anchor': 'middle' }, ses.code)));
  }
  const p = h && geo(h.from, h.to);
  let env = null;
  if (p) {
    const ch = chKey(h.channel), d = dOf(p), [mx, my] = bez(p, 0.5);
    svg.append(sv('g.edge.ch-' + ch, { tid: 'edge', 'data-channel': h.channel },
      sv('path.edge-halo', { d }), sv('path.edge-line', { d, 'marker-end': `url(#mh-a-${ch})` }),
      sv('g.edge-label', { transform: `translate(${r1(mx)},${r1(my)})` }, sv('circle.lab-bg', { r: 14 }), icon(ch, chText(h), { x: -9, y: -9, width: 18, height: 18 }))));
    if (passwordsOn(h).length) {
      const [kx, ky] = bez(p, 0.3);
      svg.append(sv('g.edge-password', { tid: 'edge-password', role: 'img', 'aria-label': tr('pwEdge'), transform: `translate(${r1(kx)},${r1(ky)})` }, sv('title', null, tr('pwEdge')),
        sv('circle', { r: 12 }), icon('key', null, { x: -8, y: -8, width: 16, height: 16 })));
    }
    svg.append(env = sv('g.envelope', { tid: 'envelope', role: 'img', 'aria-label': tr('envelope', { m: h.message || '' }) }, sv('rect', { x: -14, y: -10, width: 28, height: 20, rx: 3 }), sv('path', { d: 'M-11 -6L0 2L11 -6' })));
  }
  put(wrap, svg);
  fitTexts(svg);
  if (env) moveEnvelope(env, p, animate);
}
const pill = (cls, ic, text, x, end) => sv('g.pill.pill-' + cls, { 'data-x': x, 'data-end': end },
  sv('rect', { y: -10, height: 20, rx: 10, width: 10 }), icon(ic, null, { x: 0, y: -6, width: 12, height: 12 }), sv('text', { y: 4 }, text));
/* Once the SVG is in the document: shorten what does not fit, size the pills. */
function fitTexts(svg) {
  try {
    for (const t of svg.querySelectorAll('text[data-fit]')) {
      // shrink a little first; then the shorter form (for a node: a short role, the address kept); then shrink again
      const max = Number(t.dataset.fit), long = () => t.getComputedTextLength() > max, fs0 = parseFloat(getComputedStyle(t).fontSize) || 12;
      const shrink = () => { for (let fs = fs0; fs > 10 && long();) { fs -= 0.5; t.style.fontSize = fs + 'px'; } };
      shrink();
      if (long() && t.dataset.alt) { t.style.fontSize = ''; t.textContent = t.dataset.alt; shrink(); }
      for (let s = t.textContent; s.length > 3 && long();) { s = s.slice(0, -1); t.textContent = s + '…'; }
    }
    for (const g of svg.querySelectorAll('.pill')) {
      const [r, ic, tx] = g.children, w = tx.getComputedTextLength() + 32, x0 = Number(g.dataset.x) - (g.dataset.end === '1' ? w : 0);
      r.setAttribute('x', x0); r.setAttribute('width', w); ic.setAttribute('x', x0 + 8); tx.setAttribute('x', x0 + 24);
    }
  } catch (e) { /* not rendered: keep the estimates */ }
}
function moveEnvelope(env, p, animate) {
  const place = k => { const [x, y] = bez(p, 0.12 + 0.76 * k); env.setAttribute('transform', `translate(${r1(x)},${r1(y)})`); };
  const dur = envDur();
  let t0 = 0;
  const tick = now => {
    t0 = t0 || now;
    const k = Math.min(1, (now - t0) / dur);
    place(k < 0.5 ? 2 * k * k : 1 - (2 - 2 * k) ** 2 / 2);
    if (k < 1) P.raf = requestAnimationFrame(tick);
  };
  place(animate && dur ? 0 : 1);
  if (animate && dur) P.raf = requestAnimationFrame(tick);
}

/* ---------- timeline ---------- */
function buildTimeline() {
  const D = P.data, all = steps(), end = Math.max(1, D.end_t || 0, ...all.map(s => s.t || 0));
  const keys = [...new Set([0, ...all.map(s => s.t || 0), end])].sort((a, b) => a - b), sum = a => a.reduce((x, y) => x + y, 0) || 1;
  // Segmented scale: the gap between two consecutive step times gets a width that grows with
  // the log of its length (so milliseconds and hours both show), and at least ~28 px.
  let ws = keys.slice(1).map((k, i) => Math.max(0.5, Math.log1p((k - keys[i]) / 100)));
  const trackW = Math.max(120, (U.tl.clientWidth || 600) - (innerWidth < 600 ? 110 : 150));
  for (let k = 0; k < 3; k++) { const floor = sum(ws) * 28 / trackW; ws = ws.map(w => Math.max(w, floor)); }
  const tot = sum(ws), cum = ws.reduce((a, w) => [...a, a[a.length - 1] + w], [0]);
  const X = P.X = t => {
    t = Math.min(end, Math.max(0, t || 0));
    let i = 0;
    while (i < ws.length - 1 && t > keys[i + 1]) i++;
    const a = keys[i], b = keys[i + 1], f = b > a ? Math.log1p((t - a) / 100) / Math.log1p((b - a) / 100) : 0;
    return ((cum[i] + f * ws[i]) / tot) * 100;
  };
  const labs = el('div.tl-labs', { 'aria-hidden': 'true' }), tracks = el('div.tl-tracks');
  const row = (label, cls) => { labs.append(el('div.tl-lab.' + cls, { title: label }, label)); return tracks.appendChild(el('div.tl-row.' + cls)); };
  const at = (e, t, w) => { e.style.left = X(t).toFixed(2) + '%'; if (w != null) e.style.width = Math.max(0.5, X(w) - X(t)).toFixed(2) + '%'; return e; };
  const hopStep = new Map(all.map((s, i) => s.hop && [s.hop.hop, i]).filter(Boolean));
  const tl = D.timeline && D.timeline.length ? D.timeline : all.filter(s => s.hop).map(s => ({ t: s.t, kind: 'hop', hop: s.hop.hop }));
  const hopRow = row(tr('tlHops'), 'hops');
  U.hopBtns = tl.filter(e => e.kind === 'hop').map(e => {
    const i = hopStep.get(e.hop), label = tr('goHop', { n: e.hop, t: fmtT(e.t) }) + (e.text ? ' (' + say(e) + ')' : '');
    return hopRow.appendChild(at(el('button.tl-hop', { 'aria-label': label, title: label, 'data-step': i, disabled: i == null, onclick: () => userGo(i) }, e.hop), e.t));
  });
  // events at nearly the same place stack in lanes instead of hiding each other (a bounce under a delivery)
  const evs = tl.filter(e => e.kind !== 'hop'), evRow = evs.length && row(tr('tlEvents'), 'evs'), ends = [], GAP = 11, LANES_MAX = 6;
  if (evRow) {
    for (const e of evs) {
      const x = (X(e.t) / 100) * trackW;
      let k = ends.findIndex(last => x - last >= GAP);
      if (k < 0) k = ends.length < LANES_MAX ? ends.push(-Infinity) - 1 : ends.indexOf(Math.min(...ends));
      ends[k] = x;
      const m = at(el('span.tl-ev.k-' + e.kind, { tid: 'timeline-event', 'data-kind': e.kind, 'data-lane': k, title: `${fmtT(e.t)} · ${kindName(e.kind)}: ${say(e)}` }), e.t);
      m.style.top = 4 + 12 * k + 'px';
      evRow.append(m);
    }
    const h = 8 + 12 * ends.length + 'px';
    evRow.style.height = h;
    labs.querySelector('.tl-lab.evs').style.height = h;
  }
  const downRows = new Map();
  for (const w of D.downtime || []) {
    if (!downRows.has(w.node)) downRows.set(w.node, row(w.node, 'down'));
    downRows.get(w.node).append(at(el('span.tl-band', { title: `${w.node} · ${tr('down')} · ${fmtT(w.from)} – ${w.until == null ? '…' : fmtT(w.until)}` }, tr('down')), w.from, w.until == null ? end : w.until));
  }
  const axis = row('', 'axis');
  let lastX = -99;
  for (const t of [0, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 3e4, 6e4, 6e5, 36e5, 72e5, 216e5, 432e5, 864e5, 1728e5, 6048e5]) {
    if (t > end || X(t) - lastX < 8) continue;
    lastX = X(t);
    axis.append(at(el('span.tl-tick', null, fmtTick(t)), t));
  }
  tracks.append(U.now = el('div.tl-now'));
  put(U.tl, labs, tracks);
  // the legend names only what this run's timeline shows
  const shown = [...new Set(evs.map(e => e.kind))], sw = (cls, k) => el('span.tl-key', null, el('span.' + cls, { 'aria-hidden': 'true' }), el('span', null, k));
  put(U.tlKey, tl.length > evs.length && sw('tl-hop.key', tr('keyHop')), shown.map(k => sw('tl-ev.key.k-' + k, kindName(k))),
    (D.downtime || []).length > 0 && sw('tl-band.key', tr('keyDown')));
}
function paintTimeline() {
  const e = P.ev >= 0 && (cur().events || [])[P.ev];
  U.now.style.left = P.X(e ? e.t : cur().t || 0).toFixed(2) + '%';
  for (const b of U.hopBtns) {
    if (b.dataset.step === String(P.idx)) b.setAttribute('aria-current', 'step'); else b.removeAttribute('aria-current');
  }
}
function renderLog() {
  const evs = cur().events || [];
  if (P.ev >= evs.length) P.ev = -1;
  U.evPrev.disabled = P.ev < 0;
  U.evNext.disabled = P.ev >= evs.length - 1;
  put(U.log, evs.length ? evs.map((e, k) => el('li.k-' + e.kind + (k === P.ev ? '.cur' : ''), { tid: 'log-event', 'aria-current': k === P.ev ? 'true' : null }, el('span.when', null, fmtT(e.t)), el('span.kind', null, kindName(e.kind)),
    el('span.what', null, say(e)))) : el('li.empty', null, tr('noEvents')));
}
/* Stepping event by event inside a step: the log marks the event and the timeline moves to its moment. */
function stepEvent(d) {
  const n = (cur().events || []).length;
  P.ev = Math.min(n - 1, Math.max(-1, P.ev + d));
  renderLog();
  paintTimeline();
  paintEventList();
}

/* ---------- the event list: every event of the run in time order, filterable, each linked to its step ---------- */
function allEvents() {
  const out = [];
  steps().forEach((s, i) => {
    (s.events || []).forEach((e, k) => out.push({ e, step: i, k }));
    const x = s.hop || s.session || s.stored;
    if (x) out.push({ e: { t: s.t, kind: s.kind, node: x.from || x.node, peer: x.to || null, message: s.hop ? s.hop.message : null, text: x.text, text_pt: x.text_pt }, step: i, k: -1 });
  });
  return out;
}
function buildEventList() {
  const all = U.evAll = allEvents(), f = P.evf || (P.evf = { node: '', message: '', kind: '' });
  const opts = (key, vals, label) => el('label.evf', null, el('span', null, label), el('select', { tid: 'event-filter-' + key, onchange: e => { f[key] = e.target.value; fillEventList(); } },
    el('option', { value: '' }, tr('evAll')), [...new Set(vals.filter(Boolean))].sort().map(v => el('option', { value: v, selected: f[key] === v }, key === 'kind' ? kindName(v) : v))));
  const section = el('section.panel', { id: 'p-eventlist', tid: 'event-list', 'aria-labelledby': 'h-eventlist' }, el('h2', { id: 'h-eventlist' }, tr('eventlist')),
    el('div.evfilters', null, opts('node', all.flatMap(x => [x.e.node, x.e.peer]), tr('evNode')), opts('message', all.map(x => x.e.message), tr('evMessage')), opts('kind', all.map(x => x.e.kind), tr('evKind'))),
    U.evCount = el('p.muted'), U.evList = el('ol.evlist', { tid: 'event-list-rows' }));
  fillEventList();
  return section;
}
/* Rows for the filters as they are (on mount and when a filter changes). */
function fillEventList() {
  const f = P.evf, rows = U.evAll.filter(({ e }) => (!f.node || e.node === f.node || e.peer === f.node) && (!f.message || e.message === f.message) && (!f.kind || e.kind === f.kind));
  U.evCount.textContent = tr('evCount', { n: rows.length, m: U.evAll.length });
  U.evRows = rows.slice(0, 2000).map(({ e, step, k }) => ({ step, k, li: el('li', null,
    el('button.evrow', { tid: 'event-row', 'data-step': step, 'data-kind': e.kind, 'data-node': e.node || '', onclick: () => { userGo(step); P.ev = k; renderLog(); paintTimeline(); paintEventList(); } },
      el('span.when', null, fmtT(e.t)), el('span.kind', null, kindName(e.kind)), el('span.what', null, say(e)))) }));
  put(U.evList, U.evRows.map(r => r.li));
  paintEventList();
}
/* Which rows belong to the current step, and which is the current event: classes only, the rows stay. */
function paintEventList() {
  for (const r of U.evRows || []) {
    r.li.classList.toggle('here', r.step === P.idx);
    r.li.classList.toggle('cur', r.step === P.idx && r.k === P.ev);
  }
}

/* ---------- panels ---------- */
const empty = k => el('p.empty', null, tr(k));
function renderConv() {
  const st = cur(), h = talk(st);
  U.wire.checked = P.wire;
  if (!h) { put(U.convMeta); put(U.conv, empty('noConv')); return; }
  put(U.convMeta, el('div', null, tr('convWho', { a: h.from, b: h.to })), el('div', null, [h.message, h.protocol, h.tls_version, h.cipher].filter(Boolean).join(' · ')),
    h.tls_reason && el('div', null, tr('certCheck', { r: (lang === 'pt' && h.tls_reason_pt) || h.tls_reason })),
    h.reused_from && el('div.note', null, tr('connReused', { n: h.reused_from })),
    h.tls_resumed && el('div.note', null, tr('tlsResumed')),
    st.session && el('div.note.refusal', { tid: 'session-refusal' }, st.session.refusal ? tr('refusedBy', { r: st.session.refusal }) : tr('noRefusal')),
    passwordsOn(h).map(x => el('div.note.refusal', { tid: 'password-flag' }, icon('key'), ' ', tr('pwFlag', { t: loc(x.text) }))));
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
    const m = /^AUTH\s+(PLAIN|LOGIN)(?:\s+(\S+))?/i.exec(l.text);
    if (m) return m[2] ? (/plain/i.test(m[1]) ? plain : login)(unb64(m[2])) : null;
    // an answer to the server's 334 challenge, inside the last AUTH exchange
    const prev = conv[i - 1];
    if (!prev || prev.dir !== 's' || !/^334\b/.test(prev.text) || !lastAuth) return null;
    return (/^AUTH\s+PLAIN/i.test(lastAuth.text) ? plain : login)(unb64(l.text));
  };
  let lastAuth = null;
  conv.forEach((l, i) => {
    const tls = !!l.tls, c = l.dir === 'c', decoded = secret(i), word = c && LINE_WORDS.find(([re]) => re.test(l.text));
    if (c && /^AUTH\s/i.test(l.text)) lastAuth = l;
    if (!grp || tls !== inTls) {
      inTls = tls;
      grp = el('ol.conv');
      out.push(tls ? el('div.tls-group', null, el('div.tls-head', null, icon('lock'), el('span', null, tr('tlsBlock'))), grp) : grp);
    }
    const out1 = el('li.ln.' + (c ? 'c' : 's') + (tls ? '.tls' : '') + (decoded ? '.secret' : ''), null, el('span.who', { title: c ? h.from : h.to }, c ? 'C:' : 'S:'),
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
      el('span.' + (st.readable ? 'op-can' : 'op-cannot'), null, icon('disk'), ' ', tr(st.readable ? 'opCan' : 'opCannot'))),
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
  put(U.msg, box);
}

/* Rows that have happened by hop `now` (hops, copies at rest) or by step `idx` (what crossed without a hop). */
function tally(now, idx) {
  const ex = P.data.exposure || {}, links = (ex.links || []).filter(l => l.hop <= now), nodes = (ex.nodes || []).filter(n => (n.step != null ? n.step <= idx : n.since_hop <= now));
  const unaccepted = (ex.unaccepted || []).filter(u => u.step <= idx), passwords = (ex.passwords || []).filter(p => p.step <= idx);
  return { links, nodes, unaccepted, passwords, a: new Set(nodes.filter(n => n.body || n.headers).map(n => n.node)).size, b: links.filter(l => l.body || l.headers).length,
    c: unaccepted.filter(u => u.body || u.headers).length, d: passwords.length };
}
function summary(T) { return [tr('summary', T), T.c && tr('summaryC', T), T.d && tr('summaryD', T)].filter(Boolean).join(' '); }
function renderExposure() {
  const T = tallyNow(), { links, nodes, unaccepted, passwords } = T;
  if (!links.length && !nodes.length && !unaccepted.length && !passwords.length) { put(U.expo, empty('nothingYet')); return; }
  const yn = v => el('td.' + (v ? 'yes' : 'no'), null, tr(v ? 'yes' : 'no'));
  const ch = o => el('div.ch.ch-' + chKey(o.channel), null, icon(chKey(o.channel)), ' ', chText(o));
  const multi = new Set(nodes.map(n => n.message)).size > 1;
  const table = (cap, cols, rows, tid) => el('div.scroll', null, el('table.grid', { tid }, el('caption', null, tr(cap)),
    el('thead', null, el('tr', null, cols.filter(Boolean).map(k => el('th', { scope: 'col' }, tr(k))))), el('tbody', null, rows)));
  put(U.expo, el('p.summary', null, summary(T)),
    table('onWire', ['colLink', 'colEnv', 'colHeaders', 'colBody'], links.map(l => el('tr', null, el('td.link', null, el('b', null, l.hop), ' ', host(l.from), ' → ', host(l.to),
      ch(l)), yn(l.envelope), yn(l.headers), yn(l.body)))),
    unaccepted.length > 0 && table('notAccepted', ['colConn', 'colEnv', 'colHeaders', 'colBody'], unaccepted.map(u => el('tr', null, el('td.link', null, el('b', null, u.conn), ' ', host(u.from), ' → ', host(u.to),
      ch(u), el('div.what', null, loc(u.text))), yn(u.envelope), yn(u.headers), yn(u.body))), 'exposure-unaccepted'),
    passwords.length > 0 && table('passwords', ['colConn', 'colPassword'], passwords.map(p => el('tr', null, el('td.link', null, el('b', null, p.conn), ' ', host(p.from), ' → ', host(p.to),
      ch({ channel: 'plaintext', channel_text: p.channel_text })), el('td.what', null, loc(p.text)))), 'exposure-passwords'),
    table('atRest', ['colMachine', multi && 'colMsg', 'colSince', 'colEnv', 'colHeaders', 'colBody'], nodes.map(n => el('tr', null, el('td.link', null, host(n.node)), multi && el('td', null, n.message),
      el('td.num', null, n.since_hop), yn(n.envelope), yn(n.headers), yn(n.body)))));
}

function renderDns() {
  const q = cur().dns || [];
  put(U.dns, q.length ? el('ul.dns', null, q.map(d => el('li', null, el('span.when', null, fmtT(d.t)), ' ', el('b', null, d.node), ' ', tr('asks'), ' ', el('code', { title: gloss(d.rtype) || null }, d.name + ' ' + d.rtype),
    el('div.ans', null, d.answers && d.answers.length ? d.answers.map(a => el('div', null, a)) : [d.rcode || '', ' (', tr('noAnswer'), ')'])))) : empty('noDns'));
}

/* ---------- what if ---------- */
const isOn = t => !!(P.sel && t.id in P.sel ? P.sel[t.id] : t.on);
function buildWhatif(hd) {
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
  return el('section.panel.whatif', { id: 'p-whatif', 'aria-labelledby': 'h-whatif' }, hd('whatif'), el('p.muted', null, tr('whatifIntro')),
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

/* ---------- notes for the scenario's author: the player data's `warnings` (docs/player.md), shown while the server watches the file ---------- */
const AUTHOR = {
  en: 'For the author of this file: mailhop found these while running it. Fix the file and save it: this page updates by itself.',
  pt: 'Para quem escreveu este arquivo: o mailhop encontrou isto ao executá-lo. Corrija o arquivo e salve: esta página se atualiza sozinha.',
};
function authorWarnings(D) {
  const list = Array.isArray(D.warnings) ? D.warnings.slice(0, 100) : [];
  if (!list.length || !watching()) return null;
  return el('section.banner.author-warnings', { role: 'status' }, el('p', null, AUTHOR[lang] || AUTHOR.en),
    el('ul.problems', { tid: 'author-warnings' }, list.map(w => el('li.problem', null, String(w)))));
}

/* ---------- keyboard, hash, resize ---------- */
function onKey(e) {
  if (!P.data || !U.label || e.altKey || e.ctrlKey || e.metaKey) return;
  const tg = e.target, tag = tg.tagName || '';
  if (e.key === 'Escape' && P.present) { setPresent(false); e.preventDefault(); return; }
  if (tg.isContentEditable || tag === 'TEXTAREA' || tag === 'SELECT' || (tag === 'INPUT' && !['checkbox', 'radio'].includes(tg.type))) return;
  const keys = { ArrowRight: () => userGo(P.idx + 1), ArrowLeft: () => userGo(P.idx - 1), Home: () => userGo(0), End: () => userGo(lastIdx()), ' ': () => setPlay(!P.playing),
    ']': () => stepEvent(1), '[': () => stepEvent(-1) };
  // space keeps its own meaning on buttons, links and checkboxes
  if (!keys[e.key] || (e.key === ' ' && ['BUTTON', 'A', 'SUMMARY', 'INPUT'].includes(tag))) return;
  keys[e.key]();
  e.preventDefault();
}

if (B.dataset.page === 'gallery') {
  applyLang();
  const b = doc.querySelector('[data-testid="lang"]');
  if (b) { paintLang(b); b.hidden = false; b.addEventListener('click', () => { switchLang(); paintLang(b); }); }
} else if (B.dataset.page === 'player') {
  applyLang();
  doc.addEventListener('keydown', onKey);
  addEventListener('hashchange', () => { const n = readHash(); if (U.label && n != null && n !== P.idx) userGo(n); });
  let rz = 0;
  addEventListener('resize', () => { cancelAnimationFrame(rz); rz = requestAnimationFrame(() => { if (U.topo) { drawTopo(false); buildTimeline(); paintTimeline(); } }); });
  load();
}
})();
