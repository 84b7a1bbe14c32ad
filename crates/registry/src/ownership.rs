//! Who owns an identifier: GS1 keys belong to the holder of their company prefix.
//!
//! At capture the server asks [`assess`] about each event: which identifiers the capturing
//! organisation commissions or registers without owning their prefix (a violation, rejected
//! or flagged by configuration), and which other registered organisations the event names
//! (its trading partners, who are then allowed to see the capturer's events).

use std::collections::BTreeSet;

use epcis::{EventType, Facet, FacetValue};

/// The registered company prefixes and their organisations, for longest-prefix lookup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrefixIndex {
    /// (prefix, organisation id), longest prefix first.
    entries: Vec<(String, String)>,
}

impl PrefixIndex {
    /// An index over `(prefix, organisation id)` pairs.
    pub fn new(entries: impl IntoIterator<Item = (String, String)>) -> PrefixIndex {
        let mut entries: Vec<(String, String)> = entries.into_iter().collect();
        entries.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.cmp(b)));
        PrefixIndex { entries }
    }

    /// The organisation holding the company prefix of a canonical GS1 identifier.
    pub fn owner_of(&self, id: &str) -> Option<&str> {
        let digits = prefix_digits(id)?;
        self.entries
            .iter()
            .find(|(p, _)| digits.starts_with(p.as_str()))
            .map(|(_, org)| org.as_str())
    }

    /// The prefixes of one organisation.
    pub fn prefixes_of<'a>(&'a self, org: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.entries
            .iter()
            .filter(move |(_, o)| o == org)
            .map(|(p, _)| p.as_str())
    }
}

/// The digits of a GS1 key starting where its company prefix starts (after a GTIN's
/// indicator or an SSCC's extension digit); `None` for anything that is not a GS1 key.
pub fn prefix_digits(id: &str) -> Option<String> {
    let dl = gs1::DigitalLink::parse(id).ok()?;
    let offset = dl.primary.spec()?.company_prefix_offset()?;
    dl.primary.value.get(offset..).map(str::to_owned)
}

/// The organisation where an event happened: the holder of its `bizLocation`, else of its
/// `readPoint` (for attributing events loaded without a capturing account).
pub fn located_owner<'a>(facets: &[Facet], index: &'a PrefixIndex) -> Option<&'a str> {
    ["bizLocation", "readPoint"].iter().find_map(|field| {
        facets.iter().find_map(|f| match &f.value {
            FacetValue::Text(id) if f.field == *field => index.owner_of(id),
            _ => None,
        })
    })
}

/// An identifier the capturer may not use as its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The facet field it appears in (`epc`, `outputEPC`, `bizLocation` …).
    pub field: String,
    /// The identifier (canonical form).
    pub id: String,
    /// The owner of its prefix, when registered.
    pub owner: Option<String>,
}

impl Violation {
    /// A sentence for the client.
    pub fn message(&self, capturer: &str) -> String {
        let whose = match &self.owner {
            Some(o) => format!("company prefix registered to {o}"),
            None => "a company prefix not registered to it".to_owned(),
        };
        format!(
            "{capturer} may not use {} in {}: it is under {whose}",
            self.id, self.field
        )
    }
}

/// What capture learns about one event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assessment {
    /// Identifiers used without owning them.
    pub violations: Vec<Violation>,
    /// Other registered organisations the event names.
    pub partners: BTreeSet<String>,
}

/// Fields naming identifiers the event brings into being (commissioning, packing,
/// transforming) or the place where it happens: these must be the capturer's own.
fn owned_fields(event_type: EventType, added: bool) -> &'static [&'static str] {
    match (event_type, added) {
        (EventType::ObjectEvent, true) => &["epc", "epcClass", "bizLocation"],
        (EventType::AggregationEvent | EventType::AssociationEvent, true) => {
            &["parentID", "bizLocation"]
        }
        (EventType::TransformationEvent, _) => &["outputEPC", "outputEPCClass", "bizLocation"],
        _ => &["bizLocation"],
    }
}

/// Fields whose identifiers name other parties of the chain.
fn names_partner(field: &str) -> bool {
    matches!(
        field,
        "epc"
            | "childEPC"
            | "inputEPC"
            | "outputEPC"
            | "parentID"
            | "epcClass"
            | "childEPCClass"
            | "inputEPCClass"
            | "outputEPCClass"
            | "readPoint"
            | "bizLocation"
    ) || field.starts_with("source:")
        || field.starts_with("destination:")
}

