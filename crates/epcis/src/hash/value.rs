//! One value in its hash form (CBV 2.0 §8.9 rules 5–7 and 14–18): trimmed, CURIEs
//! expanded, CBV URNs and bare CBV terms as Web URIs, numbers normalised, GS1
//! identifiers as constrained canonical Digital Links.

use std::borrow::Cow;

use crate::context::Namespaces;

use super::identifier::canonical_identifier_with;
use super::number::canonical_number;
use crate::ids::CanonicalIds;

/// The standard vocabulary a field's bare-string values belong to (JSON-LD writes
/// `"bizStep": "receiving"` where XML writes the full URI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Vocabulary {
    /// `bizStep`.
    BizStep,
    /// `disposition`, `persistentDisposition`.
    Disposition,
    /// `bizTransactionList[].type`.
    BizTransactionType,
    /// `sourceList[].type`, `destinationList[].type`.
    SourceDestinationType,
    /// `sensorReport.component`.
    Component,
    /// `sensorReport.type` and `exception`: GS1 Web Vocabulary terms.
    Gs1,
}

impl Vocabulary {
    fn prefix(self) -> &'static str {
        match self {
            Vocabulary::BizStep => "https://ref.gs1.org/cbv/BizStep-",
            Vocabulary::Disposition => "https://ref.gs1.org/cbv/Disp-",
            Vocabulary::BizTransactionType => "https://ref.gs1.org/cbv/BTT-",
            Vocabulary::SourceDestinationType => "https://ref.gs1.org/cbv/SDT-",
            Vocabulary::Component => "https://ref.gs1.org/cbv/Comp-",
            Vocabulary::Gs1 => "https://gs1.org/voc/",
        }
    }
}

/// The CBV 1.x URN forms and their CBV 2.0 Web URI equivalents.
const CBV_URNS: [(&str, &str); 5] = [
    (
        "urn:epcglobal:cbv:bizstep:",
        "https://ref.gs1.org/cbv/BizStep-",
    ),
    ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
    ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
    ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
    ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"),
];

/// The hash form of a value; empty when the value is blank.
pub(crate) fn canonical_value(
    raw: &str,
    vocabulary: Option<Vocabulary>,
    namespaces: &Namespaces,
    ids: &CanonicalIds,
) -> String {
    let text = raw.trim();
    if let Some(vocabulary) = vocabulary {
        if is_bare_term(text) {
            return format!("{}{text}", vocabulary.prefix());
        }
    }
    let text = expand_curie(text, namespaces);
    let text = cbv_urn_to_web_uri(&text);
    if let Some(number) = canonical_number(&text) {
        return number;
    }
    canonical_identifier_with(&text, ids).unwrap_or_else(|| text.into_owned())
}

/// A CBV term written without its namespace: `in_transit`, `Temperature`.
fn is_bare_term(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `gs1:Temperature` → `https://gs1.org/voc/Temperature`, for prefixes the document declares.
fn expand_curie<'a>(text: &'a str, namespaces: &Namespaces) -> Cow<'a, str> {
    // In XML, namespace prefixes name elements; a value such as `example:x` is text, and GS1's
    // XML vectors keep it as written. In JSON-LD the document's @context makes it a compact
    // IRI, which GS1's reference generator expands. The standard prefixes expand in both.
    let standard = text
        .split_once(':')
        .is_some_and(|(prefix, _)| crate::context::is_standard_prefix(prefix));
    if namespaces.from_xml && !standard {
        return Cow::Borrowed(text);
    }
    match namespaces.expand(text) {
        Some((namespace, local)) if !local.starts_with("//") => {
            Cow::Owned(format!("{namespace}{local}"))
        }
        _ => Cow::Borrowed(text),
    }
}

fn cbv_urn_to_web_uri<'a>(text: &'a Cow<'a, str>) -> Cow<'a, str> {
    for (urn, web) in CBV_URNS {
        if let Some(term) = text.strip_prefix(urn) {
            return Cow::Owned(format!("{web}{term}"));
        }
    }
    Cow::Borrowed(text.as_ref())
}

/// A user extension name as `{namespace}localName`: a CURIE is expanded through the
/// document's prefixes, a full IRI split after its last `/` or `#`; anything else is kept.
pub(crate) fn expanded_name(name: &str, namespaces: &Namespaces) -> String {
    if let Some((namespace, local)) = namespaces.expand(name) {
        return format!("{{{namespace}}}{local}");
    }
    if name.contains("://") {
        if let Some(split) = name.rfind(['/', '#']) {
            let (namespace, local) = name.split_at(split + 1);
            if !local.is_empty() {
                return format!("{{{namespace}}}{local}");
            }
        }
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ns() -> Namespaces {
        Namespaces::from_context(&json!([{"example": "https://ns.example.com/epcis/"}]))
    }

    #[test]
    fn vocabularies_and_urns() {
        let ns = ns();
        assert_eq!(
            canonical_value(
                "receiving",
                Some(Vocabulary::BizStep),
                &ns,
                &CanonicalIds::default()
            ),
            "https://ref.gs1.org/cbv/BizStep-receiving"
        );
        assert_eq!(
            canonical_value(
                " urn:epcglobal:cbv:disp:in_transit ",
                Some(Vocabulary::Disposition),
                &ns,
                &CanonicalIds::default()
            ),
            "https://ref.gs1.org/cbv/Disp-in_transit"
        );
        assert_eq!(
            canonical_value(
                "Dimensionless",
                Some(Vocabulary::Gs1),
                &ns,
                &CanonicalIds::default()
            ),
            "https://gs1.org/voc/Dimensionless"
        );
        assert_eq!(
            canonical_value("gs1:Temperature", None, &ns, &CanonicalIds::default()),
            "https://gs1.org/voc/Temperature"
        );
        assert_eq!(
            canonical_value(
                "urn:epcglobal:cbv:bt:4012345000009:ASN1099",
                None,
                &ns,
                &CanonicalIds::default()
            ),
            "urn:epcglobal:cbv:bt:4012345000009:ASN1099"
        );
        assert_eq!(
            canonical_value("OBSERVE", None, &ns, &CanonicalIds::default()),
            "OBSERVE"
        );
        assert_eq!(
            canonical_value("+01:00", None, &ns, &CanonicalIds::default()),
            "+01:00"
        );
        assert_eq!(
            canonical_value("12.10", None, &ns, &CanonicalIds::default()),
            "12.1"
        );
    }

    #[test]
    fn extension_names() {
        let ns = ns();
        assert_eq!(
            expanded_name("example:myField", &ns),
            "{https://ns.example.com/epcis/}myField"
        );
        assert_eq!(
            expanded_name("https://ns.example.com/epcis/f", &ns),
            "{https://ns.example.com/epcis/}f"
        );
        assert_eq!(expanded_name("unknown:f", &ns), "unknown:f");
        assert_eq!(expanded_name("plain", &ns), "plain");
    }
}
