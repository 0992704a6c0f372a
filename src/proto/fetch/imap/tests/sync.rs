//! Finding and fetching what is new, marking it read, MOVE, APPEND and
//! IDLE.

use super::*;

#[test]
fn a_sync_after_starttls_fetches_only_new_messages_and_marks_them_seen() {
    let mut p = plan();
    p.known = Some(Known {
        uidvalidity: 1_700_000_000,
        uids: [1, 2].into(),
    });
    p.mark_seen = true;
    let mut s = logged_in(p);
    assert_eq!(
        s.server(&selected("a5", 4, 1_700_000_000, 5)),
        "a6 UID SEARCH ALL\r\n"
    );
    assert_eq!(
        s.server("* SEARCH 1 2 3 4\r\na6 OK Search completed (0.001 + 0.000 secs).\r\n"),
        "a7 UID FETCH 3:4 (UID FLAGS RFC822.SIZE BODY.PEEK[])\r\n"
    );
    let answer = format!(
        "{}{}a7 OK Fetch completed (0.001 + 0.000 secs).\r\n",
        fetched(3, 3, ""),
        fetched(4, 4, "\\Flagged")
    );
    assert_eq!(
        s.server(&answer),
        "<Fetched 3><Fetched 4>a8 UID STORE 3:4 +FLAGS.SILENT (\\Seen)\r\n"
    );
    assert_eq!(
        s.server("a8 OK Store completed (0.001 + 0.000 secs).\r\n"),
        "a9 LOGOUT\r\n"
    );
    assert_eq!(
        s.server(&format!(
            "{BYE}a9 OK Logout completed (0.001 + 0.000 secs).\r\n"
        )),
        "<Done>"
    );
    let o = s.outcome();
    assert_eq!(o.failure, None);
    assert!(o.logged_out);
    assert_eq!(
        (o.uidvalidity, o.uidvalidity_changed),
        (Some(1_700_000_000), false)
    );
    let got: Vec<_> = o.fetched.iter().map(|f| (f.uid, f.flags.clone())).collect();
    assert_eq!(got, vec![(3, vec![]), (4, vec!["\\Flagged".to_string()])]);
    assert_eq!(o.fetched[0].raw, message(3).into_bytes());
    assert_eq!(o.fetched[0].folder, "INBOX");
    assert_eq!(o.seen, [3, 4].into());
}

#[test]
fn a_changed_uidvalidity_fetches_the_whole_folder_again() {
    let mut p = plan();
    p.known = Some(Known {
        uidvalidity: 1_600_000_000,
        uids: [1, 2].into(),
    });
    let mut s = logged_in(p);
    s.server(&selected("a5", 2, 1_700_000_000, 3));
    assert_eq!(
        s.server("* SEARCH 1 2\r\na6 OK Search completed.\r\n"),
        "a7 UID FETCH 1:2 (UID FLAGS RFC822.SIZE BODY.PEEK[])\r\n"
    );
    let answer = format!(
        "{}{}a7 OK Fetch completed.\r\n",
        fetched(1, 1, "\\Seen"),
        fetched(2, 2, "")
    );
    assert_eq!(s.server(&answer), "<Fetched 1><Fetched 2>a8 LOGOUT\r\n");
    s.server(&format!("{BYE}a8 OK Logout completed.\r\n"));
    let o = s.outcome();
    assert!(o.uidvalidity_changed);
    assert_eq!(o.fetched.len(), 2);
    assert!(o.seen.is_empty(), "the plan did not ask to mark them");
}

#[test]
fn nothing_new_means_no_fetch_and_an_empty_folder_no_search() {
    let mut p = plan();
    p.known = Some(Known {
        uidvalidity: 7,
        uids: [1].into(),
    });
    let mut s = logged_in(p);
    s.server(&selected("a5", 1, 7, 2));
    assert_eq!(
        s.server("* SEARCH 1\r\na6 OK Search completed.\r\n"),
        "a7 LOGOUT\r\n"
    );

    let mut s = logged_in(plan());
    assert_eq!(s.server(&selected("a5", 0, 7, 1)), "a6 LOGOUT\r\n");
    s.server(&format!("{BYE}a6 OK Logout completed.\r\n"));
    assert!(s.outcome().fetched.is_empty());
}

