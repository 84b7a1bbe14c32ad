//! The stored form of an [`EventRecord`]: a compact binary encoding, under half the size of
//! the record's JSON. A trace of a 1,000-identifier lot reads about 3,600 records, so their size
//! (pages read) and decoding (no field names, no escapes, no number parsing) are most of
//! the cost of a trace that is not cached.
//!
//! Layout (version 1): the byte `0x01`, then the fields in order, with no names:
//!
//! ```text
//! record   = 0x01 text(eventID) u8(type) varint(zigzag time_ms) text(zone) u8(action)
//!            opt(bizStep) opt(disposition) opt(readPoint) opt(bizLocation)
//!            parties(sources) parties(destinations) parties(bizTransactions) links
//! text     = u8(prefix code) varint(length) bytes      -- the rest after a known prefix
//!          | 8 [32 bytes]                              -- a CBV 2.0 event hash, packed
//!          | 9 u8(index)                               -- a word of the WORDS table
//! opt      = 255 | text
//! parties  = varint(n) (text(kind) text(id))*n
//! links    = varint(n) (u8(role | 16 if quantity | 32 if unit) text(node) [f64] [text])*n
//! ```
//!
//! Records written as JSON by earlier builds (first byte `{`) are still read.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use epcis::model::Action;

use crate::record::{EventRecord, Link, Party, Role, EVENT_TYPE_CODES};

/// The first byte of a version-1 record.
const VERSION: u8 = 1;

/// Prefixes stored as one byte (code = index + 1). Identifiers are canonical Digital Links,
/// so the first is by far the most common.
const PREFIXES: [&str; 7] = [
    "https://id.gs1.org/",
    "urn:epc:id:",
    "urn:epc:class:",
    "urn:epcglobal:cbv:",
    "https://ref.gs1.org/cbv/",
    "urn:uuid:",
    "ni:///sha-256;",
];

/// A CBV 2.0 event hash: `ni:///sha-256;` + 64 lowercase hex digits + `?ver=CBV2.0`.
const HASH_CODE: u8 = 8;
const HASH_HEAD: &str = "ni:///sha-256;";
const HASH_TAIL: &str = "?ver=CBV2.0";
/// A text of [`WORDS`], by its index in the next byte.
const WORD_CODE: u8 = 9;
/// An absent optional text.
const NONE_CODE: u8 = 255;

/// Words stored as one byte after [`WORD_CODE`], and shared when read (no allocation):
/// the CBV 2.0 business steps, dispositions, transaction and source/destination types,
/// whole-hour and common time zone offsets, and common units of measure. Part of the
/// stored format: entries may be added at the end, never moved or removed (a build reading
/// an index beyond its table refuses the record, so a store is not read by an older build).
const WORDS: [&str; 148] = [
    "accepting",
    "arriving",
    "assembling",
    "collecting",
    "commissioning",
    "consigning",
    "creating_class_instance",
    "cycle_counting",
    "decommissioning",
    "departing",
    "destroying",
    "disassembling",
    "dispensing",
    "encoding",
    "entering_exiting",
    "holding",
    "inspecting",
    "installing",
    "killing",
    "loading",
    "other",
    "packing",
    "picking",
    "receiving",
    "removing",
    "repackaging",
    "repairing",
    "replacing",
    "reserving",
    "retail_selling",
    "sampling",
    "sensor_reporting",
    "shipping",
    "staging_outbound",
    "stock_taking",
    "stocking",
    "storing",
    "transporting",
    "unloading",
    "unpacking",
    "void_shipping",
    "active",
    "available",
    "completeness_inferred",
    "completeness_verified",
    "conformant",
    "container_closed",
    "container_open",
    "damaged",
    "destroyed",
    "dispensed",
    "disposed",
    "encoded",
    "expired",
    "in_progress",
    "in_transit",
    "inactive",
    "mismatch_class",
    "mismatch_instance",
    "mismatch_quantity",
    "needs_replacement",
    "no_pedigree_match",
    "non_conformant",
    "non_sellable_other",
    "partially_dispensed",
    "recalled",
    "reserved",
    "retail_sold",
    "returned",
    "sellable_accessible",
    "sellable_not_accessible",
    "stolen",
    "unavailable",
    "unknown",
    "bol",
    "cert",
    "desadv",
    "inv",
    "pedigree",
    "po",
    "poc",
    "prodorder",
    "recadv",
    "rma",
    "testprd",
    "testres",
    "upevt",
    "location",
    "owning_party",
    "possessing_party",
    "Z",
    "+00:00",
    "+01:00",
    "+02:00",
    "+03:00",
    "+04:00",
    "+05:00",
    "+06:00",
    "+07:00",
    "+08:00",
    "+09:00",
    "+10:00",
    "+11:00",
    "+12:00",
    "+13:00",
    "+14:00",
    "-01:00",
    "-02:00",
    "-03:00",
    "-04:00",
    "-05:00",
    "-06:00",
    "-07:00",
    "-08:00",
    "-09:00",
    "-10:00",
    "-11:00",
    "-12:00",
    "+03:30",
    "+04:30",
    "+05:30",
    "+05:45",
    "+06:30",
    "+09:30",
    "+10:30",
    "-03:30",
    "-09:30",
    "KGM",
    "GRM",
    "TNE",
    "LTR",
    "MLT",
    "MTQ",
    "MTR",
    "MTK",
    "EA",
    "H87",
    "C62",
    "CT",
    "XBX",
    "XPK",
    "XCR",
    "XPX",
    "NAR",
    "PR",
    "DZN",
    "CEL",
    "FAH",
];

