//! A published link and the identifiers it applies to.

use gs1::{AiValue, DigitalLink};
use serde::{Deserialize, Serialize};

use crate::vocab::normalise_link_type;
use crate::ResolverError;

/// An inclusive range of serial numbers. Serials compare by length first, then text, so
/// all-digit serials without leading zeros compare as numbers (`9` < `10`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerialRange {
    /// First serial in the range.
    pub from: String,
    /// Last serial in the range.
    pub to: String,
}

impl SerialRange {
    /// Whether `serial` lies in the range.
    pub fn contains(&self, serial: &str) -> bool {
        let key = |s: &str| (s.len(), s.to_owned());
        key(&self.from) <= key(serial) && key(serial) <= key(&self.to)
    }
}

/// What a link applies to: a primary key, optionally narrowed to a lot and/or a serial range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The canonical Digital Link of the primary key alone (`https://id.gs1.org/01/…`).
    pub key: String,
    /// The lot (AI 10), when the link is for one lot.
    pub lot: Option<String>,
    /// The serials (AI 21), when the link is for some items.
    pub serials: Option<SerialRange>,
}

/// How specific a matching link is; the resolver prefers the most specific level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The link names the item's serial (with its lot if it gives one).
    Serial,
    /// The link names the item's lot.
    Lot,
    /// The link names the primary key only.
    Key,
    /// traceport's own pages, used for any link type no brand owner published.
    BuiltIn,
}

impl Scope {
    /// A validated scope: `key` is any Digital Link (its primary key is kept), lot and
    /// serials only where the key takes those qualifiers, values valid for their AIs.
    pub fn new(
        key: &str,
        lot: Option<&str>,
        serials: Option<SerialRange>,
    ) -> Result<Scope, ResolverError> {
        let dl = DigitalLink::parse(key)?;
        let spec = dl.primary.spec();
        let takes =
            |q: &str| spec.is_some_and(|s| s.qualifier_paths().iter().any(|p| p.contains(&q)));
        if lot.is_some() && !takes("10") {
            return Err(ResolverError::BadScope(format!(
                "primary key ({}) has no lot qualifier",
                dl.primary.ai
            )));
        }
        if let Some(lot) = lot {
            AiValue::new("10", lot)?;
        }
        if let Some(range) = &serials {
            if !takes("21") {
                return Err(ResolverError::BadScope(format!(
                    "primary key ({}) has no serial qualifier",
                    dl.primary.ai
                )));
            }
            AiValue::new("21", &range.from)?;
            AiValue::new("21", &range.to)?;
            if !range.contains(&range.from) || !range.contains(&range.to) {
                return Err(ResolverError::BadScope(format!(
                    "serial range {}..{} ends before it starts",
                    range.from, range.to
                )));
            }
        }
        Ok(Scope {
            key: key_of(&dl),
            lot: lot.map(str::to_owned),
            serials,
        })
    }

    /// The level at which this scope matches the requested identifier, or `None`.
    pub fn level_for(&self, dl: &DigitalLink) -> Option<Level> {
        if self.key != key_of(dl) {
            return None;
        }
        let lot = dl.qualifier("10");
        let serial = dl.qualifier("21");
        if self.lot.is_some() && self.lot.as_deref() != lot {
            return None;
        }
        match &self.serials {
            Some(range) => serial.filter(|s| range.contains(s)).map(|_| Level::Serial),
            None if self.lot.is_some() => Some(Level::Lot),
            None => Some(Level::Key),
        }
    }
}

/// The canonical Digital Link of `dl`'s primary key alone: the lookup key for links.
pub fn key_of(dl: &DigitalLink) -> String {
    format!(
        "{}/{}/{}",
        gs1::dl::CANONICAL_BASE,
        dl.primary.ai,
        gs1::dl::encode_value(&dl.primary.value)
    )
}

/// The link lookup key of a Digital Link given as text; the text itself when it does not parse.
pub fn key_of_uri(uri: &str) -> String {
    DigitalLink::parse(uri).map_or_else(|_| uri.to_owned(), |dl| key_of(&dl))
}

/// One published link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Identifier of the link (for change and removal).
    pub id: String,
    /// What the link applies to.
    pub scope: Scope,
    /// Link type as a `gs1:` CURIE.
    pub link_type: String,
    /// Target URI.
    pub href: String,
    /// Human title.
    pub title: String,
    /// Languages of the target (empty: any).
    pub hreflang: Vec<String>,
    /// Media type of the target, when known.
    pub media_type: Option<String>,
    /// Context the link is meant for (e.g. a country or a role), when any.
    pub context: Option<String>,
    /// Whether the link is (one of) the default link(s) of its scope.
    pub default: bool,
}

