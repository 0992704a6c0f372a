use super::*;

const DATE: &str = "Mon, 05 Jan 2026 09:00:00 GMT";

/// Answers `/hello` with a greeting and everything else with 404.
struct Hello;

impl Site for Hello {
    fn answer(&self, request: &Request) -> Response {
        match request.path.as_str() {
            "/hello" => Response::with(
                200,
                "text/plain; charset=utf-8",
                format!("hello {} ({} bytes)\n", request.host, request.body.len()).into_bytes(),
            ),
            _ => Response::error(404),
        }
    }
}

/// Feeds `input` in pieces of `step` bytes; returns the bytes written and
/// the transcript (`C: `/`S: ` lines).
fn serve(input: &[u8], step: usize) -> (String, Vec<String>) {
    let mut server = Server::new();
    let mut written = Vec::new();
    let mut lines = Vec::new();
    let mut closed = false;
    for piece in input.chunks(step.max(1)) {
        for out in server.feed(piece, DATE, &Hello) {
            match out {
                Output::Heard(l) => lines.push(format!("C: {l}")),
                Output::Sent(l) => lines.push(format!("S: {l}")),
                Output::Write(b) => written.extend(b),
                Output::Close => closed = true,
            }
        }
    }
    assert!(closed, "the server closes after answering");
    (String::from_utf8(written).unwrap(), lines)
}

#[test]
fn a_get_is_answered_and_the_connection_closed_byte_for_byte() {
    let request = b"GET /hello?x=1 HTTP/1.1\r\nHost: Web.Test:443\r\nUser-Agent: t\r\n\r\n";
    for step in [1, 7, request.len()] {
        let (written, lines) = serve(request, step);
        assert_eq!(
            written,
            "HTTP/1.1 200 OK\r\nDate: Mon, 05 Jan 2026 09:00:00 GMT\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Length: 25\r\n\
             Connection: close\r\n\r\nhello web.test (0 bytes)\n"
        );
        assert_eq!(lines[0], "C: GET /hello?x=1 HTTP/1.1");
        assert_eq!(lines[3], "C: ");
        assert_eq!(lines[4], "S: HTTP/1.1 200 OK");
        assert_eq!(lines.last().unwrap(), "S: hello web.test (0 bytes)");
    }
}

#[test]
fn a_missing_file_is_a_real_404() {
    let (written, _) = serve(b"GET /nothing HTTP/1.1\r\nHost: a.test\r\n\r\n", 64);
    assert!(written.starts_with("HTTP/1.1 404 Not Found\r\n"));
    assert!(written.ends_with("\r\n\r\nNot Found\n"));
}

#[test]
fn a_post_body_is_read_by_its_length() {
    let (written, lines) = serve(
        b"POST /hello HTTP/1.1\r\nHost: a.test\r\nContent-Length: 11\r\n\r\n<x>abc</x>\n",
        3,
    );
    assert!(written.ends_with("hello a.test (11 bytes)\n"));
    assert!(lines.contains(&"C: <x>abc</x>".to_string()));
}

#[test]
fn bad_requests_get_the_statuses_rfc_9112_names() {
    let status = |input: &[u8]| serve(input, 1000).0[9..12].to_string();
    assert_eq!(status(b"GET /hello HTTP/1.1\r\n\r\n"), "400", "no Host");
    assert_eq!(status(b"GET /hello\r\n\r\n"), "400");
    assert_eq!(status(b"\x00\x01\x02 junk\r\n\r\n"), "400");
    assert_eq!(
        status(b"POST /hello HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"),
        "501"
    );
    assert_eq!(
        status(b"POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n"),
        "413"
    );
    assert_eq!(
        status(
            b"POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
        ),
        "400"
    );
    let mut long = b"GET /hello HTTP/1.1\r\nHost: a\r\n".to_vec();
    long.extend(std::iter::repeat_n(b'X', MAX_HEAD));
    assert_eq!(status(&long), "431");
    let mut many = b"GET /hello HTTP/1.1\r\nHost: a\r\n".to_vec();
    for i in 0..MAX_HEADERS {
        many.extend(format!("X-{i}: y\r\n").as_bytes());
    }
    many.extend(b"\r\n");
    assert_eq!(status(&many), "431");
}

#[test]
fn nothing_after_the_answer_is_read() {
    let mut server = Server::new();
    let first = server.feed(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", DATE, &Hello);
    assert!(first.contains(&Output::Close));
    assert!(
        server
            .feed(b"GET /hello HTTP/1.1\r\n", DATE, &Hello)
            .is_empty()
    );
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut seed = 7u64;
    for _ in 0..2000 {
        let mut server = Server::new();
        let mut bytes = Vec::new();
        for _ in 0..(seed % 300) {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let b = (seed >> 33) as u8;
            bytes.push(if b.is_multiple_of(5) { b'\n' } else { b });
        }
        let _ = server.feed(b"GET / HTTP/1.1\r\nHost: a\r\n", DATE, &Hello);
        let _ = server.feed(&bytes, DATE, &Hello);
        let _ = server.eof();
    }
}
