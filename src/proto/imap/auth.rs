//! Logging in: LOGIN, and AUTHENTICATE PLAIN (RFC 4616) with or without
//! an initial response (SASL-IR). Both wait for TLS where the listener
//! requires it; after three failures the session ends.

use imap_codec::imap_types::{
    auth::{AuthMechanism, AuthenticateData},
    core::{AString, Tag},
    response::{Code, CommandContinuationRequest, Status, StatusBody, StatusKind},
    secret::Secret,
};
use imap_next::types::CommandAuthenticate;

use super::words::{Done, code, text};
use super::{MAX_FAILED_LOGINS, Mailstore, Output, Server};

/// Dovecot's words when a password came before TLS on a port that
/// requires it: the password has crossed the network in the clear.
const EXPOSED: &str = "Plaintext authentication not allowed without SSL/TLS, but your client did it anyway. If anyone was listening, the password was exposed.";
const NEEDS_TLS: &str = "Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";

impl Server {
    pub(super) fn login(
        &mut self,
        tag: Tag<'static>,
        username: AString<'static>,
        password: Secret<AString<'static>>,
        store: &mut dyn Mailstore,
    ) {
        let user = String::from_utf8_lossy(username.as_ref()).into_owned();
        let password = String::from_utf8_lossy(password.declassify().as_ref()).into_owned();
        let (done, failed) = self.verdict(user, &password, "LOGIN", store);
        self.answer(tag, done);
        if failed {
            self.login_failed();
        }
    }

    pub(super) fn authenticate(&mut self, command: CommandAuthenticate, store: &mut dyn Mailstore) {
        let CommandAuthenticate {
            tag,
            mechanism,
            initial_response,
        } = command;
        if self.user.is_some() {
            return self.finish_auth(tag, Done::bad("AUTHENTICATE", "Already logged in."));
        }
        if mechanism != AuthMechanism::Plain {
            let done = Done::no(None, "Unsupported authentication mechanism.");
            return self.finish_auth(tag, done);
        }
        match initial_response {
            Some(response) => self.plain(tag, response.declassify(), store),
            None if self.login_disabled() => {
                // No password has been sent yet: refuse before it is.
                let done = Done::no(Some(code("PRIVACYREQUIRED")), NEEDS_TLS);
                self.finish_auth(tag, done);
            }
            None => {
                let ask = CommandContinuationRequest::base64(Vec::new());
                if self.next_mut().authenticate_continue(ask).is_ok() {
                    self.authenticating = Some(tag);
                }
            }
        }
    }

    pub(super) fn authenticate_data(
        &mut self,
        data: AuthenticateData<'static>,
        store: &mut dyn Mailstore,
    ) {
        let Some(tag) = self.authenticating.take() else {
            return;
        };
        match data {
            AuthenticateData::Cancel => {
                let done = Done::bad("AUTHENTICATE", "Authentication aborted by client.");
                self.finish_auth(tag, done);
            }
            AuthenticateData::Continue(response) => self.plain(tag, response.declassify(), store),
        }
    }

    /// A PLAIN response: `authzid NUL authcid NUL password`.
    fn plain(&mut self, tag: Tag<'static>, response: &[u8], store: &mut dyn Mailstore) {
        let Some(crate::proto::sasl::Plain {
            authz,
            user,
            password,
        }) = crate::proto::sasl::plain(response)
        else {
            let done = Done::bad("AUTHENTICATE", "Invalid PLAIN response.");
            return self.finish_auth(tag, done);
        };
        // An authorization identity other than the login asks to act as
        // someone else, which nobody here may do.
        let (done, failed) = if !authz.is_empty() && authz != user {
            self.out.push(Output::Login {
                user,
                mechanism: "PLAIN",
                accepted: false,
            });
            let done = Done::no(
                Some(code("AUTHORIZATIONFAILED")),
                "Acting as another user is not allowed.",
            );
            (done, true)
        } else {
            self.verdict(user, &password, "PLAIN", store)
        };
        self.finish_auth(tag, done);
        if failed {
            self.login_failed();
        }
    }

    /// Checks a login; the answer and whether it counts as a failure.
    fn verdict(
        &mut self,
        user: String,
        password: &str,
        mechanism: &'static str,
        store: &mut dyn Mailstore,
    ) -> (Done, bool) {
        if self.login_disabled() {
            self.enqueue_status(Status::Untagged(StatusBody {
                kind: StatusKind::Bad,
                code: Some(Code::Alert),
                text: text(EXPOSED),
            }));
            self.out.push(Output::Login {
                user,
                mechanism,
                accepted: false,
            });
            return (Done::no(Some(code("PRIVACYREQUIRED")), NEEDS_TLS), true);
        }
        let accepted = store.login(&user, password);
        self.out.push(Output::Login {
            user: user.clone(),
            mechanism,
            accepted,
        });
        if !accepted {
            let done = Done::no(Some(code("AUTHENTICATIONFAILED")), "Authentication failed.");
            return (done, true);
        }
        self.user = Some(user);
        let done = Done::ok_with(Code::Capability(self.capabilities()), "Logged in");
        (done, false)
    }

    /// The tagged answer that ends an AUTHENTICATE.
    fn finish_auth(&mut self, tag: Tag<'static>, done: Done) {
        let bad = done.kind == StatusKind::Bad;
        let status = done.tagged(tag);
        if let Err(status) = self.next_mut().authenticate_finish(status) {
            self.enqueue_status(status);
        }
        if bad {
            self.count_error();
        }
    }

    fn login_failed(&mut self) {
        self.failed_logins += 1;
        if self.failed_logins >= MAX_FAILED_LOGINS {
            self.bye("Too many failed logins.");
        }
    }
}
