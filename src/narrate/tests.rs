use super::*;
use crate::trace::senders::{
    Action, ArcCheck, DkimSigned, DmarcCheck, Forwarded, RuleHit, SenderChecked, SenderChecks,
    SpamScored, SpfCheck, Verdict,
};
use crate::trace::{
    Auth, Blocked, Bounced, ClientChecked, Composed, Connect, ConnectFailed, Deferred, DelayWarned,
    Delivered, Dir, DnsAnswer, DnsForged, DnsQuery, Dropped, DynamicSign, GreylistPassed,
    Greylisted, HeloVerdict, Listed, Observed, Place, QueuedAtEnd, Removed, Spot, Stored,
    SubmissionFailed, Tampered, Tapped, TlsHandshake, TlsPolicy, TlsPolicyFailed, TlsReportSent,
    Typed, Wire,
};

fn s(text: &str) -> String {
    text.to_string()
}

fn hop() -> Hop {
    Hop {
        hop: 3,
        message: s("m1"),
        from: s("smarthost.isp.test"),
        to: s("filter.spamco.test"),
        conn: s("c4"),
        protocol: s("ESMTP"),
        channel: Channel::Plaintext,
        tls_version: None,
        cipher: None,
        sender: s("alice@home.test"),
        recipients: vec![s("bob@friend.test")],
        mailbox: None,
    }
}

/// What an event should be told as: (en, pt, node, peer, code).
type Told = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