#[test]
fn a_missing_folder_is_reported_with_the_servers_words() {
    let mut p = plan();
    p.folder = "Archive".into();
    let mut s = Session::new(p);
    s.server("* OK ready\r\n");
    s.server("* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n");
    s.server("a2 OK Begin TLS negotiation now.\r\n");
    s.tls();
    s.server("* CAPABILITY IMAP4rev1\r\na3 OK done\r\n");
    assert_eq!(
        s.server(&format!("a4 {LOGGED_IN}")),
        "a5 SELECT Archive\r\n"
    );
    assert_eq!(
        s.server("a5 NO [NONEXISTENT] Mailbox doesn't exist: Archive\r\n"),
        "a6 LOGOUT\r\n"
    );
    s.server(&format!("{BYE}a6 OK Logout completed.\r\n"));
    assert_eq!(
        s.outcome().failure,
        Some(Failure::FolderMissing {
            folder: "Archive".into(),
            said: "NO [NONEXISTENT] Mailbox doesn't exist: Archive".into()
        })
    );
}

#[test]
fn move_to_junk_then_append_to_sent_with_literal_plus() {
    let mut p = plan();
    p.move_to = Some(Move {
        uids: [2].into(),
        folder: "Junk".into(),
    });
    let sent = "From: bob@friend.test\r\nSubject: Re: Hi\r\n\r\nThanks.\r\n";
    p.append = Some(Append {
        folder: "Sent".into(),
        message: sent.as_bytes().to_vec(),
    });
    p.known = Some(Known {
        uidvalidity: 9,
        uids: [1, 2].into(),
    });
    let mut s = logged_in(p);
    s.server(&selected("a5", 2, 9, 3));
    assert_eq!(
        s.server("* SEARCH 1 2\r\na6 OK Search completed.\r\n"),
        "a7 UID MOVE 2 Junk\r\n"
    );
    assert_eq!(
        s.server(
            "* OK [COPYUID 1700000001 2 1] Moved UIDs.\r\n* 2 EXPUNGE\r\na7 OK Move completed (0.001 + 0.000 secs).\r\n"
        ),
        format!("a8 APPEND Sent (\\Seen) {{{}+}}\r\n{sent}\r\n", sent.len())
    );
    assert_eq!(
        s.server("a8 OK [APPENDUID 1700000002 1] Append completed (0.001 + 0.000 secs).\r\n"),
        "a9 LOGOUT\r\n"
    );
    s.server(&format!("{BYE}a9 OK Logout completed.\r\n"));
    let o = s.outcome();
    assert_eq!(
        o.moved,
        Some(Moved {
            folder: "Junk".into(),
            uids: [2].into()
        })
    );
    assert_eq!(
        o.appended,
        Some(Appended {
            folder: "Sent".into(),
            uid: Some(1)
        })
    );
}

#[test]
fn append_without_literal_plus_waits_for_the_servers_go_ahead() {
    let mut p = plan();
    p.append = Some(Append {
        folder: "Sent".into(),
        message: b"Subject: x\r\n\r\nbody\r\n".to_vec(),
    });
    let mut s = Session::new(p);
    s.server("* OK ready\r\n");
    s.server("* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n");
    s.server("a2 OK go\r\n");
    s.tls();
    s.server("* CAPABILITY IMAP4rev1\r\na3 OK done\r\n");
    s.server("a4 OK [CAPABILITY IMAP4rev1 UIDPLUS] Logged in\r\n");
    assert_eq!(
        s.server(&selected("a5", 0, 3, 1)),
        "a6 APPEND Sent (\\Seen) {20}\r\n"
    );
    assert_eq!(s.server("+ OK\r\n"), "Subject: x\r\n\r\nbody\r\n\r\n");
    assert_eq!(
        s.server("a6 NO [OVERQUOTA] Quota exceeded (mailbox for user is full)\r\n"),
        "a7 LOGOUT\r\n"
    );
    s.server(&format!("{BYE}a7 OK Logout completed.\r\n"));
    assert_eq!(
        s.outcome().failure,
        Some(Failure::Refused {
            command: "APPEND".into(),
            said: "NO [OVERQUOTA] Quota exceeded (mailbox for user is full)".into()
        })
    );
}

