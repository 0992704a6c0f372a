//! Where things are in a scenario's JSON text.
//!
//! `serde` hands the loader a path (`nodes."mail.x.test".relay`) but semantic checks run on
//! the parsed [`Scenario`](super::Scenario), which has forgotten where each value was written.
//! This module walks the original text to map a [`JsonPath`] back to the byte offset of its
//! key and value, turns offsets into 1-based line and column numbers, and finds keys written
//! twice in one object (which `serde_json` silently resolves by keeping the last).
//!
//! The walker is forgiving: on malformed text it returns `None` instead of panicking, and it
//! never recurses while looking a path up, so it also works on the valid prefix of a file
//! whose later part failed to parse.

use std::collections::HashMap;
use std::fmt;

/// One step of a [`JsonPath`]: a key of an object or an index into a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// A path from the top of the document to a value.
///
/// It displays as the keys joined by `.`, with list indices in brackets. A key that is a
/// plain identifier (letters, digits and `_`, not starting with a digit) is written bare;
/// any other key (host names with dots, names with dashes, addresses, `$schema`) is written
/// as a JSON string in double quotes: `nodes."mail.x.test".relay_for[0]`,
/// `nodes."a-laptop".user`, `script[0].send.from`. The top level is the empty path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JsonPath(Vec<Segment>);

impl JsonPath {
    /// The top of the document.
    pub(crate) fn root() -> Self {
        JsonPath(Vec::new())
    }

    /// This path followed by an object key.
    pub(crate) fn key(&self, key: &str) -> Self {
        self.with(Segment::Key(key.to_string()))
    }

    /// This path followed by a list index.
    pub(crate) fn index(&self, index: usize) -> Self {
        self.with(Segment::Index(index))
    }

    fn with(&self, segment: Segment) -> Self {
        let mut segments = self.0.clone();
        segments.push(segment);
        JsonPath(segments)
    }
}

impl From<&serde_path_to_error::Path> for JsonPath {
    /// Keeps the segments up to the first one `serde_path_to_error` could not name.
    fn from(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment as Spe;
        let segments = path
            .iter()
            .map_while(|segment| match segment {
                Spe::Seq { index } => Some(Segment::Index(*index)),
                Spe::Map { key } => Some(Segment::Key(key.clone())),
                Spe::Enum { variant } => Some(Segment::Key(variant.clone())),
                Spe::Unknown => None,
            })
            .collect();
        JsonPath(segments)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_identifier(key) {
                        f.write_str(key)?;
                    } else {
                        write!(f, "{}", serde_json::Value::from(key.as_str()))?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Where a path's value was found: byte offsets into the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Spot {
    /// The opening quote of the key, when the path ends in an object key.
    pub(crate) key: Option<usize>,
    /// The first character of the value.
    pub(crate) value: usize,
}

/// Finds the value at `path`. With duplicate keys, the first one written wins.
pub(crate) fn locate(text: &str, path: &JsonPath) -> Option<Spot> {
    let mut scanner = Scanner::new(text);
    scanner.skip_ws();
    let mut key = None;
    for segment in &path.0 {
        key = match segment {
            Segment::Key(wanted) => Some(scanner.enter_member(wanted)?),
            Segment::Index(index) => {
                scanner.enter_element(*index)?;
                None
            }
        };
    }
    Some(Spot {
        key,
        value: scanner.pos,
    })
}

/// The 1-based line and column of a byte offset. Columns count characters, not bytes, so
/// they match what editors show for lines with accented letters.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..text.floor_char_boundary(offset)];
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let line = 1 + before.matches('\n').count();
    let column = 1 + before[line_start..].chars().count();
    (line, column)
}

/// A key written a second time in the same object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Duplicate {
    /// Path of the duplicated member.
    pub(crate) path: JsonPath,
    /// Offset of the first occurrence of the key.
    pub(crate) first: usize,
    /// Offset of the later occurrence.
    pub(crate) again: usize,
}

/// Every key that appears twice in one object, in document order. Meant for text that
/// `serde_json` has already accepted (so nesting is shallow); stops quietly on malformed text.
pub(crate) fn duplicate_keys(text: &str) -> Vec<Duplicate> {
    let mut scanner = Scanner::new(text);
    let mut found = Vec::new();
    scanner.skip_ws();
    scanner.collect_duplicates(&JsonPath::root(), &mut found);
    found
}

