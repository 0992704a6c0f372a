/* The words of e-mail, explained once in both languages and written fresh for this player: as
   tooltips where they appear (machines, the channel, SMTP lines, DNS types) and all together in
   the Words panel. Later files may add terms with mailhop.words. */
(() => {
'use strict';
const M = window.mailhop, { el, tr, loc, GLOSSARY } = M;
M.strings({ en: { words: 'Words used here' }, pt: { words: 'Palavras usadas aqui' } });
/* Each term: [word, {en, pt}, roles of machines it explains]. */
M.words([
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
]);

M.part({
  id: 'words', slot: 'panels', order: 60,
  build: () => el('section.panel', { id: 'p-words', tid: 'glossary', 'aria-labelledby': 'h-words' }, el('details', null, el('summary', null, el('h2', { id: 'h-words' }, tr('words'))),
    el('dl.glossary', null, GLOSSARY.map(([term, text]) => [el('dt', { tid: 'glossary-term' }, term), el('dd', null, loc(text))])))),
});
})();