/// One example of each kind of event, and how it is told.
fn examples() -> Vec<(Event, Option<Told>)> {
    vec![
        (
            Event::NodeDown {
                node: s("mx.friend.test"),
                until: Some(7_200_000),
            },
            Some((
                "mx.friend.test goes down until +2h00m00.000s",
                "mx.friend.test sai do ar até +2h00m00.000s",
                Some("mx.friend.test"),
                None,
                None,
            )),
        ),
        (
            Event::NodeUp {
                node: s("mx.friend.test"),
            },
            Some((
                "mx.friend.test is back up",
                "mx.friend.test volta ao ar",
                Some("mx.friend.test"),
                None,
                None,
            )),
        ),
        (
            Event::Composed(Box::new(Composed {
                node: s("alice-laptop"),
                message: s("m1"),
                message_id: s("<1@home.test>"),
                from: s("alice@home.test"),
                to: vec![s("bob@friend.test"), s("carol@friend.test")],
                subject: s("Lunch on Friday?"),
            })),
            Some((
                "alice-laptop writes m1 to bob@friend.test, carol@friend.test: \"Lunch on Friday?\"",
                "alice-laptop escreve m1 para bob@friend.test, carol@friend.test: \"Lunch on Friday?\"",
                Some("alice-laptop"),
                None,
                None,
            )),
        ),
        (
            Event::DnsQuery(Box::new(DnsQuery {
                node: s("smarthost.isp.test"),
                name: s("friend.test"),
                rtype: s("MX"),
            })),
            None,
        ),
        (
            Event::DnsAnswer(Box::new(DnsAnswer {
                node: s("smarthost.isp.test"),
                name: s("friend.test"),
                rtype: s("MX"),
                rcode: s("NOERROR"),
                answers: vec![s("friend.test. MX 10 filter.spamco.test.")],
                secure: false,
            })),
            None,
        ),
        (
            Event::Connect(Box::new(Connect {
                conn: s("c4"),
                client: s("smarthost.isp.test"),
                server: s("filter.spamco.test"),
                port: 25,
                client_ip: s("198.51.100.20"),
                server_ip: s("198.51.100.30"),
            })),
            None,
        ),
        (
            Event::ConnectFailed(Box::new(ConnectFailed {
                client: s("filter.spamco.test"),
                server: s("mx.friend.test"),
                port: 25,
                reason: s("connection timed out"),
                blocked: None,
            })),
            Some((
                "filter.spamco.test could not connect to mx.friend.test:25: connection timed out",
                "filter.spamco.test não conseguiu se conectar a mx.friend.test:25: tempo de conexão esgotado",
                Some("filter.spamco.test"),
                Some("mx.friend.test"),
                None,
            )),
        ),
        (
            Event::Line {
                conn: s("c4"),
                dir: Dir::ClientToServer,
                text: s("EHLO smarthost.isp.test"),
                tls: false,
            },
            None,
        ),
        (
            Event::Discarded {
                conn: s("c4"),
                bytes: 12,
            },
            None,
        ),
        (
            Event::Wire(Box::new(Wire {
                conn: s("c4"),
                dir: Dir::ClientToServer,
                len: 25,
                data: b"EHLO smarthost.isp.test\r\n"[..].into(),
                observed: Observed::Text,
            })),
            None,
        ),
        (
            Event::TlsHandshake(Box::new(TlsHandshake {
                conn: s("c2"),
                version: s("TLSv1_3"),
                cipher: s("TLS13_AES_256_GCM_SHA384"),
                server_authenticated: false,
                identity: None,
                reason: s("opportunistic STARTTLS: the certificate was not checked"),
                resumed: false,
            })),
            None,
        ),
        (
            Event::TlsFailed {
                conn: s("c2"),
                error: s(
                    "TLS handshake with smarthost.isp.test failed: invalid peer certificate: \
                               certificate expired: verification time 1767603600 (UNIX), but certificate \
                               is not valid after 1764579600 (3024000 seconds ago) \
                               (certificate expired on 2025-12-01 (simulated date: 2026-01-05))",
                ),
            },
            Some((
                "TLS failed on c2: TLS handshake with smarthost.isp.test failed: invalid peer certificate: \
                     certificate expired: verification time 1767603600 (UNIX), but certificate \
                     is not valid after 1764579600 (3024000 seconds ago) \
                     (certificate expired on 2025-12-01 (simulated date: 2026-01-05))",
                "o TLS falhou na conexão c2: a negociação TLS com smarthost.isp.test falhou: invalid peer certificate: \
                     certificate expired: verification time 1767603600 (UNIX), but certificate \
                     is not valid after 1764579600 (3024000 seconds ago) \
                     (certificado vencido em 2025-12-01 (data simulada: 2026-01-05))",
                None,
                None,
                None,
            )),
        ),
        (Event::Closed { conn: s("c4") }, None),
        (
            Event::Hop(Box::new(hop())),
            Some((
                "smarthost.isp.test hands message m1 to filter.spamco.test: plaintext",
                "smarthost.isp.test entrega a mensagem m1 para filter.spamco.test: texto claro",
                Some("smarthost.isp.test"),
                Some("filter.spamco.test"),
                None,
            )),
        ),
        (
            Event::Stored(Box::new(Stored {
                node: s("filter.spamco.test"),
                message: s("m1"),
                place: Place::Queue {
                    queue_id: s("004B1D05D9"),
                },
                readable: true,
                eml: s("Subject: Lunch\r\n\r\nHi\r\n"),
            })),
            None,
        ),
        (
            Event::Removed(Box::new(Removed {
                node: s("smarthost.isp.test"),
                message: s("m1"),
                queue_id: s("004B1D03E6"),
                reason: s("passed on"),
            })),
            None,
        ),
        (
            Event::Delivered(Box::new(Delivered {
                node: s("mx.friend.test"),
                message: s("m1"),
                recipient: s("bob@friend.test"),
                folder: s("INBOX"),
                mailbox: s("bob@friend.test"),
                uid: 1,
                uidvalidity: 1_767_603_600,
            })),
            Some((
                "m1 delivered to bob@friend.test (INBOX, UID 1) on mx.friend.test",
                "m1 entregue a bob@friend.test (INBOX, UID 1) em mx.friend.test",
                Some("mx.friend.test"),
                None,
                None,
            )),
        ),
        (
            Event::Typed(Box::new(Typed {
                node: s("stranger-pc"),
                conn: s("c1"),
                server: s("mail.careful.test"),
                text: s("RCPT TO:<carol@third.test>"),
                reply: Some(s("554 5.7.1 <carol@third.test>: Relay access denied")),
            })),
            Some((
                "stranger-pc types \"RCPT TO:<carol@third.test>\" to mail.careful.test, which answers \"554 5.7.1 <carol@third.test>: Relay access denied\"",
                "stranger-pc digita \"RCPT TO:<carol@third.test>\" para mail.careful.test, que responde \"554 5.7.1 <carol@third.test>: Relay access denied\"",
                Some("stranger-pc"),
                Some("mail.careful.test"),
                Some("554"),
            )),
        ),
        (
            Event::TypingStopped {
                node: s("stranger-pc"),
                conn: s("c1"),
                reason: crate::trace::Stop::Closed,
                untyped: 2,
            },
            Some((
                "stranger-pc stops typing: the server closed the connection (2 lines left untyped)",
                "stranger-pc para de digitar: o servidor fechou a conexão (2 linhas ficaram sem digitar)",
                Some("stranger-pc"),
                None,
                None,
            )),
        ),
        (
            Event::Cut {
                conn: s("c3"),
                node: s("mx.friend.test"),
            },
            Some((
                "mx.friend.test went down in the middle of c3: the connection is cut",
                "mx.friend.test saiu do ar no meio de c3: a conexão caiu",
                Some("mx.friend.test"),
                None,
                None,
            )),
        ),
        (
            Event::Auth(Box::new(Auth {
                conn: s("c1"),
                user: s("alice@home.test"),
                mechanism: s("PLAIN"),
                accepted: true,
                tls: false,
            })),
            Some((
                "alice@home.test logged in with AUTH PLAIN on c1, in plaintext: anyone on the link could read the password",
                "alice@home.test entrou com AUTH PLAIN em c1, em texto claro: qualquer um no caminho podia ler a senha",
                None,
                None,
                None,
            )),
        ),
        (
            Event::DelayWarned(Box::new(DelayWarned {
                node: s("backup.friend.test"),
                message: s("m1"),
                recipients: vec![s("bob@friend.test")],
                dsn: s("m2"),
            })),
            Some((
                "backup.friend.test told the sender that m1 for bob@friend.test is late but still being retried (notice m2)",
                "backup.friend.test avisou o remetente que m1 para bob@friend.test está atrasada, mas segue sendo tentada (aviso m2)",
                Some("backup.friend.test"),
                None,
                None,
            )),
        ),
        (
            Event::Deferred(Box::new(Deferred {
                node: s("backup.friend.test"),
                message: s("m1"),
                recipients: vec![s("bob@friend.test")],
                reason: s("connect to mx.friend.test: connection timed out; \
                               451 host mx2.friend.test said: 4.7.1 Try again later"),
            })),
            Some((
                "backup.friend.test deferred m1: connect to mx.friend.test: connection timed out; \
                     451 host mx2.friend.test said: 4.7.1 Try again later",
                "backup.friend.test adiou a entrega de m1: ao conectar a mx.friend.test: tempo de conexão esgotado; \
                     451 o host mx2.friend.test respondeu: 4.7.1 Try again later",
                Some("backup.friend.test"),
                None,
                Some("451"),
            )),
        ),
        (
            Event::RetryScheduled {
                node: s("backup.friend.test"),
                message: s("m1"),
                at: 360_840,
                attempt: 2,
            },
            Some((
                "backup.friend.test will try m1 again at +6m00.840s (attempt 2)",
                "backup.friend.test vai tentar m1 de novo em +6m00.840s (tentativa 2)",
                Some("backup.friend.test"),
                None,
                None,
            )),
        ),
        (
            Event::Bounced(Box::new(Bounced {
                node: s("mail.home.test"),
                message: s("m1"),
                recipient: s("bbo@friend.test"),
                status: s("5.1.1"),
                reason: s("550 host mx.friend.test said: 5.1.1 <bbo@friend.test>: \
                               Recipient address rejected: User unknown in local recipient table"),
                dsn: Some(s("m2")),
            })),
            Some((
                "mail.home.test bounced m1 for bbo@friend.test: 5.1.1 550 host mx.friend.test said: \
                     5.1.1 <bbo@friend.test>: Recipient address rejected: User unknown in local recipient table \
                     (notice m2 sent to the sender)",
                "mail.home.test devolveu m1, destinada a bbo@friend.test: 5.1.1 550 o host mx.friend.test respondeu: \
                     5.1.1 <bbo@friend.test>: Recipient address rejected: User unknown in local recipient table \
                     (aviso m2 enviado ao remetente)",
                Some("mail.home.test"),
                None,
                Some("5.1.1"),
            )),
        ),
        (
            Event::Dropped(Box::new(Dropped {
                node: s("mail.home.test"),
                message: s("m2"),
                recipients: vec![s("alice@gone.test")],
                reason: s("undeliverable bounce: a bounce has no sender to return to \
                               (alice@gone.test: 5.4.4 Host or domain name not found: gone.test has no MX or A record)"),
            })),
            Some((
                "mail.home.test dropped m2: undeliverable bounce: a bounce has no sender to return to \
                     (alice@gone.test: 5.4.4 Host or domain name not found: gone.test has no MX or A record)",
                "mail.home.test descartou m2: devolução impossível de entregar: uma devolução não tem remetente \
                     para onde voltar (alice@gone.test: 5.4.4 host ou domínio não encontrado: gone.test não tem \
                     registro MX nem A)",
                Some("mail.home.test"),
                None,
                Some("5.4.4"),
            )),
        ),
        (
            Event::SubmissionFailed(Box::new(SubmissionFailed {
                node: s("alice-laptop"),
                message: s("m1"),
                reason: s("cannot reach mail.home.test:587: connection refused"),
            })),
            Some((
                "alice-laptop could not submit m1: cannot reach mail.home.test:587: connection refused",
                "alice-laptop não conseguiu enviar m1: não foi possível alcançar mail.home.test:587: conexão recusada",
                Some("alice-laptop"),
                None,
                None,
            )),
        ),
        (
            Event::DiscoveryStarted(Box::new(DiscoveryStarted {
                node: s("bruno-phone"),
                address: s("bruno@small.test"),
                protocol: s("IMAP"),
            })),
            Some((
                "bruno-phone is set up with only bruno@small.test and a password, and looks for the servers to read mail by IMAP",
                "bruno-phone foi configurado só com bruno@small.test e uma senha, e procura os servidores para ler e-mails por IMAP",
                Some("bruno-phone"),
                None,
                None,
            )),
        ),
        (
            Event::DiscoveryTry(Box::new(DiscoveryTry {
                node: s("bruno-phone"),
                method: s("guess"),
                target: s("smtp.small.test:465 (SSL)"),
                found: false,
                result: s("cannot reach smtp.small.test:465: connection refused"),
                conn: None,
            })),
            Some((
                "bruno-phone tries a guess (smtp.small.test:465 (SSL)), in vain: cannot reach smtp.small.test:465: connection refused",
                "bruno-phone tenta um palpite (smtp.small.test:465 (SSL)), sem sucesso: não foi possível alcançar smtp.small.test:465: conexão recusada",
                Some("bruno-phone"),
                None,
                None,
            )),
        ),
        (
            Event::DiscoveryTry(Box::new(DiscoveryTry {
                node: s("bruno-phone"),
                method: s("autoconfig"),
                target: s("https://small.test/.well-known/autoconfig/mail/config-v1.1.xml"),
                found: false,
                result: s("HTTP 404 Not Found"),
                conn: Some(s("c4")),
            })),
            Some((
                "bruno-phone tries the provider's autoconfig file (https://small.test/.well-known/autoconfig/mail/config-v1.1.xml), in vain: HTTP 404 Not Found",
                "bruno-phone tenta o arquivo de autoconfiguração do provedor (https://small.test/.well-known/autoconfig/mail/config-v1.1.xml), sem sucesso: HTTP 404 Not Found",
                Some("bruno-phone"),
                None,
                Some("404"),
            )),
        ),
        (
            Event::DiscoveryTry(Box::new(DiscoveryTry {
                node: s("bruno-phone"),
                method: s("srv"),
                target: s("_imaps._tcp.small.test"),
                found: true,
                result: s("found IMAP at mx.small.test:993 (SSL)"),
                conn: None,
            })),
            Some((
                "bruno-phone finds its servers with SRV records (_imaps._tcp.small.test): found IMAP at mx.small.test:993 (SSL)",
                "bruno-phone encontra seus servidores com registros SRV (_imaps._tcp.small.test): encontrou IMAP em mx.small.test:993 (SSL)",
                Some("bruno-phone"),
                None,
                None,
            )),
        ),
        (
            Event::Discovered(Box::new(Discovered {
                node: s("bruno-phone"),
                incoming: FoundServer {
                    protocol: s("IMAP"),
                    host: s("mx.small.test"),
                    port: 993,
                    socket_type: s("SSL"),
                    method: s("srv"),
                },
                outgoing: None,
            })),
            Some((
                "bruno-phone now reads mail by IMAP at mx.small.test:993 (SSL, found with SRV records) and found no server to send with",
                "bruno-phone agora lê e-mails por IMAP em mx.small.test:993 (SSL, encontrado com registros SRV) e não encontrou servidor para enviar",
                Some("bruno-phone"),
                Some("mx.small.test"),
                None,
            )),
        ),
        (
            Event::DiscoveryFailed(Box::new(DiscoveryFailed {
                node: s("bruno-phone"),
                domain: s("small.test"),
                reason: s("nothing was found: no file, no SRV record, and no guess answered"),
            })),
            Some((
                "bruno-phone found no server to read mail for small.test: nothing was found: no file, no SRV record, and no guess answered",
                "bruno-phone não encontrou servidor para ler e-mails de small.test: nada foi encontrado: nenhum arquivo, nenhum registro SRV, e nenhum palpite respondeu",
                Some("bruno-phone"),
                None,
                None,
            )),
        ),
        (
            Event::QueuedAtEnd(Box::new(QueuedAtEnd {
                node: s("mail.home.test"),
                message: s("m1"),
                recipients: vec![s("bob@friend.test")],
            })),
            Some((
                "m1 still queued on mail.home.test for bob@friend.test",
                "m1 ainda está na fila de mail.home.test, para bob@friend.test",
                Some("mail.home.test"),
                None,
                None,
            )),
        ),
        (
            Event::End {
                reason: s("quiescent"),
            },
            Some((
                "end of run (nothing left to do)",
                "fim da execução (nada mais a fazer)",
                None,
                None,
                None,
            )),
        ),
        (
            Event::Hop(Box::new(Hop {
                from: s("mx.friend.test"),
                to: s("bob-laptop"),
                protocol: s("POP3"),
                sender: String::new(),
                recipients: Vec::new(),
                mailbox: Some(Spot {
                    mailbox: s("bob@friend.test"),
                    folder: s("INBOX"),
                    uid: 1,
                    uidvalidity: 7,
                    appended: false,
                }),
                ..hop()
            })),
            Some((
                "bob-laptop downloads m1 from mx.friend.test (INBOX) by POP3: plaintext",
                "bob-laptop baixa m1 de mx.friend.test (INBOX) por POP3: texto claro",
                Some("bob-laptop"),
                Some("mx.friend.test"),
                None,
            )),
        ),
        (
            Event::Expunged(Box::new(Expunged {
                node: s("mx.friend.test"),
                message: s("m1"),
                conn: s("c3"),
                mailbox: s("bob@friend.test"),
                folder: s("INBOX"),
                uid: 1,
                by: s("DELE"),
            })),
            Some((
                "mx.friend.test deletes m1 from bob@friend.test/INBOX (UID 1): the POP3 client marked it with DELE and said QUIT",
                "mx.friend.test apaga m1 de bob@friend.test/INBOX (UID 1): o cliente POP3 marcou com DELE e disse QUIT",
                Some("mx.friend.test"),
                None,
                None,
            )),
        ),
        (
            Event::Moved(Box::new(Moved {
                node: s("mx.friend.test"),
                message: s("m1"),
                conn: s("c3"),
                mailbox: s("bob@friend.test"),
                from: s("INBOX"),
                to: s("Junk"),
                uid: 1,
                new_uid: 4,
            })),
            Some((
                "mx.friend.test moves m1 from INBOX to Junk in bob@friend.test's mailbox",
                "mx.friend.test move m1 de INBOX para Junk na caixa de bob@friend.test",
                Some("mx.friend.test"),
                None,
                None,
            )),
        ),
        (
            Event::Flagged(Box::new(Flagged {
                node: s("mx.friend.test"),
                message: s("m1"),
                conn: s("c3"),
                mailbox: s("bob@friend.test"),
                folder: s("INBOX"),
                uid: 1,
                flags: vec![s("\\Seen")],
            })),
            Some((
                "mx.friend.test now keeps m1 in bob@friend.test/INBOX with flags \\Seen",
                "mx.friend.test agora guarda m1 em bob@friend.test/INBOX com as marcas \\Seen",
                Some("mx.friend.test"),
                None,
                None,
            )),
        ),
        (
            Event::RetrievalFailed(Box::new(RetrievalFailed {
                node: s("bob-phone"),
                server: s("mx.friend.test"),
                protocol: s("IMAP"),
                reason: s(
                    "the server refused the login: NO [AUTHENTICATIONFAILED] Authentication failed.",
                ),
            })),
            Some((
                "bob-phone could not read its mail on mx.friend.test by IMAP: the server refused the login: NO [AUTHENTICATIONFAILED] Authentication failed",
                "bob-phone não conseguiu ler seus e-mails em mx.friend.test por IMAP: o servidor recusou o login: NO [AUTHENTICATIONFAILED] Authentication failed",
                Some("bob-phone"),
                Some("mx.friend.test"),
                None,
            )),
        ),
        (
            Event::DkimSigned(Box::new(DkimSigned {
                node: s("smtp.bank.test"),
                message: s("m1"),
                domain: s("bank.test"),
                selector: s("2026"),
                algorithm: s("rsa-sha256"),
                header: s("DKIM-Signature: v=1; a=rsa-sha256; d=bank.test; s=2026; ...\r\n"),
            })),
            Some((
                "smtp.bank.test signed m1 with DKIM for bank.test (selector 2026, rsa-sha256)",
                "smtp.bank.test assinou m1 com DKIM em nome de bank.test (seletor 2026, rsa-sha256)",
                Some("smtp.bank.test"),
                None,
                None,
            )),
        ),
        (
            Event::SenderChecked(Box::new(SenderChecked {
                node: s("mx.friend.test"),
                conn: s("c3"),
                message: s("m2"),
                client_ip: s("192.0.2.12"),
                helo: s("mail.phish.test"),
                mail_from: s("security@bank.test"),
                checks: senders_checks(),
                action: Action::Reject,
                reply: Some(s("550 5.7.1 Rejected by DMARC policy for bank.test")),
                trusted_arc: None,
            })),
            Some((
                "mx.friend.test checked who sent m2: SPF fail for bank.test, DKIM none, DMARC fail for bank.test; refused, because bank.test asks receivers to reject mail that fails DMARC (p=reject)",
                "mx.friend.test verificou quem enviou m2: SPF fail para bank.test, DKIM none, DMARC fail para bank.test; recusada, porque bank.test pede que os destinatários recusem e-mail que falha no DMARC (p=reject)",
                Some("mx.friend.test"),
                None,
                Some("5.7.1"),
            )),
        ),
        (
            Event::SpamScored(Box::new(SpamScored {
                node: s("filter.mailguard.test"),
                conn: s("c4"),
                message: s("m2"),
                score: 8.0,
                junk_at: 5.0,
                reject_at: Some(12.0),
                rules: vec![RuleHit {
                    name: s("MONEY_WORDS"),
                    score: 8.0,
                    detail: Some(s("prize, winner")),
                }],
                action: Action::Junk,
                reply: None,
            })),
            Some((
                "filter.mailguard.test gave m2 a spam score of 8.0 (Junk from 5.0, refused from 12.0): MONEY_WORDS +8.0; marked as spam, for the Junk folder",
                "filter.mailguard.test deu a m2 8.0 pontos de spam (Lixo eletrônico a partir de 5.0, recusa a partir de 12.0): MONEY_WORDS +8.0; marcada como spam, para o Lixo eletrônico",
                Some("filter.mailguard.test"),
                None,
                None,
            )),
        ),
        (
            Event::Forwarded(Box::new(Forwarded {
                node: s("mx.fwd.test"),
                message: s("m1"),
                recipient: s("dan@fwd.test"),
                to: s("dan@new.test"),
                sender: s("alice@bank.test"),
                rewritten: Some(s("SRS0=KTA1=7K=bank.test=alice@fwd.test")),
                footer: true,
                sealed: Some(s("fwd.test")),
                seal_failed: None,
            })),
            Some((
                "mx.fwd.test forwarded m1 for dan@fwd.test to dan@new.test, rewriting the envelope sender to SRS0=KTA1=7K=bank.test=alice@fwd.test (SRS), with a footer added to the body, sealed with ARC by fwd.test",
                "mx.fwd.test encaminhou m1 de dan@fwd.test para dan@new.test, reescrevendo o remetente do envelope para SRS0=KTA1=7K=bank.test=alice@fwd.test (SRS), com um rodapé acrescentado ao corpo, selada com ARC por fwd.test",
                Some("mx.fwd.test"),
                None,
                None,
            )),
        ),
        (
            Event::Tapped(Box::new(Tapped {
                attacker: s("mallory"),
                conn: s("c2"),
                client: s("mta.a.test"),
                server: s("mx.b.test"),
            })),
            Some((
                "mallory is on the path of c2 (mta.a.test → mx.b.test) and records every byte that crosses it",
                "mallory está no caminho de c2 (mta.a.test → mx.b.test) e grava cada byte que passa",
                Some("mallory"),
                Some("mx.b.test"),
                None,
            )),
        ),
        (
            Event::Tampered(Box::new(Tampered {
                attacker: s("mallory"),
                conn: s("c2"),
                dir: Dir::ServerToClient,
                what: s("strip_starttls"),
                before: s("250-STARTTLS"),
                after: s("250-XXXXXXXA"),
            })),
            Some((
                "mallory rewrote a line on c2: the server said \"250-STARTTLS\", the client got \"250-XXXXXXXA\", so it never sees STARTTLS offered",
                "mallory reescreveu uma linha em c2: o servidor disse \"250-STARTTLS\", o cliente recebeu \"250-XXXXXXXA\" e não vê o STARTTLS oferecido",
                Some("mallory"),
                None,
                None,
            )),
        ),
        (
            Event::DnsForged(Box::new(DnsForged {
                attacker: s("mallory"),
                node: s("mta.a.test"),
                name: s("b.test"),
                rtype: s("MX"),
                answers: vec![s("b.test. MX 5 mx.evil.test.")],
                refused: true,
            })),
            Some((
                "mallory forged the MX answer for b.test (b.test. MX 5 mx.evil.test.), but mta.a.test validates DNSSEC: the zone is signed and the forgery carries no valid signature, so mta.a.test threw it away",
                "mallory forjou a resposta MX de b.test (b.test. MX 5 mx.evil.test.), mas mta.a.test valida DNSSEC: a zona é assinada e a falsificação não tem assinatura válida, então mta.a.test a descartou",
                Some("mallory"),
                Some("mta.a.test"),
                None,
            )),
        ),
        (
            Event::TlsPolicy(Box::new(TlsPolicy {
                node: s("mta.a.test"),
                domain: s("b.test"),
                policy: s("mta-sts"),
                host: None,
                source: s("fetched"),
                mode: Some(s("enforce")),
                records: vec![s("mx.b.test")],
                id: Some(s("20260101")),
                max_age: Some(86400),
                reason: None,
            })),
            Some((
                "mta.a.test follows the MTA-STS policy of b.test (fetched over HTTPS from mta-sts.b.test): mode enforce, MX hosts mx.b.test",
                "mta.a.test segue a política MTA-STS de b.test (baixada por HTTPS de mta-sts.b.test): modo enforce, servidores MX mx.b.test",
                Some("mta.a.test"),
                None,
                None,
            )),
        ),
        (
            Event::TlsPolicyFailed(Box::new(TlsPolicyFailed {
                node: s("mta.a.test"),
                message: s("m1"),
                domain: s("b.test"),
                host: s("mx.evil.test"),
                policy: s("mta-sts"),
                result: s("validation-failure"),
                reason: s("MX host mx.evil.test does not match the MTA-STS policy of b.test"),
                enforced: true,
            })),
            Some((
                "mx.evil.test fails the MTA-STS policy of b.test (validation-failure): MX host mx.evil.test does not match the MTA-STS policy of b.test; m1 waits in the queue",
                "mx.evil.test não cumpre a política MTA-STS de b.test (validation-failure): MX host mx.evil.test does not match the MTA-STS policy of b.test; m1 espera na fila",
                Some("mta.a.test"),
                Some("mx.evil.test"),
                None,
            )),
        ),
        (
            Event::TlsReportSent(Box::new(TlsReportSent {
                node: s("mta.a.test"),
                domain: s("b.test"),
                message: s("m2"),
                to: s("tls-reports@b.net"),
                successful: 0,
                failed: 4,
            })),
            Some((
                "mta.a.test sends b.test a TLS report (m2, to tls-reports@b.net): sessions that met its policy 0, that failed 4",
                "mta.a.test envia a b.test um relatório de TLS (m2, para tls-reports@b.net): sessões que cumpriram a política 0, que falharam 4",
                Some("mta.a.test"),
                None,
                None,
            )),
        ),
        (
            Event::ClientChecked(Box::new(ClientChecked {
                node: s("mx.friend.test"),
                conn: s("c2"),
                client: s("rui-pc"),
                client_ip: s("198.18.7.30"),
                ptr: None,
                fcrdns: false,
                helo: s("[198.18.7.30]"),
                helo_verdict: HeloVerdict::AddressLiteral,
                listed: vec![Listed {
                    zone: s("pbl.blocklist.test"),
                    answer: s("127.0.0.11"),
                    reason: Some(s("Dynamic address of a home line.")),
                }],
                dynamic: Some(DynamicSign::Blocklist {
                    zone: s("pbl.blocklist.test"),
                }),
            })),
            Some((
                "mx.friend.test looks up rui-pc (198.18.7.30): no reverse DNS name; HELO [198.18.7.30] is an address, not a name; listed by pbl.blocklist.test (127.0.0.11: Dynamic address of a home line); a home line, says pbl.blocklist.test",
                "mx.friend.test investiga rui-pc (198.18.7.30): nenhum nome no DNS reverso; HELO [198.18.7.30] é um endereço, não um nome; listado em pbl.blocklist.test (127.0.0.11: Dynamic address of a home line); uma linha doméstica, segundo pbl.blocklist.test",
                Some("mx.friend.test"),
                Some("rui-pc"),
                None,
            )),
        ),
        (
            Event::Greylisted(Box::new(Greylisted {
                node: s("mx.friend.test"),
                conn: s("c2"),
                client: s("mail.home.test"),
                client_ip: s("192.0.2.10"),
                sender: s("alice@home.test"),
                recipient: s("bob@friend.test"),
                first_seen: 520,
                retry_at: 300_520,
            })),
            Some((
                "mx.friend.test greylists mail.home.test: mail from alice@home.test to bob@friend.test coming from 192.0.2.10 was first seen at +0.520s, so it answers 451 and takes a retry from +5m00.520s on",
                "mx.friend.test põe mail.home.test na lista cinza: e-mail de alice@home.test para bob@friend.test vindo de 192.0.2.10 apareceu pela primeira vez em +0.520s, então responde 451 e aceita uma nova tentativa a partir de +5m00.520s",
                Some("mx.friend.test"),
                Some("mail.home.test"),
                Some("451"),
            )),
        ),
        (
            Event::GreylistPassed(Box::new(GreylistPassed {
                node: s("mx.friend.test"),
                conn: s("c4"),
                client: s("mail.home.test"),
                client_ip: s("192.0.2.10"),
                sender: s(""),
                recipient: s("bob@friend.test"),
                first_seen: 520,
            })),
            Some((
                "mx.friend.test lets mail.home.test through: it came back from 192.0.2.10 with mail from <> to bob@friend.test, first refused at +0.520s, after the greylisting delay, and is now known",
                "mx.friend.test deixa mail.home.test passar: voltou de 192.0.2.10 com e-mail de <> para bob@friend.test, recusado pela primeira vez em +0.520s, depois do prazo da lista cinza, e agora é conhecido",
                Some("mx.friend.test"),
                Some("mail.home.test"),
                None,
            )),
        ),
    ]
}