const QUANTITY_FLAG: u8 = 16;
const UNIT_FLAG: u8 = 32;

/// A stored trace record that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DecodeError {
    /// The record ends before its last field.
    #[error("trace record cut short at byte {0}")]
    Truncated(usize),
    /// A byte that no field may hold at that place.
    #[error("trace record has an invalid {what} at byte {at}")]
    Invalid {
        /// Which field.
        what: &'static str,
        /// Offset in the record.
        at: usize,
    },
    /// A record of an earlier build, stored as JSON, that does not parse.
    #[error("trace record is not readable JSON: {0}")]
    Json(String),
}

impl EventRecord {
    /// The record's stored form (see the module documentation).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + 48 * self.links.len());
        out.push(VERSION);
        put_text(&mut out, &self.event_id);
        out.push(code_of(&EVENT_TYPE_CODES, &self.event_type));
        put_varint(&mut out, zigzag(self.time_ms));
        put_text(&mut out, &self.time_zone);
        out.push(code_of(&ACTION_CODES, &self.action));
        for field in [
            self.biz_step.as_deref(),
            self.disposition.as_deref(),
            self.read_point.as_deref(),
            self.biz_location.as_deref(),
        ] {
            match field {
                Some(text) => put_text(&mut out, text),
                None => out.push(NONE_CODE),
            }
        }
        for list in [&self.sources, &self.destinations, &self.biz_transactions] {
            put_varint(&mut out, list.len() as u64);
            for party in list {
                put_text(&mut out, &party.kind);
                put_text(&mut out, &party.id);
            }
        }
        put_varint(&mut out, self.links.len() as u64);
        for link in &self.links {
            let mut tag = code_of(&ROLE_CODES, &link.role);
            if link.quantity.is_some() {
                tag |= QUANTITY_FLAG;
            }
            if link.uom.is_some() {
                tag |= UNIT_FLAG;
            }
            out.push(tag);
            put_text(&mut out, &link.node);
            if let Some(q) = link.quantity {
                out.extend_from_slice(&q.to_le_bytes());
            }
            if let Some(u) = &link.uom {
                put_text(&mut out, u);
            }
        }
        out
    }

    /// Reads a stored record: the binary form, or the JSON of earlier builds.
    pub fn decode(bytes: &[u8]) -> Result<EventRecord, DecodeError> {
        match bytes.first() {
            Some(&VERSION) => Reader { bytes, at: 1 }.record(),
            Some(b'{') => {
                serde_json::from_slice(bytes).map_err(|e| DecodeError::Json(e.to_string()))
            }
            Some(_) => Err(DecodeError::Invalid {
                what: "version",
                at: 0,
            }),
            None => Err(DecodeError::Truncated(0)),
        }
    }
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    if let Some(i) = word_index(text) {
        out.push(WORD_CODE);
        out.push(i);
        return;
    }
    if let Some(packed) = packed_hash(text) {
        out.push(HASH_CODE);
        out.extend_from_slice(&packed);
        return;
    }
    let (code, rest) = PREFIXES
        .iter()
        .zip(1u8..)
        .find_map(|(p, code)| text.strip_prefix(p).map(|rest| (code, rest)))
        .unwrap_or((0, text));
    out.push(code);
    put_varint(out, rest.len() as u64);
    out.extend_from_slice(rest.as_bytes());
}

