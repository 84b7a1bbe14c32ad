//! Opaque, URL-safe page cursors. A cursor is the keyset position of the last item
//! returned (never an offset), so pages stay stable while events are appended.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::StoreError;

/// Where an event query stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventCursor {
    /// The sort key of the last event: its time for time orders, its seq for sequence order.
    pub key: i64,
    /// The seq of the last event (the tie-breaker).
    pub seq: i64,
    /// Events returned so far across pages (so `eventCountLimit` spans pages).
    pub returned: u64,
}

impl EventCursor {
    /// Encodes the cursor, tagged with the sort order it belongs to.
    pub fn encode(&self, order: char) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "e1{order}:{}:{}:{}",
            self.key, self.seq, self.returned
        ))
    }

    /// Decodes a cursor produced by [`EventCursor::encode`] for the same sort order.
    pub fn decode(text: &str, order: char) -> Result<EventCursor, StoreError> {
        let raw = decode_text(text)?;
        let rest = raw
            .strip_prefix("e1")
            .and_then(|r| r.strip_prefix(order))
            .and_then(|r| r.strip_prefix(':'))
            .ok_or(StoreError::InvalidCursor)?;
        let mut parts = rest.split(':');
        let mut next =
            || -> Result<&str, StoreError> { parts.next().ok_or(StoreError::InvalidCursor) };
        let key = next()?.parse().map_err(|_| StoreError::InvalidCursor)?;
        let seq = next()?.parse().map_err(|_| StoreError::InvalidCursor)?;
        let returned = next()?.parse().map_err(|_| StoreError::InvalidCursor)?;
        if parts.next().is_some() {
            return Err(StoreError::InvalidCursor);
        }
        Ok(EventCursor { key, seq, returned })
    }
}

/// Encodes a text position (distinct values, named queries) as a cursor.
pub(crate) fn encode_text(tag: &str, value: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{tag}:{value}"))
}

/// Decodes a text position encoded with the same tag.
pub(crate) fn decode_tagged(text: &str, tag: &str) -> Result<String, StoreError> {
    let raw = decode_text(text)?;
    raw.strip_prefix(tag)
        .and_then(|r| r.strip_prefix(':'))
        .map(str::to_owned)
        .ok_or(StoreError::InvalidCursor)
}

fn decode_text(text: &str) -> Result<String, StoreError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| StoreError::InvalidCursor)?;
    String::from_utf8(bytes).map_err(|_| StoreError::InvalidCursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_cursor_round_trips_and_is_url_safe() {
        let c = EventCursor {
            key: -1_700_000_000_000,
            seq: 42,
            returned: 7,
        };
        let text = c.encode('e');
        assert!(text
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'));
        assert_eq!(EventCursor::decode(&text, 'e').unwrap(), c);
    }

    #[test]
    fn garbage_and_foreign_cursors_are_invalid() {
        let c = EventCursor {
            key: 1,
            seq: 1,
            returned: 1,
        }
        .encode('s');
        assert!(matches!(
            EventCursor::decode(&c, 'e'),
            Err(StoreError::InvalidCursor)
        ));
        for bad in [
            "",
            "!!!",
            "abc",
            &URL_SAFE_NO_PAD.encode("e1s:1:2"),
            &URL_SAFE_NO_PAD.encode("e1s:1:2:3:4"),
        ] {
            assert!(
                matches!(
                    EventCursor::decode(bad, 's'),
                    Err(StoreError::InvalidCursor)
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            decode_tagged(&encode_text("v", "x"), "q"),
            Err(StoreError::InvalidCursor)
        ));
        assert_eq!(decode_tagged(&encode_text("v", "a:b"), "v").unwrap(), "a:b");
    }
}