/// The checks of a forgery: SPF fail, no signature, DMARC fail, p=reject.
fn senders_checks() -> SenderChecks {
    let spf = SpfCheck {
        domain: s("bank.test"),
        result: Verdict::Fail,
        explanation: None,
    };
    SenderChecks {
        spf_helo: SpfCheck {
            domain: s("mail.phish.test"),
            result: Verdict::None,
            explanation: None,
        },
        spf,
        dkim: Vec::new(),
        dmarc: DmarcCheck {
            domain: s("bank.test"),
            result: Verdict::Fail,
            spf_aligned: Verdict::Fail,
            dkim_aligned: Verdict::None,
            policy: Some(s("reject")),
        },
        arc: ArcCheck {
            result: Verdict::None,
            sealers: Vec::new(),
            sealed_results: None,
            reason: None,
        },
        header: s("Authentication-Results: mx.friend.test; spf=fail\r\n"),
    }
}

#[test]
fn a_connection_a_network_rule_dropped_names_the_network_and_the_rule() {
    let event = Event::ConnectFailed(Box::new(ConnectFailed {
        client: s("ana-pc"),
        server: s("mx.friend.test"),
        port: 25,
        reason: s("connection timed out"),
        blocked: Some(Blocked {
            network: s("isp-home"),
            range: s("198.18.5.0/24"),
            rule: s("block_outbound_smtp"),
            except: vec![s("smtp.isp.test")],
        }),
    }));
    let told = narrate(&event).expect("told");
    assert_eq!(
        told.en,
        "ana-pc could not connect to mx.friend.test:25: its network isp-home (198.18.5.0/24) blocks outgoing SMTP to every server but smtp.isp.test and drops the attempt without a word, so the connection timed out"
    );
    assert_eq!(
        told.pt,
        "ana-pc não conseguiu se conectar a mx.friend.test:25: sua rede isp-home (198.18.5.0/24) bloqueia SMTP de saída para todos os servidores exceto smtp.isp.test e descarta a tentativa sem resposta, então o tempo de conexão se esgotou"
    );
    assert_eq!(
        (told.node.as_deref(), told.peer.as_deref()),
        (Some("ana-pc"), Some("mx.friend.test"))
    );
}

