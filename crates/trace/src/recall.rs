//! Recalls: one or more lots withdrawn for a reason and with a severity, the places and
//! parties downstream that hold them (the forward scope, read from a forward trace), and
//! each affected organisation's acknowledgement until the recall is closed.
//!
//! The model lives beside the trace engine because a recall's scope is a function of a
//! forward trace: [`sites`] reads it from a [`TraceGraph`]. Who may declare (an official,
//! or the brand owner of the GTIN) is the access policy's business (`registry::policy`);
//! naming the organisations behind places is the registries' (the server joins them).

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::graph::TraceGraph;
use crate::node::{classify, lot_id, NodeKind};
use crate::record::Role;

/// Most lots one recall may name.
pub const MAX_LOTS: usize = 100;
/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 2_000;

/// A lot: GTIN and lot number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecallLot {
    /// 14-digit GTIN.
    pub gtin: String,
    /// Lot number (AI 10).
    pub lot: String,
}

impl RecallLot {
    /// The lot's canonical identifier (a Digital Link), as traces name it.
    pub fn id(&self) -> String {
        lot_id(&self.gtin, &self.lot).unwrap_or_default()
    }

    /// `(01)…(10)…`, for people.
    pub fn element_string(&self) -> String {
        format!("(01){}(10){}", self.gtin, self.lot)
    }
}

/// How dangerous the recalled goods are (the FDA's classes; high, medium, low).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    /// Class I: may cause serious harm or death (high).
    #[serde(rename = "I")]
    ClassI,
    /// Class II: may cause temporary or reversible harm (medium).
    #[serde(rename = "II")]
    ClassII,
    /// Class III: unlikely to cause harm, but breaks the rules (low).
    #[serde(rename = "III")]
    ClassIII,
}

impl Severity {
    /// Reads `I`, `II`, `III` (also `class I`, `1`…`3`) or `high`, `medium`, `low`.
    pub fn parse(text: &str) -> Option<Severity> {
        let t = text.trim().to_ascii_lowercase();
        let t = t.strip_prefix("class").map_or(t.as_str(), str::trim);
        match t {
            "i" | "1" | "high" => Some(Severity::ClassI),
            "ii" | "2" | "medium" => Some(Severity::ClassII),
            "iii" | "3" | "low" => Some(Severity::ClassIII),
            _ => None,
        }
    }

    /// `I`, `II` or `III`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::ClassI => "I",
            Severity::ClassII => "II",
            Severity::ClassIII => "III",
        }
    }

    /// `high`, `medium` or `low`.
    pub fn level(self) -> &'static str {
        match self {
            Severity::ClassI => "high",
            Severity::ClassII => "medium",
            Severity::ClassIII => "low",
        }
    }
}

/// Open until closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RecallState {
    /// Declared; affected parties act on it.
    Open,
    /// Closed by an official or the declaring brand owner.
    Closed,
}

impl RecallState {
    /// `open` or `closed`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecallState::Open => "open",
            RecallState::Closed => "closed",
        }
    }
}

/// Who declared (or closed) a recall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    /// User or token name.
    pub name: String,
    /// Role (`national-official`, `member`, …).
    pub role: String,
    /// The organisation, for a brand owner's member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
}

/// How much of a recalled (or derived) lot, item or unit a place handled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Holding {
    /// The identifier (canonical).
    pub node: String,
    /// The largest quantity recorded for it there, when recorded by class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    /// Unit of the quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uom: Option<String>,
}

/// A place downstream of the recalled lots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Site {
    /// The location (canonical identifier), or a party's, when only a destination party is known.
    pub location: String,
    /// Its registered name, when known.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Province code, when known.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub province: String,
    /// What passed there.
    pub holdings: Vec<Holding>,
    /// The latest event there, epoch ms.
    pub last_event_ms: i64,
}

/// An organisation with recalled goods downstream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AffectedOrg {
    /// Registry id.
    pub org: String,
    /// Name (Vietnamese, as registered).
    #[serde(default)]
    pub name: String,
    /// Province code of the organisation.
    #[serde(default)]
    pub province: String,
    /// Its places in the scope.
    pub sites: Vec<Site>,
}