/// The index of `text` in [`WORDS`].
fn word_index(text: &str) -> Option<u8> {
    static INDEX: OnceLock<HashMap<&'static str, u8>> = OnceLock::new();
    let index = INDEX.get_or_init(|| WORDS.iter().zip(0u8..).map(|(w, i)| (*w, i)).collect());
    // Words are short: longer texts are not looked up.
    (text.len() <= 24)
        .then(|| index.get(text).copied())
        .flatten()
}

/// The 32 bytes of a CBV 2.0 event hash written in lowercase hex, exactly; `None` for any
/// other text (which is then stored as written, so that decoding gives it back unchanged).
fn packed_hash(text: &str) -> Option<[u8; 32]> {
    let hex = text.strip_prefix(HASH_HEAD)?.strip_suffix(HASH_TAIL)?;
    if hex.len() != 64 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        *o = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(out)
}

/// The stored code of each action (0: the event type has none).
const ACTION_CODES: [(Option<Action>, u8); 4] = [
    (None, 0),
    (Some(Action::Add), 1),
    (Some(Action::Observe), 2),
    (Some(Action::Delete), 3),
];

/// The stored code of each role (the low four bits of a link's tag).
const ROLE_CODES: [(Role, u8); 6] = [
    (Role::Epc, 1),
    (Role::Parent, 2),
    (Role::Child, 3),
    (Role::Input, 4),
    (Role::Output, 5),
    (Role::LotOf, 6),
];

/// The code of `value` in `table` (every value of the enum is listed).
fn code_of<T: PartialEq>(table: &[(T, u8)], value: &T) -> u8 {
    table
        .iter()
        .find(|(v, _)| v == value)
        .map_or(0, |(_, c)| *c)
}

/// The value of `code` in `table`.
fn value_of<T: Copy>(table: &[(T, u8)], code: u8) -> Option<T> {
    table.iter().find(|(_, c)| *c == code).map(|(v, _)| *v)
}