#[test]
fn every_kind_of_event_is_told_as_expected() {
    let mut examples = examples();
    examples.extend(super::pgp::tests::examples());
    let mut kinds: Vec<&str> = examples.iter().map(|(e, _)| e.kind()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds.len(), 53, "one example of each kind of event");
    for (event, expected) in &examples {
        let told = narrate(event);
        let expected = expected.map(|(en, pt, node, peer, code)| Narration {
            node: node.map(s),
            peer: peer.map(s),
            code: code.map(s),
            en: s(en),
            pt: s(pt),
        });
        assert_eq!(told, expected, "{}", event.kind());
    }
}

#[test]
fn no_narration_is_empty_or_left_in_english() {
    for (event, _) in examples().into_iter().chain(super::pgp::tests::examples()) {
        let Some(told) = narrate(&event) else {
            continue;
        };
        assert!(!told.en.trim().is_empty(), "{}: English", event.kind());
        assert!(!told.pt.trim().is_empty(), "{}: Portuguese", event.kind());
        assert_ne!(told.en, told.pt, "{}: translated", event.kind());
        for text in [&told.en, &told.pt] {
            assert!(
                !text.ends_with('.'),
                "{}: no full stop: {text}",
                event.kind()
            );
        }
    }
    for channel in [
        Channel::Plaintext,
        Channel::Tls,
        Channel::TlsNameOnly,
        Channel::TlsAuthenticated,
    ] {
        let words = channel_text(channel);
        assert!(!words.en.is_empty() && !words.pt.is_empty() && words.en != words.pt);
    }
}