/// A recall as declared, with its scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recall {
    /// Identifier (URL-safe).
    pub id: String,
    /// The lots recalled.
    pub lots: Vec<RecallLot>,
    /// Why.
    pub reason: String,
    /// How dangerous.
    pub severity: Severity,
    /// Who declared it.
    pub declared_by: Actor,
    /// When, epoch ms.
    pub declared_ms: i64,
    /// Open or closed.
    pub state: RecallState,
    /// When closed, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_ms: Option<i64>,
    /// Who closed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<Actor>,
    /// Why it was closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_note: Option<String>,
    /// The organisations holding the lots (or what was made from them) downstream.
    pub affected: Vec<AffectedOrg>,
    /// Places downstream that no registered organisation holds.
    #[serde(default)]
    pub unregistered_sites: Vec<Site>,
    /// True when a trace stopped at its node limit: the scope may be incomplete.
    #[serde(default)]
    pub truncated: bool,
}

impl Recall {
    /// True when `org` is one of the affected organisations.
    pub fn affects(&self, org: &str) -> bool {
        self.affected.iter().any(|a| a.org == org)
    }

    /// The organisation of the brand owner who declared it, if a member did.
    pub fn declarer_org(&self) -> Option<&str> {
        self.declared_by.org.as_deref()
    }

    /// True when it covers lot `lot` of `gtin`.
    pub fn covers(&self, gtin: &str, lot: &str) -> bool {
        self.lots.iter().any(|l| l.gtin == gtin && l.lot == lot)
    }
}

/// One affected organisation's acknowledgement (or its absence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Acknowledgement {
    /// Registry id of the affected organisation.
    pub org: String,
    /// When acknowledged, epoch ms; `None` while it has not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<i64>,
    /// Who acknowledged (user or token name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// What they did (e.g. "12 cartons withdrawn from sale").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A recall with the acknowledgements of its affected organisations.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecallStatus {
    /// The recall.
    #[serde(flatten)]
    pub recall: Recall,
    /// One per affected organisation, in the order of `affected`.
    pub acknowledgements: Vec<Acknowledgement>,
}

impl RecallStatus {
    /// (acknowledged, affected).
    pub fn progress(&self) -> (usize, usize) {
        let done = self
            .acknowledgements
            .iter()
            .filter(|a| a.at_ms.is_some())
            .count();
        (done, self.acknowledgements.len())
    }

    /// The acknowledgement of `org`, when it is affected.
    pub fn acknowledgement_of(&self, org: &str) -> Option<&Acknowledgement> {
        self.acknowledgements.iter().find(|a| a.org == org)
    }
}

/// Why a recall declaration was refused. Each names the field (a JSON pointer) at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecallError {
    /// `lots` is empty.
    #[error("/lots: name at least one lot to recall")]
    NoLots,
    /// Too many lots.
    #[error("/lots: {0} lots; one recall names at most {MAX_LOTS}")]
    TooManyLots(usize),
    /// A lot that cannot be read.
    #[error("/lots/{index}: {message}")]
    BadLot {
        /// Position in `lots`.
        index: usize,
        /// What is wrong.
        message: String,
    },
    /// The same lot twice.
    #[error("/lots/{index}: {lot} is already listed")]
    DuplicateLot {
        /// Position of the repeat.
        index: usize,
        /// The lot.
        lot: String,
    },
    /// No reason given.
    #[error("/reason: say why the lots are recalled")]
    NoReason,
    /// Reason too long.
    #[error("/reason: {0} characters; at most {MAX_REASON_CHARS}")]
    ReasonTooLong(usize),
    /// Unknown severity.
    #[error("/severity: {0:?} is not a severity; give I, II or III (or high, medium, low)")]
    BadSeverity(String),
}

