//! The server engine: bytes in, one response out, then close.

use super::{Request, Response, Site, reason};

/// The longest request head read (request line and header fields).
pub const MAX_HEAD: usize = 8 * 1024;
/// The most header fields in a request.
pub const MAX_HEADERS: usize = 32;
/// The longest request body read (an Autodiscover question is a few
/// hundred bytes).
pub const MAX_BODY: usize = 64 * 1024;

/// What the engine asks of its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A line the client sent, for the transcript.
    Heard(String),
    /// A line the server sent, for the transcript.
    Sent(String),
    /// Bytes to write.
    Write(Vec<u8>),
    /// The response is written: close the connection.
    Close,
}

/// One HTTP connection's server side.
#[derive(Debug, Default)]
pub struct Server {
    input: Vec<u8>,
    /// The head, once read: its length and the request without its body.
    head: Option<(usize, Request, usize)>,
    done: bool,
}

impl Server {
    pub fn new() -> Self {
        Server::default()
    }

    /// Feeds bytes that arrived; `date` is the current time in HTTP's form
    /// (`Mon, 05 Jan 2026 09:00:00 GMT`). Returns nothing until a whole
    /// request is in, then the transcript, the response and `Close`.
    pub fn feed(&mut self, bytes: &[u8], date: &str, site: &dyn Site) -> Vec<Output> {
        if self.done {
            return Vec::new();
        }
        let room = (MAX_HEAD + MAX_BODY + 1).saturating_sub(self.input.len());
        self.input
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
        if self.head.is_none() {
            match self.read_head() {
                Ok(Some(head)) => self.head = Some(head),
                Ok(None) if self.input.len() > MAX_HEAD => {
                    return self.refuse(431, date, self.input.len());
                }
                Ok(None) => return Vec::new(),
                Err(status) => return self.refuse(status, date, self.input.len()),
            }
        }
        let Some((head_len, request, body_len)) = &self.head else {
            return Vec::new();
        };
        let (head_len, body_len) = (*head_len, *body_len);
        if self.input.len() < head_len + body_len {
            return Vec::new();
        }
        let mut request = request.clone();
        request.body = self.input[head_len..head_len + body_len].to_vec();
        let mut out = heard(&self.input[..head_len + body_len]);
        let response = site.answer(&request);
        out.extend(respond(&response, &request.method, date));
        self.done = true;
        out
    }

    /// The client closed its side: nothing more will come.
    pub fn eof(&mut self) -> Vec<Output> {
        self.done = true;
        vec![Output::Close]
    }

    /// Reads the head once it is whole: `Ok(None)` while it is not, the
    /// status to refuse it with when it is wrong.
    fn read_head(&self) -> Result<Option<(usize, Request, usize)>, u16> {
        let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut fields);
        let head_len = match parsed.parse(&self.input) {
            Ok(httparse::Status::Complete(n)) if n <= MAX_HEAD => n,
            Ok(httparse::Status::Complete(_)) | Err(httparse::Error::TooManyHeaders) => {
                return Err(431);
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(400),
        };
        let field = |name: &str| {
            parsed
                .headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
                .collect::<Vec<_>>()
        };
        let host = match field("host").as_slice() {
            [one] if !one.is_empty() => one.clone(),
            _ => return Err(400),
        };
        if !field("transfer-encoding").is_empty() {
            return Err(501);
        }
        let body_len = match field("content-length").as_slice() {
            [] => 0,
            [one] if !one.is_empty() && one.bytes().all(|b| b.is_ascii_digit()) => {
                match one.parse::<usize>() {
                    Ok(n) if n <= MAX_BODY => n,
                    _ => return Err(413),
                }
            }
            _ => return Err(400),
        };
        let method = parsed.method.unwrap_or_default().to_string();
        let target = parsed.path.unwrap_or_default();
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path.to_string(), Some(query.to_string())),
            None => (target.to_string(), None),
        };
        let host = host
            .rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host.as_str(), |(name, _)| name)
            .to_ascii_lowercase();
        let request = Request {
            method,
            path,
            query,
            host,
            body: Vec::new(),
        };
        Ok(Some((head_len, request, body_len)))
    }

    /// Answers a request that could not be read, and closes.
    fn refuse(&mut self, status: u16, date: &str, read: usize) -> Vec<Output> {
        self.done = true;
        let mut out = heard(&self.input[..read.min(self.input.len()).min(MAX_HEAD)]);
        out.extend(respond(&Response::error(status), "", date));
        out
    }
}

/// The lines of what the client sent, for the transcript (the last one
/// even without its line end).
fn heard(bytes: &[u8]) -> Vec<Output> {
    lines(bytes).map(Output::Heard).collect()
}

/// The response's bytes, its transcript and `Close`.
fn respond(response: &Response, method: &str, date: &str) -> Vec<Output> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nDate: {date}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len()
    );
    if let Some(allow) = response.allow {
        head.push_str(&format!("Allow: {allow}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut bytes = head.into_bytes();
    if method != "HEAD" {
        bytes.extend_from_slice(&response.body);
    }
    let mut out: Vec<Output> = lines(&bytes).map(Output::Sent).collect();
    out.insert(0, Output::Write(bytes));
    out.push(Output::Close);
    out
}

/// Text lines, split at LF with a CR before it dropped.
fn lines(bytes: &[u8]) -> impl Iterator<Item = String> + '_ {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.split(|&b| b == b'\n').map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        String::from_utf8_lossy(line).into_owned()
    })
}