impl Link {
    /// Validates and normalises the fields of a link (link type, href, languages, media type).
    pub fn validated(mut self) -> Result<Link, ResolverError> {
        self.link_type = normalise_link_type(&self.link_type)?;
        let lower = self.href.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        if !rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
            || self
                .href
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ResolverError::BadHref(self.href));
        }
        for tag in &mut self.hreflang {
            if !is_language_tag(tag) {
                return Err(ResolverError::BadLanguage(tag.clone()));
            }
            *tag = tag.to_ascii_lowercase();
        }
        if let Some(mt) = &self.media_type {
            let ok = mt.split_once('/').is_some_and(|(a, b)| {
                let token = |s: &str| {
                    !s.is_empty()
                        && s.bytes()
                            .all(|c| c.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&c))
                };
                token(a) && token(b)
            });
            if !ok {
                return Err(ResolverError::BadMediaType(mt.clone()));
            }
        }
        Ok(self)
    }
}

/// BCP 47 shape: alphabetic primary subtag of 2 to 8 letters, then alphanumeric subtags.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=8).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GTIN: &str = "https://id.gs1.org/01/09520123456788";

    fn dl(uri: &str) -> DigitalLink {
        DigitalLink::parse(uri).unwrap()
    }

    #[test]
    fn levels() {
        let key = Scope::new(GTIN, None, None).unwrap();
        let lot = Scope::new(GTIN, Some("L1"), None).unwrap();
        let range = SerialRange {
            from: "100".into(),
            to: "199".into(),
        };
        let serials = Scope::new(GTIN, None, Some(range.clone())).unwrap();
        let lot_serials = Scope::new(GTIN, Some("L1"), Some(range)).unwrap();
        let item = dl("https://x.y/01/9520123456788/10/L1/21/150");
        assert_eq!(key.level_for(&item), Some(Level::Key));
        assert_eq!(lot.level_for(&item), Some(Level::Lot));
        assert_eq!(serials.level_for(&item), Some(Level::Serial));
        assert_eq!(lot_serials.level_for(&item), Some(Level::Serial));
        let other_lot = dl("https://x.y/01/9520123456788/10/L2/21/150");
        assert_eq!(lot.level_for(&other_lot), None);
        assert_eq!(lot_serials.level_for(&other_lot), None);
        assert_eq!(serials.level_for(&other_lot), Some(Level::Serial));
        // 99 < 100 and 1000 > 199 although "1000" < "199" as text.
        assert_eq!(serials.level_for(&dl(&format!("{GTIN}/21/99"))), None);
        assert_eq!(serials.level_for(&dl(&format!("{GTIN}/21/1000"))), None);
        assert_eq!(
            key.level_for(&dl("https://id.gs1.org/01/09506000134352")),
            None
        );
    }

    #[test]
    fn scope_refusals() {
        assert!(matches!(
            Scope::new("https://id.gs1.org/00/106141412345678908", Some("L"), None),
            Err(ResolverError::BadScope(_))
        ));
        assert!(matches!(
            Scope::new(
                GTIN,
                None,
                Some(SerialRange {
                    from: "20".into(),
                    to: "10".into()
                })
            ),
            Err(ResolverError::BadScope(_))
        ));
        assert!(matches!(
            Scope::new("https://id.gs1.org/01/09520123456787", None, None),
            Err(ResolverError::Key(gs1::Gs1Error::CheckDigit { .. }))
        ));
    }

    fn link(href: &str) -> Link {
        Link {
            id: "x".into(),
            scope: Scope::new(GTIN, None, None).unwrap(),
            link_type: "pip".into(),
            href: href.into(),
            title: "t".into(),
            hreflang: vec!["vi".into(), "en-GB".into()],
            media_type: Some("text/html".into()),
            context: None,
            default: true,
        }
    }

    #[test]
    fn link_validation() {
        let ok = link("https://brand.example/p").validated().unwrap();
        assert_eq!(ok.link_type, "gs1:pip");
        assert_eq!(ok.hreflang, vec!["vi", "en-gb"]);
        for bad in ["ftp://x", "https://", "https:///p", "/p", "https://a b"] {
            assert!(
                matches!(link(bad).validated(), Err(ResolverError::BadHref(_))),
                "{bad}"
            );
        }
        let mut l = link("https://a.b/");
        l.hreflang = vec!["v1".into()];
        assert!(matches!(l.validated(), Err(ResolverError::BadLanguage(_))));
        let mut l = link("https://a.b/");
        l.media_type = Some("html".into());
        assert!(matches!(l.validated(), Err(ResolverError::BadMediaType(_))));
    }
}
