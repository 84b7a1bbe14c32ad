//! Small lexical checks shared by validation, facets and query parameters:
//! times with a zone, time zone offsets, absolute URIs, GS1 identifiers, JSON pointers.

use chrono::{DateTime, SecondsFormat, Utc};

/// Parses an RFC 3339 date-time that carries a zone (`Z` or `±hh:mm`) into epoch milliseconds.
pub fn parse_time_ms(text: &str) -> Result<i64, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| {
            if has_date_and_time_without_zone(text) {
                format!("`{text}` has no time zone; add `Z` or an offset such as `+07:00`")
            } else {
                format!("`{text}` is not an RFC 3339 date-time with a time zone ({e})")
            }
        })
}

fn has_date_and_time_without_zone(text: &str) -> bool {
    let Some((_, time)) = text.split_once(['T', 't']) else {
        return false;
    };
    !time.contains(['Z', 'z', '+', '-'])
}

/// Formats epoch milliseconds as RFC 3339 in UTC with milliseconds (`2024-01-02T03:04:05.678Z`).
pub fn format_time_ms(ms: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// True for a time zone offset `±hh:mm` between `-14:00` and `+14:00`.
pub fn is_tz_offset(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 6 || !(b[0] == b'+' || b[0] == b'-') || b[3] != b':' {
        return false;
    }
    let digits = [b[1], b[2], b[4], b[5]];
    if !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let hh = (b[1] - b'0') * 10 + (b[2] - b'0');
    let mm = (b[4] - b'0') * 10 + (b[5] - b'0');
    mm < 60 && (hh < 14 || (hh == 14 && mm == 0))
}

/// True when `text` is an absolute URI: an RFC 3986 scheme, `:`, then at least one character,
/// with no whitespace or control characters anywhere. Compact IRIs (`example:x`) pass too,
/// as JSON-LD allows them wherever a URI is expected.
pub fn is_absolute_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut s = scheme.bytes();
    s.next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        && !rest.is_empty()
        && !text.bytes().any(|c| {
            c <= b' '
                || c == 0x7f
                || matches!(
                    c,
                    b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
                )
        })
}

/// EPC URN schemes that encode a GS1 key (and so can be checked and converted by `gs1`).
const GS1_URN_SCHEMES: &[&str] = &[
    "urn:epc:id:sgtin:",
    "urn:epc:id:sscc:",
    "urn:epc:id:sgln:",
    "urn:epc:id:grai:",
    "urn:epc:id:giai:",
    "urn:epc:id:gsrn:",
    "urn:epc:id:gsrnp:",
    "urn:epc:id:gdti:",
    "urn:epc:id:cpi:",
    "urn:epc:id:sgcn:",
    "urn:epc:id:ginc:",
    "urn:epc:id:gsin:",
    "urn:epc:id:itip:",
    "urn:epc:id:upui:",
    "urn:epc:id:pgln:",
    "urn:epc:class:lgtin:",
    "urn:epc:idpat:",
];

/// GS1 primary-key Application Identifiers that start the path of a Digital Link.
const DL_PRIMARY_AIS: &[&str] = &[
    "00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8013",
    "8017", "8018",
];

/// True when `text` claims to be a GS1 identifier: a GS1-key EPC URN, or an http(s) URI
/// whose path has a primary-key AI segment followed by a value (a Digital Link).
pub fn claims_gs1(text: &str) -> bool {
    if text.starts_with("urn:epc:") {
        return GS1_URN_SCHEMES.iter().any(|p| text.starts_with(p))
            && !text.starts_with("urn:epc:idpat:");
    }
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        return false;
    };
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    let mut segments = path.split('/').skip(1);
    while let Some(seg) = segments.next() {
        if DL_PRIMARY_AIS.contains(&seg) {
            return segments.next().is_some_and(|v| !v.is_empty());
        }
    }
    false
}

/// Escapes one JSON pointer reference token (RFC 6901: `~` → `~0`, `/` → `~1`).
pub fn escape_pointer_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains(['~', '/']) {
        std::borrow::Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        std::borrow::Cow::Borrowed(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_need_a_zone() {
        assert_eq!(parse_time_ms("1970-01-01T00:00:01Z"), Ok(1000));
        assert_eq!(
            parse_time_ms("2005-04-03T20:33:31.116-06:00"),
            Ok(1_112_582_011_116)
        );
        let e = parse_time_ms("2020-01-01T00:00:00").unwrap_err();
        assert!(e.contains("no time zone"), "{e}");
        assert!(parse_time_ms("yesterday").is_err());
        assert_eq!(
            format_time_ms(1_112_582_011_116).as_deref(),
            Some("2005-04-04T02:33:31.116Z")
        );
    }

    #[test]
    fn offsets() {
        for ok in ["+07:00", "-06:00", "+14:00", "-00:00", "+13:59"] {
            assert!(is_tz_offset(ok), "{ok}");
        }
        for bad in ["07:00", "+7:00", "+14:30", "+15:00", "+07:60", "+0700", "Z"] {
            assert!(!is_tz_offset(bad), "{bad}");
        }
    }

    #[test]
    fn uris() {
        for ok in [
            "urn:epc:id:sgtin:0614141.107346.2017",
            "https://id.gs1.org/01/09506000134352",
            "ni:///sha-256;ab",
            "example:x",
        ] {
            assert!(is_absolute_uri(ok), "{ok}");
        }
        for bad in ["shipping", "", ":x", "1abc:x", "http://a b", "urn:"] {
            assert!(!is_absolute_uri(bad), "{bad}");
        }
    }

    #[test]
    fn gs1_claims() {
        assert!(claims_gs1("urn:epc:id:sgtin:0614141.107346.2017"));
        assert!(claims_gs1("urn:epc:class:lgtin:4012345.012345.998877"));
        assert!(claims_gs1("https://id.gs1.org/01/09506000134352/21/1"));
        assert!(claims_gs1("https://example.com/shop/01/09506000134352"));
        assert!(!claims_gs1("urn:epc:id:gid:95100000.12345.400"));
        assert!(!claims_gs1("https://example.com/01"));
        assert!(!claims_gs1("http://transaction.acme.com/po/12345678"));
        assert!(!claims_gs1("urn:epcglobal:cbv:bt:0614141073467:1152"));
    }
}
