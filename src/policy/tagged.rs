//! The TXT records of MTA-STS (RFC 8461 section 3.1) and TLS-RPT (RFC 8460
//! section 3) share one shape: `v=<version>` first, then `key=value`
//! fields separated by `;`, with optional white space and a trailing `;`.
//! A domain must publish exactly one record of its version.

/// The one record of `txts` whose first field is `v=<version>`:
/// `Ok(None)` when there is none, `Err` when there are several (`rfc`
/// names the section that says a sender then uses none).
pub(super) fn one_record<'a>(
    txts: &'a [String],
    version: &str,
    rfc: &str,
) -> Result<Option<&'a str>, String> {
    let ours: Vec<&String> = txts
        .iter()
        .filter(|t| version_of(t) == Some(version))
        .collect();
    match ours.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.as_str())),
        several => Err(format!(
            "{} TXT records begin with v={version}: a sender uses none of them ({rfc})",
            several.len()
        )),
    }
}

/// The value of `v=` when it is the record's first field.
fn version_of(txt: &str) -> Option<&str> {
    let first = txt.split(';').next()?;
    let (key, value) = first.split_once('=')?;
    (key.trim() == "v").then(|| value.trim())
}

/// The `key=value` fields after the version, white space around each
/// trimmed; a trailing `;` is allowed, an empty field elsewhere is not.
pub(super) fn fields(txt: &str) -> Result<Vec<(&str, &str)>, String> {
    let parts: Vec<&str> = txt.split(';').collect();
    let mut out = Vec::with_capacity(parts.len());
    for (i, field) in parts.iter().enumerate().skip(1) {
        let field = field.trim_matches([' ', '\t']);
        if field.is_empty() {
            if i + 1 == parts.len() {
                continue;
            }
            return Err("an empty field between two `;`".into());
        }
        let Some((key, value)) = field.split_once('=') else {
            return Err(format!("`{field}` is not `key=value`"));
        };
        out.push((
            key.trim_matches([' ', '\t']),
            value.trim_matches([' ', '\t']),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_record_of_the_version_and_its_fields() {
        let txts = ["v=spf1 -all".to_string(), "v=X1; a=1 ; b = 2;".to_string()];
        assert_eq!(one_record(&txts, "X1", "RFC"), Ok(Some(txts[1].as_str())));
        assert_eq!(one_record(&txts, "X2", "RFC"), Ok(None));
        let twice = [txts[1].clone(), txts[1].clone()];
        assert!(
            one_record(&twice, "X1", "RFC")
                .unwrap_err()
                .contains("2 TXT")
        );
        assert_eq!(fields(&txts[1]), Ok(vec![("a", "1"), ("b", "2")]));
        assert!(fields("v=X1;; a=1").is_err());
        assert!(fields("v=X1; a").is_err());
    }
}