#[test]
fn an_append_refused_instead_of_its_go_ahead_closes_the_connection() {
    let mut p = plan();
    p.append = Some(Append {
        folder: "Sent".into(),
        message: b"Subject: x\r\n\r\nbody\r\n".to_vec(),
    });
    let mut s = Session::new(p);
    s.server("* OK ready\r\n");
    s.server("* CAPABILITY IMAP4rev1\r\na1 OK done\r\n");
    s.server("a2 OK [CAPABILITY IMAP4rev1] Logged in\r\n");
    assert_eq!(
        s.server(&selected("a3", 0, 3, 1)),
        "a4 APPEND Sent (\\Seen) {20}\r\n"
    );
    assert_eq!(
        s.server("a4 NO [TOOBIG] Mail size is too large\r\n"),
        "<Done>",
        "the literal is never sent, and nothing can follow it"
    );
    assert_eq!(
        s.outcome.as_ref().and_then(|o| o.failure.clone()),
        Some(Failure::Refused {
            command: "APPEND".into(),
            said: "NO [TOOBIG] Mail size is too large".into()
        })
    );
}

#[test]
fn move_without_the_move_extension_is_unsupported() {
    let mut p = plan();
    p.move_to = Some(Move {
        uids: [1].into(),
        folder: "Junk".into(),
    });
    let mut s = Session::new(p);
    s.server("* OK ready\r\n");
    s.server("* CAPABILITY IMAP4rev1\r\na1 OK done\r\n");
    s.server("a2 OK [CAPABILITY IMAP4rev1] Logged in\r\n");
    assert_eq!(s.server(&selected("a3", 0, 3, 1)), "a4 LOGOUT\r\n");
    assert_eq!(s.eof(), "<Done>");
    assert_eq!(
        s.outcome().failure,
        Some(Failure::Unsupported {
            what: "MOVE".into()
        })
    );
}

#[test]
fn idle_hears_of_new_mail_fetches_it_and_idles_again_until_stopped() {
    let mut p = plan();
    p.idle = true;
    p.mark_seen = true;
    let mut s = logged_in(p);
    s.server(&selected("a5", 1, 42, 2));
    s.server("* SEARCH 1\r\na6 OK Search completed.\r\n");
    assert_eq!(
        s.server(&format!("{}a7 OK Fetch completed.\r\n", fetched(1, 1, ""))),
        "<Fetched 1>a8 UID STORE 1 +FLAGS.SILENT (\\Seen)\r\n"
    );
    assert_eq!(s.server("a8 OK Store completed.\r\n"), "a9 IDLE\r\n");
    assert_eq!(s.server("+ idling\r\n"), "<Idling>");
    assert_eq!(s.stop_idle(), "DONE\r\n");

    let mut p = plan();
    p.idle = true;
    let mut s = logged_in(p);
    s.server(&selected("a5", 1, 42, 2));
    s.server("* SEARCH 1\r\na6 OK Search completed.\r\n");
    assert_eq!(
        s.server(&format!("{}a7 OK Fetch completed.\r\n", fetched(1, 1, ""))),
        "<Fetched 1>a8 IDLE\r\n"
    );
    assert_eq!(s.server("+ idling\r\n"), "<Idling>");
    assert_eq!(s.server("* OK Still here\r\n"), "");
    assert_eq!(
        s.server("* 2 EXISTS\r\n* 1 RECENT\r\n"),
        "<NewMail 2>DONE\r\n"
    );
    assert_eq!(
        s.server("a8 OK Idle completed (0.001 + 7200.000 secs).\r\n"),
        "a9 UID SEARCH UID 2:*\r\n"
    );
    assert_eq!(
        s.server("* SEARCH 2\r\na9 OK Search completed.\r\n"),
        "a10 UID FETCH 2 (UID FLAGS RFC822.SIZE BODY.PEEK[])\r\n"
    );
    assert_eq!(
        s.server(&format!(
            "{}a10 OK Fetch completed.\r\n",
            fetched(2, 2, "\\Recent")
        )),
        "<Fetched 2>a11 IDLE\r\n"
    );
    assert_eq!(s.server("+ idling\r\n"), "<Idling>");
    assert_eq!(s.stop_idle(), "DONE\r\n");
    assert_eq!(s.stop_idle(), "", "a second stop does nothing");
    assert_eq!(s.server("a11 OK Idle completed.\r\n"), "a12 LOGOUT\r\n");
    s.server(&format!("{BYE}a12 OK Logout completed.\r\n"));
    let o = s.outcome();
    assert_eq!(o.failure, None);
    let uids: Vec<u32> = o.fetched.iter().map(|f| f.uid).collect();
    assert_eq!(uids, vec![1, 2]);
    assert_eq!(o.fetched[1].flags, vec!["\\Recent".to_string()]);
}