/// A cursor over a version-1 record.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn record(mut self) -> Result<EventRecord, DecodeError> {
        let event_id = self.text()?;
        let at = self.at;
        let event_type = value_of(&EVENT_TYPE_CODES, self.byte()?)
            .ok_or(DecodeError::Invalid { what: "type", at })?;
        let time_ms = unzigzag(self.varint()?);
        let time_zone = self.word()?;
        let at = self.at;
        let action = value_of(&ACTION_CODES, self.byte()?)
            .ok_or(DecodeError::Invalid { what: "action", at })?;
        let biz_step = self.optional_word()?;
        let disposition = self.optional_word()?;
        let read_point = self.optional()?;
        let biz_location = self.optional()?;
        let sources = self.parties()?;
        let destinations = self.parties()?;
        let biz_transactions = self.parties()?;
        let n = self.count()?;
        let mut links = Vec::with_capacity(n);
        for _ in 0..n {
            let at = self.at;
            let tag = self.byte()?;
            let role =
                value_of(&ROLE_CODES, tag & 15).ok_or(DecodeError::Invalid { what: "role", at })?;
            if tag & !(15 | QUANTITY_FLAG | UNIT_FLAG) != 0 {
                return Err(DecodeError::Invalid { what: "role", at });
            }
            let node = self.text()?;
            let quantity = if tag & QUANTITY_FLAG != 0 {
                Some(f64::from_le_bytes(self.array::<8>()?))
            } else {
                None
            };
            let uom = if tag & UNIT_FLAG != 0 {
                Some(self.word()?)
            } else {
                None
            };
            links.push(Link {
                role,
                node,
                quantity,
                uom,
            });
        }
        if self.at != self.bytes.len() {
            return Err(DecodeError::Invalid {
                what: "end",
                at: self.at,
            });
        }
        Ok(EventRecord {
            event_id,
            event_type,
            time_ms,
            time_zone,
            action,
            biz_step,
            disposition,
            read_point,
            biz_location,
            sources,
            destinations,
            biz_transactions,
            links,
        })
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .bytes
            .get(self.at)
            .ok_or(DecodeError::Truncated(self.at))?;
        self.at += 1;
        Ok(b)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let slice = self
            .bytes
            .get(self.at..self.at + N)
            .ok_or(DecodeError::Truncated(self.at))?;
        self.at += N;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let start = self.at;
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(DecodeError::Invalid {
            what: "number",
            at: start,
        })
    }

    /// A list length, which cannot exceed the bytes left (each entry takes at least one).
    fn count(&mut self) -> Result<usize, DecodeError> {
        let at = self.at;
        let n = self.varint()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.bytes.len() - self.at)
            .ok_or(DecodeError::Invalid { what: "length", at })
    }

    fn text(&mut self) -> Result<String, DecodeError> {
        let at = self.at;
        let code = self.byte()?;
        self.text_after(code, at)
    }

    /// A text where a word of [`WORDS`] is usual: shared when it is one.
    fn word(&mut self) -> Result<Cow<'static, str>, DecodeError> {
        let at = self.at;
        let code = self.byte()?;
        self.word_after(code, at)
    }

    fn optional_word(&mut self) -> Result<Option<Cow<'static, str>>, DecodeError> {
        let at = self.at;
        match self.byte()? {
            NONE_CODE => Ok(None),
            code => self.word_after(code, at).map(Some),
        }
    }

    fn word_after(&mut self, code: u8, at: usize) -> Result<Cow<'static, str>, DecodeError> {
        if code != WORD_CODE {
            return self.text_after(code, at).map(Cow::Owned);
        }
        let i = self.byte()?;
        WORDS
            .get(usize::from(i))
            .map(|w| Cow::Borrowed(*w))
            .ok_or(DecodeError::Invalid { what: "word", at })
    }

    fn optional(&mut self) -> Result<Option<String>, DecodeError> {
        let at = self.at;
        match self.byte()? {
            NONE_CODE => Ok(None),
            code => self.text_after(code, at).map(Some),
        }
    }

    fn text_after(&mut self, code: u8, at: usize) -> Result<String, DecodeError> {
        if code == WORD_CODE {
            return self.word_after(code, at).map(Cow::into_owned);
        }
        if code == HASH_CODE {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let packed = self.array::<32>()?;
            let mut text = String::with_capacity(HASH_HEAD.len() + 64 + HASH_TAIL.len());
            text.push_str(HASH_HEAD);
            for b in packed {
                text.push(char::from(HEX[usize::from(b >> 4)]));
                text.push(char::from(HEX[usize::from(b & 15)]));
            }
            text.push_str(HASH_TAIL);
            return Ok(text);
        }
        let prefix = match code {
            0 => "",
            c => *PREFIXES
                .get(usize::from(c) - 1)
                .ok_or(DecodeError::Invalid { what: "text", at })?,
        };
        let n = self.count()?;
        let rest = &self.bytes[self.at..self.at + n];
        let rest = std::str::from_utf8(rest).map_err(|_| DecodeError::Invalid {
            what: "text",
            at: self.at,
        })?;
        self.at += n;
        let mut text = String::with_capacity(prefix.len() + rest.len());
        text.push_str(prefix);
        text.push_str(rest);
        Ok(text)
    }

    fn parties(&mut self) -> Result<Vec<Party>, DecodeError> {
        let n = self.count()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let kind = self.word()?;
            let id = self.text()?;
            out.push(Party { kind, id });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EventRecord {
        let obj = serde_json::json!({
            "type": "TransformationEvent",
            "eventID": "ni:///sha-256;e9f6a4f4912a28f9881a0e4cf1ae831ea77daac13dd6ad0375f7287e142912eb?ver=CBV2.0",
            "eventTime": "2026-02-01T08:00:00.000+07:00", "eventTimeZoneOffset": "+07:00",
            "bizStep": "commissioning", "disposition": "active",
            "readPoint": {"id": "urn:epc:id:sgln:8934567.00001.0"},
            "bizLocation": {"id": "https://id.gs1.org/414/8934567000011"},
            "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:8934567.00000"}],
            "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:8934567.00002.0"}],
            "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:8934567000004:PO-1"}],
            "inputQuantityList": [{"epcClass": "urn:epc:class:lgtin:8934567.000001.L1", "quantity": 12.5, "uom": "KGM"}],
            "inputEPCList": ["urn:epc:id:sgtin:8934567.000001.S1"],
            "outputQuantityList": [{"epcClass": "urn:epc:class:lgtin:8934567.000002.L2", "quantity": 3}],
            "ilmd": {"cbvmda:lotNumber": "L2"}
        });
        EventRecord::from_json(obj.as_object().unwrap()).unwrap()
    }

    #[test]
    fn a_record_comes_back_unchanged_and_smaller_than_its_json() {
        let r = sample();
        let bytes = r.encode();
        assert_eq!(EventRecord::decode(&bytes).unwrap(), r);
        let json = serde_json::to_vec(&r).unwrap();
        assert!(
            bytes.len() * 2 < json.len(),
            "{} vs {}",
            bytes.len(),
            json.len()
        );
        // Earlier builds' JSON records are still read.
        assert_eq!(EventRecord::decode(&json).unwrap(), r);
    }

    #[test]
    fn every_event_type_action_and_role_comes_back() {
        for (t, _) in EVENT_TYPE_CODES {
            for (action, _) in ACTION_CODES {
                let mut r = sample();
                r.event_type = t;
                r.action = action;
                for (i, (role, _)) in ROLE_CODES.iter().enumerate() {
                    let k = i % r.links.len();
                    r.links[k].role = *role;
                    assert_eq!(EventRecord::decode(&r.encode()).unwrap(), r);
                }
            }
        }
    }

    #[test]
    fn texts_that_only_look_like_known_forms_come_back_as_written() {
        for text in [
            "ni:///sha-256;E9F6?ver=CBV2.0",
            "ni:///sha-256;e9f6a4f4912a28f9881a0e4cf1ae831ea77daac13dd6ad0375f7287e142912eB?ver=CBV2.0",
            "ni:///sha-256;e9f6a4f4912a28f9881a0e4cf1ae831ea77daac13dd6ad0375f7287e142912eb",
            "https://id.gs1.org/",
            "",
            "Hưng Yên",
            "urn:uuid:b1e4d000-0000-4000-8000-000000000063",
        ] {
            let mut r = sample();
            r.event_id = text.to_owned();
            r.time_zone = Cow::Owned(text.to_owned());
            r.sources[0].id = text.to_owned();
            r.biz_step = Some(Cow::Owned(text.to_owned()));
            r.time_ms = -1_000_000_000_000;
            assert_eq!(EventRecord::decode(&r.encode()).unwrap(), r, "{text:?}");
        }
    }

    #[test]
    fn the_word_table_is_unique_and_holds_every_standard_word() {
        let set: std::collections::HashSet<&str> = WORDS.iter().copied().collect();
        assert_eq!(set.len(), WORDS.len());
        assert!(WORDS.len() < usize::from(NONE_CODE));
        for vocab in [
            epcis::cbv::Vocab::BizStep,
            epcis::cbv::Vocab::Disposition,
            epcis::cbv::Vocab::BizTransactionType,
            epcis::cbv::Vocab::SourceDestType,
        ] {
            for w in vocab.words() {
                assert!(set.contains(w), "{w} is not in WORDS");
            }
        }
        // Words read back shared, other texts owned.
        let r = EventRecord::decode(&sample().encode()).unwrap();
        assert!(matches!(r.biz_step, Some(Cow::Borrowed("commissioning"))));
        assert!(matches!(r.time_zone, Cow::Borrowed("+07:00")));
        assert!(matches!(r.sources[0].kind, Cow::Borrowed("owning_party")));
        assert!(matches!(r.biz_transactions[0].kind, Cow::Borrowed("po")));
    }

    #[test]
    fn every_cut_or_corrupted_record_is_an_error_not_a_panic() {
        let bytes = sample().encode();
        for n in 0..bytes.len() {
            assert!(EventRecord::decode(&bytes[..n]).is_err(), "cut at {n}");
        }
        for i in 0..bytes.len() {
            for b in [0u8, 7, 0x7f, 0x80, 0xfe, 0xff] {
                let mut bad = bytes.clone();
                bad[i] = b;
                // Either an error or some record: never a panic.
                let _ = EventRecord::decode(&bad);
            }
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            EventRecord::decode(&long),
            Err(DecodeError::Invalid {
                what: "end",
                at: bytes.len()
            })
        );
        assert!(EventRecord::decode(b"[1]").is_err());
    }
}
