//! A mail client set up with only an address and a password looks for its
//! servers, as Thunderbird does (`FindConfig.sys.mjs`), in this order:
//!
//! 1. **The provider's autoconfig file** over HTTPS:
//!    `https://autoconfig.<domain>/mail/config-v1.1.xml?emailaddress=...`,
//!    then `https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml`.
//! 2. Thunderbird then asks its own database of providers (ISPDB) at
//!    Mozilla; the simulated world has no Mozilla, so this step is left out.
//! 3. **The MX host's domain**: the domain's best MX host, and, when it is
//!    in another domain (a domain hosted by a provider), that domain's
//!    autoconfig file.
//! 4. **Autodiscover** (Microsoft's, which Thunderbird asks beside the
//!    others and uses when they found nothing): a POST to
//!    `https://autodiscover.<domain>/autodiscover/autodiscover.xml`, then
//!    to `https://<domain>/autodiscover/autodiscover.xml`.
//! 5. **SRV records** (RFC 6186, RFC 8314): `_imaps._tcp` and `_imap._tcp`
//!    (or `_pop3s`/`_pop3`), and `_submissions._tcp` and `_submission._tcp`.
//!    Thunderbird on the desktop does not read them; Thunderbird for
//!    Android (formerly K-9 Mail) has an SRV lookup among its ways. mailhop
//!    asks after the files and before guessing: records a domain published
//!    mean more than a guess.
//! 6. **Guesses** (`proto::discover::guess`): `imap.<domain>`,
//!    `mail.<domain>`, ... each probed on the protocol's ports.
//!
//! The first of 1 to 5 that names a server to read mail with wins; if it
//! names no server to send with (and the client has no `submit`), that side
//! goes on to the later steps. Thunderbird runs steps 1 to 4 at once and
//! keeps the most preferred that answered; mailhop runs them one after the
//! other, which picks the same and shows each try as an event
//! (`discovery_try`), with the lookups and connections it made.
//!
//! Everything is bounded: each HTTPS request by `http::TIMEOUT` and
//! `http::MAX_ANSWER`, with no redirect followed; each probe by
//! `probe::TIMEOUT`; the guesses by [`MAX_GUESSES`] per side.

pub(crate) mod http;
mod probe;

use std::collections::BTreeMap;
use std::rc::Rc;

use super::account::{Found, Server};
use super::world::World;
use crate::proto::discover::autoconfig::{self, ServerEntry};
use crate::proto::discover::probe::Kind;
use crate::proto::discover::{autodiscover, guess, srv};
use crate::scenario::{Retrieval, SocketType};
use crate::tls::ClientVerify;
use crate::trace::{
    Discovered, DiscoveryFailed, DiscoveryStarted, DiscoveryTry, Event, FoundServer,
};

/// The most guessed servers probed for each side.
pub const MAX_GUESSES: usize = 16;

/// Looks for `node`'s servers; records every try and the outcome.
pub async fn search(world: &Rc<World>, node: &str) -> Result<Found, String> {
    let cfg = world.node(node).ok_or("no such client")?.clone();
    let address = cfg.user.clone().unwrap_or_default();
    let protocol = cfg.fetch.as_ref().map_or(Retrieval::Imap, |f| f.protocol);
    let domain = crate::proto::smtp::domain_of(&address).to_ascii_lowercase();
    world.emit(Event::DiscoveryStarted(Box::new(DiscoveryStarted {
        node: node.to_string(),
        address: address.clone(),
        protocol: protocol.as_str().to_ascii_uppercase(),
    })));
    let mut search = Search {
        world,
        node,
        address: &address,
        protocol,
        verify: ClientVerify::checking(cfg.verify_tls.unwrap_or(true)),
        names: BTreeMap::new(),
    };
    let wants_outgoing = cfg.submit.is_none();
    let (mut incoming, mut outgoing) = search.ask_files(&domain).await;
    let (wants_in, wants_out) = (incoming.is_none(), wants_outgoing && outgoing.is_none());
    if wants_in || wants_out {
        let (srv_in, srv_out) = search.ask_srv(&domain, wants_in, wants_out).await;
        incoming = incoming.or(srv_in);
        outgoing = outgoing.or(srv_out);
    }
    if incoming.is_none() {
        incoming = search.guess_incoming(&domain).await;
    }
    if wants_outgoing && outgoing.is_none() {
        outgoing = search.guess_outgoing(&domain).await;
    }
    let Some((incoming, how_in)) = incoming else {
        let reason = "nothing was found: no file, no SRV record, and no guess answered";
        world.emit(Event::DiscoveryFailed(Box::new(DiscoveryFailed {
            node: node.to_string(),
            domain,
            reason: reason.into(),
        })));
        return Err(reason.into());
    };
    let told = |s: &Server, protocol: &str, method: &str| FoundServer {
        protocol: protocol.to_string(),
        host: s.host.clone(),
        port: s.port,
        socket_type: s.socket.as_xml().to_string(),
        method: method.to_string(),
    };
    world.emit(Event::Discovered(Box::new(Discovered {
        node: node.to_string(),
        incoming: told(&incoming, &protocol.as_str().to_ascii_uppercase(), how_in),
        outgoing: outgoing.as_ref().map(|(s, how)| told(s, "SMTP", how)),
    })));
    Ok(Found {
        incoming,
        outgoing: outgoing.map(|(s, _)| s),
    })
}