#[test]
fn a_stop_before_idle_is_accepted_ends_it_at_once_and_a_uid_below_the_range_is_ignored() {
    let mut p = plan();
    p.idle = true;
    p.known = Some(Known {
        uidvalidity: 42,
        uids: [5].into(),
    });
    let mut s = logged_in(p);
    s.server(&selected("a5", 1, 42, 6));
    assert_eq!(s.server("* SEARCH 5\r\na6 OK done\r\n"), "a7 IDLE\r\n");
    assert_eq!(s.stop_idle(), "");
    assert_eq!(s.server("+ idling\r\n"), "<Idling>DONE\r\n");
    assert_eq!(s.server("* 2 EXISTS\r\n"), "<NewMail 2>");
    assert_eq!(
        s.server("a7 OK Idle completed.\r\n"),
        "a8 UID SEARCH UID 6:*\r\n",
        "what arrived is fetched even after the stop"
    );
    // `6:*` also matches the highest UID, 5, which the client has.
    assert_eq!(
        s.server("* SEARCH 5 6\r\na8 OK done\r\n"),
        "a9 UID FETCH 6 (UID FLAGS RFC822.SIZE BODY.PEEK[])\r\n"
    );
    let answer = format!("{}{}a9 OK done\r\n", fetched(1, 5, ""), fetched(2, 6, ""));
    assert_eq!(s.server(&answer), "<Fetched 6>a10 LOGOUT\r\n");
}

#[test]
fn idle_without_the_extension_is_unsupported() {
    let mut p = plan();
    p.idle = true;
    let mut s = Session::new(p);
    s.server("* OK ready\r\n");
    s.server("* CAPABILITY IMAP4rev1\r\na1 OK done\r\n");
    s.server("a2 OK [CAPABILITY IMAP4rev1] Logged in\r\n");
    assert_eq!(s.server(&selected("a3", 0, 3, 1)), "a4 LOGOUT\r\n");
    s.server(&format!("{BYE}a4 OK Logout completed.\r\n"));
    assert_eq!(
        s.outcome().failure,
        Some(Failure::Unsupported {
            what: "IDLE".into()
        })
    );
}

#[test]
fn at_most_max_messages_are_fetched_and_the_rest_are_counted() {
    let mut p = plan();
    p.limits.max_messages = 2;
    p.idle = true;
    let mut s = logged_in(p);
    s.server(&selected("a5", 3, 1, 4));
    assert_eq!(
        s.server("* SEARCH 1 2 3\r\na6 OK done\r\n"),
        "a7 UID FETCH 1:2 (UID FLAGS RFC822.SIZE BODY.PEEK[])\r\n"
    );
    let answer = format!("{}{}a7 OK done\r\n", fetched(1, 1, ""), fetched(2, 2, ""));
    assert_eq!(
        s.server(&answer),
        "<Fetched 1><Fetched 2>a8 LOGOUT\r\n",
        "full: no IDLE"
    );
    s.server(&format!("{BYE}a8 OK Logout completed.\r\n"));
    assert_eq!(s.outcome().left, 1);
}