impl RecallError {
    /// The JSON pointer of the field at fault.
    pub fn pointer(&self) -> String {
        match self {
            RecallError::NoLots | RecallError::TooManyLots(_) => "/lots".into(),
            RecallError::BadLot { index, .. } | RecallError::DuplicateLot { index, .. } => {
                format!("/lots/{index}")
            }
            RecallError::NoReason | RecallError::ReasonTooLong(_) => "/reason".into(),
            RecallError::BadSeverity(_) => "/severity".into(),
        }
    }
}

/// A lot as a client may write it: a key in any spelling (`(01)…(10)…`, a Digital Link,
/// an LGTIN URN) or its parts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum LotInput {
    /// Any spelling of the lot's identifier.
    Key(String),
    /// GTIN and lot number.
    Parts {
        /// GTIN (8 to 14 digits).
        gtin: String,
        /// Lot number.
        lot: String,
    },
}

/// Checks what a declaration names: the lots (readable, lots not items, no repeats), a
/// reason and a severity.
pub fn check_declaration(
    lots: &[LotInput],
    reason: &str,
    severity: &str,
) -> Result<(Vec<RecallLot>, Severity), RecallError> {
    if lots.is_empty() {
        return Err(RecallError::NoLots);
    }
    if lots.len() > MAX_LOTS {
        return Err(RecallError::TooManyLots(lots.len()));
    }
    let mut out: Vec<RecallLot> = Vec::with_capacity(lots.len());
    for (index, input) in lots.iter().enumerate() {
        let bad = |message: String| RecallError::BadLot { index, message };
        let id = match input {
            LotInput::Key(text) => crate::node::parse_key(text).map_err(|e| bad(e.to_string()))?,
            LotInput::Parts { gtin, lot } => {
                let gtin14 = format!("{gtin:0>14}");
                if !(8..=14).contains(&gtin.len()) || !gtin.chars().all(|c| c.is_ascii_digit()) {
                    return Err(bad(format!("gtin {gtin:?} is not 8 to 14 digits")));
                }
                lot_id(&gtin14, lot).ok_or_else(|| {
                    bad(format!(
                        "(01){gtin14}(10){lot} is not a valid GTIN and lot (check digit, lot of 1 to 20 characters)"
                    ))
                })?
            }
        };
        let node = classify(&id);
        let (Some(gtin), Some(lot), NodeKind::Lot) = (node.gtin, node.lot, node.kind) else {
            return Err(bad(format!(
                "{id} is not a lot: a recall names lots (GTIN and lot number)"
            )));
        };
        let lot = RecallLot { gtin, lot };
        if out.contains(&lot) {
            return Err(RecallError::DuplicateLot {
                index,
                lot: lot.element_string(),
            });
        }
        out.push(lot);
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(RecallError::NoReason);
    }
    let chars = reason.chars().count();
    if chars > MAX_REASON_CHARS {
        return Err(RecallError::ReasonTooLong(chars));
    }
    let severity =
        Severity::parse(severity).ok_or_else(|| RecallError::BadSeverity(severity.to_owned()))?;
    Ok((out, severity))
}