/// A cursor over JSON text. Every method returns `None` on text it cannot follow.
struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Scanner { text, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// Consumes `byte` (after optional whitespace).
    fn eat(&mut self, byte: u8) -> Option<()> {
        self.skip_ws();
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// Consumes a string and returns its decoded contents.
    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        self.skip_string()?;
        serde_json::from_str(&self.text[start..self.pos]).ok()
    }

    /// Moves past a string, which must start at the cursor.
    fn skip_string(&mut self) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        self.pos += 1;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => self.pos += 2,
                _ => self.pos += 1,
            }
        }
        self.pos += 1;
        Some(())
    }

    /// Moves past one value of any kind without recursing: brackets are only counted.
    fn skip_value(&mut self) -> Option<()> {
        self.skip_ws();
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'"' => self.skip_string()?,
                b'{' | b'[' => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    self.pos += 1;
                }
                b',' | b':' if depth == 0 => return None,
                byte if depth == 0 && byte.is_ascii_whitespace() => return None,
                _ => self.pos += 1,
            }
            if depth == 0 && !self.in_scalar() {
                return Some(());
            }
        }
    }

    /// Whether the cursor is in the middle of a number or literal (`true`, `null`, ...).
    fn in_scalar(&self) -> bool {
        let previous = self.text.as_bytes()[self.pos - 1];
        let continues = self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
        (previous.is_ascii_alphanumeric() || b"+-.".contains(&previous)) && continues
    }

    /// At an object, moves to the value of member `wanted`; returns the offset of its key.
    fn enter_member(&mut self, wanted: &str) -> Option<usize> {
        self.eat(b'{')?;
        loop {
            self.skip_ws();
            let key_at = self.pos;
            let key = self.string()?;
            self.eat(b':')?;
            self.skip_ws();
            if key == wanted {
                return Some(key_at);
            }
            self.skip_value()?;
            self.eat(b',')?;
        }
    }

    /// At a list, moves to the start of element `index`.
    fn enter_element(&mut self, index: usize) -> Option<()> {
        self.eat(b'[')?;
        for _ in 0..index {
            self.skip_value()?;
            self.eat(b',')?;
        }
        self.skip_ws();
        (self.peek()? != b']').then_some(())
    }

    /// Walks the value at the cursor, recording keys repeated within one object.
    fn collect_duplicates(&mut self, path: &JsonPath, found: &mut Vec<Duplicate>) -> Option<()> {
        match self.peek()? {
            b'{' => self.collect_in_object(path, found),
            b'[' => self.collect_in_list(path, found),
            _ => self.skip_value(),
        }
    }

    fn collect_in_object(&mut self, path: &JsonPath, found: &mut Vec<Duplicate>) -> Option<()> {
        self.eat(b'{')?;
        let mut seen: HashMap<String, usize> = HashMap::new();
        while self.eat(b'}').is_none() {
            self.skip_ws();
            let key_at = self.pos;
            let key = self.string()?;
            self.eat(b':')?;
            self.skip_ws();
            let member = path.key(&key);
            if let Some(&first) = seen.get(&key) {
                found.push(Duplicate {
                    path: member.clone(),
                    first,
                    again: key_at,
                });
            } else {
                seen.insert(key, key_at);
            }
            self.collect_duplicates(&member, found)?;
            // A comma or the closing brace must follow; the loop condition eats the brace.
            let _ = self.eat(b',');
        }
        Some(())
    }

    fn collect_in_list(&mut self, path: &JsonPath, found: &mut Vec<Duplicate>) -> Option<()> {
        self.eat(b'[')?;
        let mut index = 0;
        while self.eat(b']').is_none() {
            self.skip_ws();
            self.collect_duplicates(&path.index(index), found)?;
            let _ = self.eat(b',');
            index += 1;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"{
  "id": "t",
  "nodes": {
    "mail.x.test": { "role": "mta", "relay_for": ["a", "b-c"] },
    "a-laptop": {"role":"mua","user":"á@x.test","submit":"mail.x.test"}
  },
  "script": [ {"at": "0s", "send": {"from": "a-laptop", "to": ["b@y.test"]}}, 42, true ]
}"#;

    fn path(keys: &[&str]) -> JsonPath {
        keys.iter()
            .fold(JsonPath::root(), |path, key| match key.parse() {
                Ok(index) => path.index(index),
                Err(_) => path.key(key),
            })
    }

    fn value_at(keys: &[&str]) -> Option<(usize, usize)> {
        locate(TEXT, &path(keys)).map(|spot| line_column(TEXT, spot.value))
    }

    #[test]
    fn finds_values_by_key_and_index() {
        assert_eq!(value_at(&[]), Some((1, 1)));
        assert_eq!(value_at(&["id"]), Some((2, 9)));
        assert_eq!(value_at(&["nodes", "mail.x.test", "role"]), Some((4, 30)));
        assert_eq!(
            value_at(&["nodes", "mail.x.test", "relay_for", "1"]),
            Some((4, 56))
        );
        assert_eq!(value_at(&["nodes", "a-laptop", "submit"]), Some((5, 58)));
        assert_eq!(value_at(&["script", "0", "send", "to", "0"]), Some((7, 64)));
        assert_eq!(value_at(&["script", "1"]), Some((7, 79)));
        assert_eq!(value_at(&["script", "2"]), Some((7, 83)));
    }

    #[test]
    fn finds_keys() {
        let spot = locate(TEXT, &path(&["nodes", "a-laptop"])).unwrap();
        assert_eq!(line_column(TEXT, spot.key.unwrap()), (5, 5));
        assert_eq!(line_column(TEXT, spot.value), (5, 17));
    }

    #[test]
    fn missing_paths_are_none() {
        assert_eq!(value_at(&["nodes", "nope"]), None);
        assert_eq!(value_at(&["script", "3"]), None);
        assert_eq!(value_at(&["id", "x"]), None);
        assert_eq!(value_at(&["script", "x"]), None);
    }

    #[test]
    fn columns_count_characters() {
        // `á` is two bytes but one column.
        let text = "{\"a\": \"á\", \"b\": 1}";
        let spot = locate(text, &path(&["b"])).unwrap();
        assert_eq!(line_column(text, spot.value), (1, 17));
        assert_eq!(line_column(text, text.len() + 10), (1, 19));
    }

    #[test]
    fn keys_with_escapes_are_decoded() {
        let text = r#"{"a\"b": 1, "\u0063": 2}"#;
        assert_eq!(locate(text, &path(&["a\"b"])).unwrap().value, 9);
        assert_eq!(locate(text, &path(&["c"])).unwrap().value, 22);
    }

    #[test]
    fn works_on_a_valid_prefix_and_never_panics_on_garbage() {
        let text = r#"{"a": {"b": [1, 2]}, "c": [[[ "#;
        assert_eq!(locate(text, &path(&["a", "b", "1"])).unwrap().value, 16);
        assert_eq!(locate(text, &path(&["c", "0", "0", "0"])), None);
        for garbage in [
            "", "{", "[", "\"", "{\"a\"", "{\"a\":", "]]]", "{\"a\\", "[1,", "nul",
        ] {
            assert_eq!(locate(garbage, &path(&["a", "0"])), None, "{garbage:?}");
            let _ = duplicate_keys(garbage);
        }
    }

    #[test]
    fn finds_duplicate_keys_at_any_depth() {
        let text = r#"{"n": {"a": 1, "b": {"x": [{"k": 1, "k": 2}]}, "a": 3}, "z": 0}"#;
        let found = duplicate_keys(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].path.to_string(), "n.b.x[0].k");
        assert_eq!((found[0].first, found[0].again), (28, 36));
        assert_eq!(found[1].path.to_string(), "n.a");
        assert_eq!((found[1].first, found[1].again), (7, 47));
        assert!(duplicate_keys(TEXT).is_empty());
    }

    #[test]
    fn displays_paths_with_quoted_unusual_keys() {
        assert_eq!(JsonPath::root().to_string(), "");
        assert_eq!(
            path(&["script", "0", "send", "from"]).to_string(),
            "script[0].send.from"
        );
        assert_eq!(
            path(&["nodes", "mail.home.test", "relay"]).to_string(),
            r#"nodes."mail.home.test".relay"#
        );
        assert_eq!(
            path(&["nodes", "a-laptop"]).to_string(),
            r#"nodes."a-laptop""#
        );
        assert_eq!(path(&["$schema"]).to_string(), r#""$schema""#);
        assert_eq!(
            path(&["dns", "y.test", "MX", "0", "host"]).to_string(),
            r#"dns."y.test".MX[0].host"#
        );
        assert_eq!(path(&["a\"b"]).to_string(), r#""a\"b""#);
    }
}