/// A server found, and the method that found it.
type Side = Option<(Server, &'static str)>;

/// One client's search in progress.
struct Search<'a> {
    world: &'a Rc<World>,
    node: &'a str,
    address: &'a str,
    protocol: Retrieval,
    verify: ClientVerify,
    /// Names already looked up in this search: the machine each reaches.
    names: BTreeMap<String, Result<String, String>>,
}

impl Search<'_> {
    /// Steps 1 to 4: the files and Autodiscover.
    async fn ask_files(&mut self, domain: &str) -> (Side, Side) {
        let email = self.address.replace('@', "%40");
        let tries = [
            (
                format!("autoconfig.{domain}"),
                format!("/mail/config-v1.1.xml?emailaddress={email}"),
            ),
            (
                domain.to_string(),
                "/.well-known/autoconfig/mail/config-v1.1.xml".to_string(),
            ),
        ];
        for (host, path) in tries {
            if let Some(found) = self.file("autoconfig", &host, &path, None).await {
                return found;
            }
        }
        if let Some(mx_domain) = self.mx_domain(domain) {
            let host = format!("autoconfig.{mx_domain}");
            let path = format!("/mail/config-v1.1.xml?emailaddress={email}");
            if let Some(found) = self.file("autoconfig-mx", &host, &path, None).await {
                return found;
            }
        }
        for host in [format!("autodiscover.{domain}"), domain.to_string()] {
            let question = Some(autodiscover::request(self.address));
            let path = "/autodiscover/autodiscover.xml";
            if let Some(found) = self.file("autodiscover", &host, path, question).await {
                return found;
            }
        }
        (None, None)
    }

    /// Step 3's lookup: the domain of the best MX host, when it differs
    /// from the address's domain.
    fn mx_domain(&mut self, domain: &str) -> Option<String> {
        let target = format!("MX of {domain}");
        let best = self
            .world
            .lookup_mx(self.node, domain)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, host)| host.trim_end_matches('.').to_ascii_lowercase())
            .find(|host| !host.is_empty());
        let Some(host) = best else {
            self.tried("autoconfig-mx", &target, false, "no MX record", None);
            return None;
        };
        let mx_domain = host.split_once('.').map(|(_, d)| d.to_string())?;
        if mx_domain == domain || host == domain {
            let why = format!("its best MX host {host} is in the same domain");
            self.tried("autoconfig-mx", &target, false, &why, None);
            return None;
        }
        Some(mx_domain)
    }

    /// Asks `host` for a file (a GET) or Autodiscover's answer (a POST of
    /// `question`); `None` when it did not name a server to read mail with.
    async fn file(
        &mut self,
        method: &'static str,
        host: &str,
        path: &str,
        question: Option<String>,
    ) -> Option<(Side, Side)> {
        let url = format!("https://{host}{path}");
        let server = match self.machine(host) {
            Ok(server) => server,
            Err(why) => {
                self.tried(method, &url, false, &why, None);
                return None;
            }
        };
        let post = question.is_some();
        let (answer, conn) = http::request(
            self.world,
            self.node,
            &server,
            host,
            path,
            question,
            self.verify,
        )
        .await;
        let read = answer.and_then(|a| match a.status {
            200 => {
                let text = String::from_utf8_lossy(&a.body);
                let config = if post {
                    autodiscover::read_response(&text)
                } else {
                    autoconfig::read(&text)
                };
                config.map_err(|e| e.to_string())
            }
            status => Err(format!("HTTP {status} {}", a.reason)),
        });
        let config = match read {
            Ok(config) => config.for_address(self.address),
            Err(why) => {
                self.tried(method, &url, false, &why, conn);
                return None;
            }
        };
        let Some(incoming) = config.incoming_for(self.protocol) else {
            let why = format!(
                "the answer names no {} server",
                self.protocol.as_str().to_ascii_uppercase()
            );
            self.tried(method, &url, false, &why, conn);
            return None;
        };
        let incoming = server_of(incoming);
        let outgoing = config.outgoing.first().map(server_of);
        let mut result = found_words(self.protocol.as_str(), &incoming);
        if let Some(out) = &outgoing {
            result.push_str(&format!("; {}", found_words("smtp", out)));
        }
        self.tried(method, &url, true, &result, conn);
        Some((Some((incoming, method)), outgoing.map(|s| (s, method))))
    }

    /// Step 5: SRV records for the sides still missing.
    async fn ask_srv(
        &mut self,
        domain: &str,
        wants_incoming: bool,
        wants_outgoing: bool,
    ) -> (Side, Side) {
        let kind = self.protocol.as_str();
        let incoming = if wants_incoming {
            self.srv(domain, kind, &srv::incoming_services(self.protocol))
        } else {
            None
        };
        let outgoing = if wants_outgoing {
            self.srv(domain, "smtp", &srv::outgoing_services())
        } else {
            None
        };
        (incoming.map(|s| (s, "srv")), outgoing.map(|s| (s, "srv")))
    }

    /// Looks the services up and takes the first record in RFC 2782's order.
    fn srv(&mut self, domain: &str, kind: &str, services: &[(&str, SocketType)]) -> Option<Server> {
        let mut offers = Vec::new();
        for (label, socket) in services {
            let name = format!("{label}.{domain}");
            let records = self.world.lookup_srv(self.node, &name);
            let offered: Vec<srv::Offer> = records
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|record| srv::Offer {
                    record,
                    socket: *socket,
                })
                .collect();
            let best = srv::order(offered.clone()).into_iter().next();
            let result = match (&records, &best) {
                (None, _) => "no such name".to_string(),
                (Some(r), _) if r.is_empty() => "no SRV records".to_string(),
                (Some(_), None) => "the domain says it offers no such service".to_string(),
                (Some(_), Some(best)) => {
                    format!(
                        "found {} at {}:{} ({})",
                        kind.to_ascii_uppercase(),
                        best.record.target.trim_end_matches('.'),
                        best.record.port,
                        socket.as_xml()
                    )
                }
            };
            self.tried("srv", &name, best.is_some(), &result, None);
            offers.extend(offered);
        }
        srv::order(offers).into_iter().next().map(|o| Server {
            host: o.record.target.trim_end_matches('.').to_ascii_lowercase(),
            port: o.record.port,
            socket: o.socket,
            username: String::new(),
        })
    }

    /// Step 6 for reading mail.
    async fn guess_incoming(&mut self, domain: &str) -> Side {
        let kind = match self.protocol {
            Retrieval::Imap => Kind::Imap,
            Retrieval::Pop3 => Kind::Pop3,
        };
        let guesses = guess::incoming(self.protocol, domain);
        self.guess(kind, guesses).await.map(|s| (s, "guess"))
    }

    /// Step 6 for sending mail.
    async fn guess_outgoing(&mut self, domain: &str) -> Side {
        let guesses = guess::outgoing(domain);
        self.guess(Kind::Smtp, guesses).await.map(|s| (s, "guess"))
    }

    /// Probes the guesses in order; the first that answers.
    async fn guess(&mut self, kind: Kind, guesses: Vec<guess::Guess>) -> Option<Server> {
        for g in guesses.into_iter().take(MAX_GUESSES) {
            let target = format!("{}:{} ({})", g.host, g.port, g.socket.as_xml());
            let server = match self.machine(&g.host) {
                Ok(server) => server,
                Err(why) => {
                    self.tried("guess", &target, false, &why, None);
                    continue;
                }
            };
            let (verdict, conn) = probe::probe(
                self.world,
                self.node,
                &server,
                &g.host,
                g.port,
                g.socket,
                kind,
                self.verify,
            )
            .await;
            let found = Server {
                host: g.host.clone(),
                port: g.port,
                socket: g.socket,
                username: String::new(),
            };
            let protocol = match kind {
                Kind::Imap => "imap",
                Kind::Pop3 => "pop3",
                Kind::Smtp => "smtp",
            };
            match verdict {
                Ok(_) => {
                    let result = found_words(protocol, &found);
                    self.tried("guess", &target, true, &result, conn);
                    return Some(found);
                }
                Err(why) => self.tried("guess", &target, false, &why, conn),
            }
        }
        None
    }

    /// The machine `host` reaches, looked up once per search.
    fn machine(&mut self, host: &str) -> Result<String, String> {
        if let Some(known) = self.names.get(host) {
            return known.clone();
        }
        let ips = self.world.lookup_a(self.node, host).unwrap_or_default();
        let answer = match ips.first() {
            None => Err(format!("no address for {host}")),
            Some(ip) => self
                .world
                .zone
                .node_at(ip)
                .map(str::to_string)
                .ok_or_else(|| format!("nothing answers at {ip}")),
        };
        self.names.insert(host.to_string(), answer.clone());
        answer
    }

    fn tried(&self, method: &str, target: &str, found: bool, result: &str, conn: Option<String>) {
        self.world.emit(Event::DiscoveryTry(Box::new(DiscoveryTry {
            node: self.node.to_string(),
            method: method.to_string(),
            target: target.to_string(),
            found,
            result: result.to_string(),
            conn,
        })));
    }
}

fn server_of(entry: &ServerEntry) -> Server {
    Server {
        host: entry.hostname.trim_end_matches('.').to_ascii_lowercase(),
        port: entry.port,
        socket: entry.socket_type,
        username: entry.username.clone(),
    }
}

/// `found IMAP at mail.example.test:993 (SSL)`.
fn found_words(protocol: &str, server: &Server) -> String {
    format!(
        "found {} at {}:{} ({})",
        protocol.to_ascii_uppercase(),
        server.host,
        server.port,
        server.socket.as_xml()
    )
}
