//! What the client does once logged in: select the folder, find what it
//! does not have, fetch it, mark it read, then the plan's MOVE and APPEND,
//! and IDLE rounds until told to stop.

use imap_next::imap_types::command::CommandBody;
use imap_next::imap_types::response::{Code, Status, StatusKind};

use super::commands::{self, FetchItems};
use super::{Appended, Client, ClientOutput, Failure, Fetched, Moved, Step};

impl Client {
    pub(super) fn on_exists(&mut self, exists: u32) {
        let grew = exists > self.exists;
        self.exists = exists;
        if !grew || matches!(self.step, Step::Select) || self.outcome.uidvalidity.is_none() {
            return;
        }
        self.new_mail = true;
        if let Step::Idle { accepted, done } = self.step {
            self.out.push(ClientOutput::NewMail { exists });
            if accepted && !done {
                self.done_idling();
            }
        }
    }

    pub(super) fn on_fetch(&mut self, items: FetchItems) {
        let (Some(uid), Some(raw)) = (items.uid, items.body) else {
            return;
        };
        let Some(uidvalidity) = self.outcome.uidvalidity else {
            return;
        };
        if !self.wanted.contains(&uid) || self.have.contains(&uid) {
            return;
        }
        if raw.len() > self.plan.limits.max_message {
            let limit = self.plan.limits.max_message;
            let what = format!("message UID {uid}");
            return self.give_up(Failure::TooLarge { what, limit });
        }
        let fetched = Fetched {
            folder: self.plan.folder.clone(),
            uidvalidity,
            uid,
            flags: items.flags.unwrap_or_default(),
            raw,
        };
        self.have.insert(uid);
        self.round.insert(uid);
        self.out.push(ClientOutput::Fetched(fetched.clone()));
        self.outcome.fetched.push(fetched);
    }

    pub(super) fn select(&mut self) {
        let body = commands::select(&self.plan.folder);
        self.send(body, Step::Select);
    }

    /// SELECT is done: is what the client knows still valid, and is there
    /// anything to look for?
    pub(super) fn selected(&mut self) {
        let Some(uidvalidity) = self.outcome.uidvalidity else {
            let what = "SELECT was answered without UIDVALIDITY".into();
            return self.give_up(Failure::Protocol { what });
        };
        if let Some(known) = &self.plan.known {
            if known.uidvalidity == uidvalidity {
                self.have = known.uids.clone();
            } else {
                self.outcome.uidvalidity_changed = true;
            }
        }
        if self.exists == 0 {
            self.round_over();
        } else {
            self.send(commands::search(None), Step::Search);
        }
    }

    /// The search is answered: fetch what the client does not have, at
    /// most what the limit leaves room for.
    pub(super) fn fetch_new(&mut self) {
        let new: Vec<u32> = self
            .found
            .iter()
            .copied()
            .filter(|uid| !self.have.contains(uid))
            .collect();
        self.found.clear();
        let room = self
            .plan
            .limits
            .max_messages
            .saturating_sub(self.outcome.fetched.len());
        let take = new.len().min(room);
        self.outcome.left = new.len() - take;
        self.wanted = new[..take].iter().copied().collect();
        if self.wanted.is_empty() {
            self.round_over();
        } else {
            let wanted = self.wanted.clone();
            self.send(commands::fetch(&wanted), Step::Fetch);
        }
    }

    /// UID FETCH is answered: mark what came `\Seen` if the plan says so.
    pub(super) fn fetch_done(&mut self) {
        self.wanted.clear();
        if self.plan.mark_seen && !self.round.is_empty() {
            let round = self.round.clone();
            self.send(commands::store_seen(&round), Step::Store);
        } else {
            self.round_over();
        }
    }

    pub(super) fn store_done(&mut self) {
        self.outcome.seen.append(&mut self.round);
        self.round_over();
    }

    pub(super) fn round_over(&mut self) {
        self.round.clear();
        if self.synced {
            self.idle_or_logout();
        } else {
            self.synced = true;
            self.next_task();
        }
    }

    /// After the first sync: the plan's MOVE, then its APPEND, then IDLE or
    /// LOGOUT.
    pub(super) fn next_task(&mut self) {
        if let Some(m) = &self.plan.move_to {
            if !self.has("MOVE") {
                return self.give_up(Failure::Unsupported {
                    what: "MOVE".into(),
                });
            }
            let body = commands::r#move(&m.uids, &m.folder);
            return self.send(body, Step::Move);
        }
        if let Some(a) = &self.plan.append {
            let body = commands::append(&a.folder, &a.message, self.has("LITERAL+"));
            return self.send(body, Step::Append);
        }
        self.idle_or_logout();
    }

    pub(super) fn move_done(&mut self) {
        self.outcome.moved = self.plan.move_to.take().map(|m| Moved {
            folder: m.folder,
            uids: m.uids,
        });
        self.next_task();
    }

    /// APPEND is answered; UIDPLUS servers say the new message's UID.
    pub(super) fn append_done(&mut self, code: &Option<Code<'static>>) {
        let uid = match code {
            Some(Code::AppendUid { uid, .. }) => Some(uid.get()),
            _ => None,
        };
        self.outcome.appended = self.plan.append.take().map(|a| Appended {
            folder: a.folder,
            uid,
        });
        self.next_task();
    }

    pub(super) fn idle_or_logout(&mut self) {
        let full = self.outcome.fetched.len() >= self.plan.limits.max_messages;
        if !self.plan.idle || self.stop || full {
            return self.logout();
        }
        if self.new_mail {
            return self.search_after_idle();
        }
        if !self.has("IDLE") {
            return self.give_up(Failure::Unsupported {
                what: "IDLE".into(),
            });
        }
        self.command(
            CommandBody::Idle,
            Step::Idle {
                accepted: false,
                done: false,
            },
        );
    }

    pub(super) fn idle_accepted(&mut self) {
        self.step = Step::Idle {
            accepted: true,
            done: false,
        };
        self.out.push(ClientOutput::Idling);
        if self.stop || self.new_mail {
            self.done_idling();
        }
    }

    pub(super) fn done_idling(&mut self) {
        if self.machine.set_idle_done().is_some() {
            self.step = Step::Idle {
                accepted: true,
                done: true,
            };
        }
    }

    /// IDLE ended with a tagged answer before any `+` (a refusal), or the
    /// server ended it on its own.
    pub(super) fn idle_ended(&mut self, status: &Status<'static>) {
        self.pending = None;
        let ok = matches!(status, Status::Tagged(t) if t.body.kind == StatusKind::Ok);
        self.idle_ended_with(ok, commands::said(status));
    }

    pub(super) fn idle_ended_with(&mut self, ok: bool, said: String) {
        if !ok {
            let command = "IDLE".into();
            return self.give_up(Failure::Refused { command, said });
        }
        if self.new_mail {
            self.search_after_idle();
        } else {
            self.logout();
        }
    }

    /// `UID SEARCH UID n:*`, n one past the highest UID the client has.
    pub(super) fn search_after_idle(&mut self) {
        self.new_mail = false;
        let from = self.have.last().map_or(1, |uid| uid.saturating_add(1));
        self.send(commands::search(Some(from)), Step::Search);
    }
}