/// The places downstream of a forward trace, each with what passed there (the start, and
/// every identifier downstream of it) and the latest time: the `bizLocation` or
/// `readPoint` of each event, and the destination locations and parties of shipments.
/// Quantities are the largest recorded at the place for the identifier, so a shipment and
/// its receipt of the same goods count once.
pub fn sites(graph: &TraceGraph) -> Vec<Site> {
    let downstream: HashSet<&str> = graph
        .nodes
        .iter()
        .filter(|n| n.start || n.downstream)
        .map(|n| n.id.as_str())
        .collect();
    type Held = BTreeMap<String, (Option<f64>, Option<String>)>;
    let mut places: BTreeMap<String, (Held, i64)> = BTreeMap::new();
    for e in &graph.events {
        let r = &e.record;
        let mut held: Vec<(&str, Option<f64>, Option<&str>)> = Vec::new();
        for l in &r.links {
            if l.role == Role::Input || !downstream.contains(l.node.as_str()) {
                continue;
            }
            held.push((&l.node, l.quantity, l.uom.as_deref()));
        }
        if held.is_empty() {
            continue;
        }
        let mut at: Vec<&str> = e.place().into_iter().collect();
        at.extend(
            r.destinations
                .iter()
                .filter(|p| p.kind == "location" || p.kind.ends_with("party"))
                .map(|p| p.id.as_str()),
        );
        for place in at {
            let entry = places.entry(place.to_owned()).or_default();
            entry.1 = entry.1.max(r.time_ms);
            for (node, q, uom) in &held {
                let slot = entry.0.entry((*node).to_owned()).or_default();
                if let Some(q) = q {
                    if slot.0.is_none_or(|old| *q > old) {
                        *slot = (Some(*q), uom.map(str::to_owned));
                    }
                }
            }
        }
    }
    places
        .into_iter()
        .map(|(location, (held, last))| Site {
            location,
            name: String::new(),
            province: String::new(),
            holdings: held
                .into_iter()
                .map(|(node, (quantity, uom))| Holding {
                    node,
                    quantity,
                    uom,
                })
                .collect(),
            last_event_ms: last,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> LotInput {
        LotInput::Key(s.into())
    }

    #[test]
    fn declarations_are_checked_field_by_field() {
        let (lots, sev) = check_declaration(
            &[
                key("(01)04012345123456(10)L1"),
                LotInput::Parts {
                    gtin: "4012345123456".into(),
                    lot: "L2".into(),
                },
            ],
            " Listeria ",
            "class I",
        )
        .unwrap();
        assert_eq!(sev, Severity::ClassI);
        assert_eq!(lots[0].gtin, "04012345123456");
        assert_eq!(lots[1].lot, "L2");
        assert_eq!(lots[0].element_string(), "(01)04012345123456(10)L1");
        assert!(lots[0].id().ends_with("/01/04012345123456/10/L1"));

        let err = |lots: &[LotInput], reason: &str, sev: &str| {
            check_declaration(lots, reason, sev).unwrap_err()
        };
        assert_eq!(err(&[], "x", "I"), RecallError::NoLots);
        let e = err(&[key("(01)04012345123456")], "x", "I");
        assert_eq!(e.pointer(), "/lots/0");
        assert!(e.to_string().contains("names a product"), "{e}");
        let e = err(&[key("(01)04012345123456(21)S1")], "x", "I");
        assert!(e.to_string().contains("is not a lot"), "{e}");
        let e = err(
            &[LotInput::Parts {
                gtin: "4012345123457".into(),
                lot: "L".into(),
            }],
            "x",
            "I",
        );
        assert!(e.to_string().starts_with("/lots/0: "), "{e}");
        let e = err(
            &[
                key("(01)04012345123456(10)L1"),
                key("(01)04012345123456(10)L1"),
            ],
            "x",
            "I",
        );
        assert_eq!(e.pointer(), "/lots/1");
        assert_eq!(
            err(&[key("(01)04012345123456(10)L1")], " ", "I"),
            RecallError::NoReason
        );
        let e = err(&[key("(01)04012345123456(10)L1")], "x", "severe");
        assert_eq!(
            e.to_string(),
            "/severity: \"severe\" is not a severity; give I, II or III (or high, medium, low)"
        );
        let many: Vec<LotInput> = (0..=MAX_LOTS)
            .map(|i| key(&format!("(01)04012345123456(10)L{i}")))
            .collect();
        assert_eq!(err(&many, "x", "I"), RecallError::TooManyLots(MAX_LOTS + 1));
    }

    #[test]
    fn severities_in_every_spelling() {
        for (text, s) in [
            ("I", Severity::ClassI),
            ("high", Severity::ClassI),
            ("Class II", Severity::ClassII),
            ("2", Severity::ClassII),
            ("iii", Severity::ClassIII),
            ("LOW", Severity::ClassIII),
        ] {
            assert_eq!(Severity::parse(text), Some(s), "{text}");
        }
        assert_eq!(Severity::parse("IV"), None);
        assert_eq!(Severity::ClassII.level(), "medium");
        assert_eq!(serde_json::to_value(Severity::ClassIII).unwrap(), "III");
    }
}