/// Checks an event's identifiers (its facets, in canonical form) for capture by `org`.
/// Identifiers that are not GS1 keys are not anybody's and never violate.
pub fn assess(
    event_type: EventType,
    facets: &[Facet],
    org: &str,
    index: &PrefixIndex,
) -> Assessment {
    let added = facets
        .iter()
        .any(|f| f.field == "action" && f.value == FacetValue::Text("ADD".into()));
    let owned = owned_fields(event_type, added);
    let mut out = Assessment::default();
    for facet in facets {
        let FacetValue::Text(id) = &facet.value else {
            continue;
        };
        let owner = index.owner_of(id);
        if let Some(owner) = owner {
            if owner != org && names_partner(&facet.field) {
                out.partners.insert(owner.to_owned());
            }
        }
        if owned.contains(&facet.field.as_str())
            && prefix_digits(id).is_some()
            && owner != Some(org)
        {
            let v = Violation {
                field: facet.field.clone(),
                id: id.clone(),
                owner: owner.map(str::to_owned),
            };
            if !out.violations.contains(&v) {
                out.violations.push(v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(field: &str, value: &str) -> Facet {
        Facet {
            field: field.into(),
            value: FacetValue::Text(value.into()),
        }
    }

    fn index() -> PrefixIndex {
        PrefixIndex::new([
            ("893601".to_string(), "a".to_string()),
            ("8936012".to_string(), "b".to_string()),
            ("893602".to_string(), "c".to_string()),
        ])
    }

    #[test]
    fn prefix_digits_skip_indicator_and_extension() {
        assert_eq!(
            prefix_digits("https://id.gs1.org/01/18936010010106/21/1").as_deref(),
            Some("8936010010106")
        );
        assert_eq!(
            prefix_digits("https://id.gs1.org/00/389360100000000019").as_deref(),
            Some("89360100000000019")
        );
        assert_eq!(
            prefix_digits("https://id.gs1.org/414/8936010000001").as_deref(),
            Some("8936010000001")
        );
        assert_eq!(prefix_digits("urn:uuid:1234"), None);
    }

    #[test]
    fn longest_prefix_wins() {
        let i = index();
        assert_eq!(
            i.owner_of("https://id.gs1.org/414/8936012000009"),
            Some("b")
        );
        assert_eq!(
            i.owner_of("https://id.gs1.org/414/8936013000008"),
            Some("a")
        );
        assert_eq!(i.owner_of("https://id.gs1.org/414/8936030000005"), None);
    }

    #[test]
    fn commissioning_foreign_gtin_is_a_violation() {
        let facets = [
            text("action", "ADD"),
            text("epc", "https://id.gs1.org/01/08936020010106/21/9"),
            text("bizLocation", "https://id.gs1.org/414/8936013000008"),
        ];
        let a = assess(EventType::ObjectEvent, &facets, "a", &index());
        assert_eq!(a.violations.len(), 1);
        assert_eq!(a.violations[0].field, "epc");
        assert_eq!(a.violations[0].owner.as_deref(), Some("c"));
        assert!(a.violations[0].message("a").contains("registered to c"));
    }

    #[test]
    fn observing_foreign_goods_names_a_partner() {
        let facets = [
            text("action", "OBSERVE"),
            text("epc", "https://id.gs1.org/01/08936020010106/21/9"),
            text("bizLocation", "https://id.gs1.org/414/8936013000008"),
            text(
                "destination:https://ref.gs1.org/cbv/SDT-owning_party",
                "https://id.gs1.org/417/8936012000009",
            ),
        ];
        let a = assess(EventType::ObjectEvent, &facets, "a", &index());
        assert!(a.violations.is_empty(), "{:?}", a.violations);
        assert_eq!(
            a.partners.into_iter().collect::<Vec<_>>(),
            vec!["b".to_string(), "c".to_string()]
        );
    }

    #[test]
    fn events_are_located_by_biz_location_then_read_point() {
        let i = index();
        let facets = [
            text("readPoint", "https://id.gs1.org/414/8936020010007"),
            text("bizLocation", "https://id.gs1.org/414/8936013000008"),
        ];
        assert_eq!(located_owner(&facets, &i), Some("a"));
        assert_eq!(located_owner(&facets[..1], &i), Some("c"));
        assert_eq!(located_owner(&[], &i), None);
    }

    #[test]
    fn unregistered_prefix_at_own_location_is_a_violation() {
        let facets = [text("bizLocation", "https://id.gs1.org/414/8939990000009")];
        let a = assess(EventType::ObjectEvent, &facets, "a", &index());
        assert_eq!(a.violations.len(), 1);
        assert_eq!(a.violations[0].owner, None);
    }
}
