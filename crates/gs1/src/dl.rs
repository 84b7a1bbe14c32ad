//! GS1 Digital Link URIs (URI syntax 1.6 essentials): parsing from any domain,
//! qualifier order, percent-encoding, and the canonical `https://id.gs1.org/` form.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::ai::{ai, AiSpec};
use crate::keys::normalize_gtin;
use crate::Gs1Error;

/// The domain of canonical Digital Links.
pub const CANONICAL_BASE: &str = "https://id.gs1.org";

/// Everything but the URI "unreserved" characters is percent-encoded in path values,
/// which gives one canonical spelling per value.
const DL_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One Application Identifier with its value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AiValue {
    /// The AI code, as spelled in the AI table.
    pub ai: &'static str,
    /// The value, decoded.
    pub value: String,
}

impl AiValue {
    /// A validated AI value; GTINs (AI 01) of 8, 12 or 13 digits are padded to 14.
    pub fn new(code: &str, value: &str) -> Result<Self, Gs1Error> {
        let spec = ai(code).ok_or_else(|| Gs1Error::UnknownAi(code.into()))?;
        let value = if spec.code == "01" {
            normalize_gtin(value)?
        } else {
            spec.validate(value)?;
            value.to_string()
        };
        Ok(AiValue {
            ai: spec.code,
            value,
        })
    }

    /// The AI's spec.
    pub fn spec(&self) -> Option<&'static AiSpec> {
        ai(self.ai)
    }
}

/// A parsed GS1 Digital Link: primary key, ordered qualifiers, and the query-string
/// data attributes kept aside (they are not part of the identity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitalLink {
    /// The primary key.
    pub primary: AiValue,
    /// Key qualifiers in their fixed order.
    pub qualifiers: Vec<AiValue>,
    /// Query-string pairs (data attributes and others), decoded, in their order.
    pub attributes: Vec<(String, String)>,
}

impl DigitalLink {
    /// Builds a Digital Link from a primary key and qualifiers, validating every value
    /// and the qualifier order.
    pub fn new(primary: AiValue, qualifiers: Vec<AiValue>) -> Result<Self, Gs1Error> {
        let spec = primary
            .spec()
            .ok_or_else(|| Gs1Error::UnknownAi(primary.ai.into()))?;
        if !spec.is_primary_key() {
            return Err(Gs1Error::NotDigitalLink {
                uri: format!("({}){}", primary.ai, primary.value),
                reason: format!("AI ({}) is not a primary key", primary.ai),
            });
        }
        check_qualifiers(spec, &qualifiers)?;
        Ok(DigitalLink {
            primary,
            qualifiers,
            attributes: Vec::new(),
        })
    }

    /// Parses a Digital Link on any domain, with an optional path stem before the primary key.
    /// Query-string attributes are kept as text and not checked (see [`DigitalLink::parse_with`]).
    pub fn parse(uri: &str) -> Result<Self, Gs1Error> {
        Self::parse_with(uri, ParseOptions::default())
    }

    /// Parses a Digital Link with explicit options: legacy short names in the path
    /// and strict checking of the query-string data attributes.
    pub fn parse_with(uri: &str, options: ParseOptions) -> Result<Self, Gs1Error> {
        let not_dl = |reason: &str| Gs1Error::NotDigitalLink {
            uri: uri.to_string(),
            reason: reason.to_string(),
        };
        let rest = strip_prefix_ci(uri, "https://")
            .or_else(|| strip_prefix_ci(uri, "http://"))
            .ok_or_else(|| not_dl("not an http(s) URI"))?;
        let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').ok_or_else(|| not_dl("no path"))?;
        if authority.is_empty() {
            return Err(not_dl("no host"));
        }
        let mut segs: Vec<&str> = path.split('/').collect();
        if segs.len() > 1 && segs.last() == Some(&"") {
            segs.pop();
        }
        if options.legacy {
            for seg in segs.iter_mut() {
                if let Some(code) = legacy_code(seg) {
                    *seg = code;
                }
            }
        }
        let mut first_err = None;
        for i in 0..segs.len() {
            if !ai(segs[i]).is_some_and(AiSpec::is_primary_key) {
                continue;
            }
            if !(segs.len() - i).is_multiple_of(2) {
                first_err.get_or_insert_with(|| not_dl("an AI in the path has no value"));
                continue;
            }
            match Self::from_path(&segs[i..]) {
                Ok(mut dl) => {
                    dl.attributes = parse_query(query)?;
                    if options.strict_attributes {
                        dl.check_attributes()?;
                    }
                    return Ok(dl);
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        if options.compressed
            && segs
                .last()
                .is_some_and(|s| crate::compressed::looks_compressed(s))
        {
            match Self::from_compressed(&segs, query, options) {
                Ok(dl) => return Ok(dl),
                // A path with no key at all: the compressed reading's error says most.
                Err(e) if first_err.is_none() => return Err(e),
                Err(_) => {}
            }
        }
        Err(first_err.unwrap_or_else(|| not_dl("no GS1 primary key in the path")))
    }

    /// A compressed Digital Link: the last segment compressed, optionally after
    /// uncompressed `ai/value` pairs (partial compression).
    fn from_compressed(
        segs: &[&str],
        query: &str,
        options: ParseOptions,
    ) -> Result<Self, Gs1Error> {
        let (last, head) = segs.split_last().ok_or_else(|| Gs1Error::NotDigitalLink {
            uri: String::new(),
            reason: "empty path".into(),
        })?;
        let mut elements = Vec::new();
        // Uncompressed pairs before it: the longest even tail of the head that starts at a primary key.
        if let Some(i) = (0..head.len())
            .find(|&i| (head.len() - i) % 2 == 0 && ai(head[i]).is_some_and(AiSpec::is_primary_key))
        {
            let dl = Self::from_path(&head[i..])?;
            elements.extend(std::iter::once(dl.primary).chain(dl.qualifiers));
        }
        elements.extend(crate::compressed::decompress(last)?);
        let mut dl = Self::from_elements(&elements)?;
        dl.attributes.extend(parse_query(query)?);
        if options.strict_attributes {
            dl.check_attributes()?;
        }
        Ok(dl)
    }

    /// Parses `ai/value/ai/value…` path segments (still percent-encoded).
    fn from_path(segs: &[&str]) -> Result<Self, Gs1Error> {
        let mut pairs = segs.chunks_exact(2).map(|pair| {
            let value = percent_decode_strict(pair[1])?;
            AiValue::new(pair[0], &value)
        });
        let primary = pairs.next().ok_or_else(|| Gs1Error::NotDigitalLink {
            uri: segs.join("/"),
            reason: "empty path".into(),
        })??;
        let qualifiers = pairs.collect::<Result<Vec<_>, _>>()?;
        Self::new(primary, qualifiers)
    }

    /// The path `/ai/value/…` of primary key and qualifiers, values percent-encoded.
    pub fn path(&self) -> String {
        let mut out = String::new();
        self.write_path(&mut out);
        out
    }

    /// Appends [`DigitalLink::path`] to `out`.
    fn write_path(&self, out: &mut String) {
        for e in std::iter::once(&self.primary).chain(&self.qualifiers) {
            out.push('/');
            out.push_str(e.ai);
            out.push('/');
            out.extend(utf8_percent_encode(&e.value, DL_VALUE));
        }
    }

    /// The canonical form `https://id.gs1.org/{ai}/{value}…` (without data attributes).
    pub fn canonical(&self) -> String {
        // Built in one buffer: this runs for every identifier of every captured event.
        let len = std::iter::once(&self.primary)
            .chain(&self.qualifiers)
            .map(|e| e.ai.len() + e.value.len() + 2)
            .sum::<usize>();
        let mut out = String::with_capacity(CANONICAL_BASE.len() + len + 8);
        out.push_str(CANONICAL_BASE);
        self.write_path(&mut out);
        out
    }

    /// The URI on another base (scheme, host, optional stem), with the data attributes.
    pub fn to_uri(&self, base: &str) -> String {
        let mut out = format!("{}{}", base.trim_end_matches('/'), self.path());
        for (i, (k, v)) in self.attributes.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(&encode_value(k));
            out.push('=');
            out.push_str(&encode_value(v));
        }
        out
    }

    /// The qualifier with AI `code`, if present.
    pub fn qualifier(&self, code: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|q| q.ai == code)
            .map(|q| q.value.as_str())
    }

    /// Checks the query string: every all-digit key must be an AI allowed as a Digital
    /// Link data attribute, with a valid value, not repeated and not already in the path.
    /// Other keys (`linkType`, `context`, …) are left to the application.
    pub fn check_attributes(&self) -> Result<(), Gs1Error> {
        let mut seen: Vec<&str> = Vec::new();
        for (key, value) in &self.attributes {
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let spec = ai(key).ok_or_else(|| Gs1Error::UnknownAi(key.clone()))?;
            let refuse = |reason: &str| Gs1Error::AttributeNotAllowed {
                ai: spec.code.into(),
                reason: reason.into(),
            };
            if self.primary.ai == spec.code || self.qualifier(spec.code).is_some() {
                return Err(refuse("already in the path"));
            }
            if !spec.dl_data_attribute {
                return Err(refuse(
                    "not a Digital Link data attribute (a key qualifier belongs in the path)",
                ));
            }
            if seen.contains(&spec.code) {
                return Err(refuse("repeated"));
            }
            seen.push(spec.code);
            AiValue::new(spec.code, value)?;
        }
        Ok(())
    }

    /// Data attributes whose key is a GS1 AI, validated.
    pub fn ai_attributes(&self) -> Result<Vec<AiValue>, Gs1Error> {
        self.attributes
            .iter()
            .filter(|(k, _)| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
            .map(|(k, v)| AiValue::new(k, v))
            .collect()
    }
}

/// How [`DigitalLink::parse_with`] reads a URI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Accept the short names of Digital Link 1.0 (`/gtin/…/lot/…/ser/…`) in place of AI codes.
    pub legacy: bool,
    /// Refuse query-string AIs that are unknown, invalid, repeated, key qualifiers or already in the path.
    pub strict_attributes: bool,
    /// Accept compressed Digital Links (a base64url last segment). Off by default: a URI
    /// that is not a Digital Link could be read as one by accident.
    pub compressed: bool,
}

impl ParseOptions {
    /// Strict attributes, no legacy names: what a resolver applies to a request.
    pub const STRICT: ParseOptions = ParseOptions {
        legacy: false,
        strict_attributes: true,
        compressed: true,
    };
}

/// The AI code of a Digital Link 1.0 short name (the "convenience alphas").
pub fn legacy_code(name: &str) -> Option<&'static str> {
    Some(match name {
        "sscc" => "00",
        "gtin" => "01",
        "lot" => "10",
        "ser" => "21",
        "cpv" => "22",
        "gdti" => "253",
        "glnx" => "254",
        "gcn" => "255",
        "ginc" => "401",
        "gsin" => "402",
        "gln" => "414",
        "payTo" => "415",
        "partyGln" => "417",
        "grai" => "8003",
        "giai" => "8004",
        "itip" => "8006",
        "cpid" => "8010",
        "gmn" => "8013",
        "gsrnp" => "8017",
        "gsrn" => "8018",
        _ => return None,
    })
}

/// Checks that `qualifiers` follow, in order and without repeats, one of the key's qualifier paths.
fn check_qualifiers(spec: &AiSpec, qualifiers: &[AiValue]) -> Result<(), Gs1Error> {
    if qualifiers.is_empty() {
        return Ok(());
    }
    let paths = spec.qualifier_paths();
    let fits = |path: &[&str]| fits_prefix(path, qualifiers);
    if paths.iter().any(|p| fits(p)) {
        return Ok(());
    }
    if let Some(q) = qualifiers
        .iter()
        .find(|q| !paths.iter().any(|p| p.contains(&q.ai)))
    {
        return Err(Gs1Error::QualifierNotAllowed {
            key: spec.code.into(),
            qualifier: q.ai.into(),
        });
    }
    // Every qualifier is known: name the first one that breaks the order.
    let culprit = (1..qualifiers.len())
        .find(|&n| !paths.iter().any(|p| fits_prefix(p, &qualifiers[..=n])))
        .map_or(qualifiers[0].ai, |n| qualifiers[n].ai);
    Err(Gs1Error::QualifierOrder {
        key: spec.code.into(),
        qualifier: culprit.into(),
        order: paths
            .iter()
            .map(|p| p.join(", "))
            .collect::<Vec<_>>()
            .join(" | "),
    })
}

/// Whether `qualifiers` appear in `path` in its order, each at most once.
fn fits_prefix(path: &[&str], qualifiers: &[AiValue]) -> bool {
    let mut next = 0;
    qualifiers
        .iter()
        .all(|q| match path[next..].iter().position(|a| *a == q.ai) {
            Some(i) => {
                next += i + 1;
                true
            }
            None => false,
        })
}

fn parse_query(query: &str) -> Result<Vec<(String, String)>, Gs1Error> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((percent_decode_strict(k)?, percent_decode_strict(v)?))
        })
        .collect()
}

/// Percent-encodes a value for a Digital Link path segment (canonical spelling).
pub fn encode_value(value: &str) -> String {
    utf8_percent_encode(value, DL_VALUE).to_string()
}

/// Percent-decodes, refusing a `%` not followed by two hex digits and escapes that are not UTF-8.
pub fn percent_decode_strict(text: &str) -> Result<String, Gs1Error> {
    let bytes = text.as_bytes();
    for (pos, _) in text.match_indices('%') {
        let ok = bytes.len() > pos + 2
            && bytes[pos + 1].is_ascii_hexdigit()
            && bytes[pos + 2].is_ascii_hexdigit();
        if !ok {
            return Err(Gs1Error::PercentEncoding {
                text: text.into(),
                pos,
            });
        }
    }
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|e| Gs1Error::PercentEncoding {
            text: text.into(),
            pos: e.valid_up_to(),
        })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(uri: &str) -> String {
        DigitalLink::parse(uri).unwrap().canonical()
    }

    #[test]
    fn any_domain_and_stem() {
        assert_eq!(
            canon("https://example.com/01/09520123456788/10/ABC/21/12345"),
            "https://id.gs1.org/01/09520123456788/10/ABC/21/12345"
        );
        assert_eq!(
            canon("http://brand.example.vn/shop/products/01/9520123456788/21/X1?17=261231&linkType=gs1:pip"),
            "https://id.gs1.org/01/09520123456788/21/X1"
        );
        assert_eq!(
            canon("HTTPS://id.gs1.org/414/0614141000005/254/A%2Fb"),
            "https://id.gs1.org/414/0614141000005/254/A%2Fb"
        );
        assert_eq!(
            canon("https://a.b/00/106141412345678908/"),
            "https://id.gs1.org/00/106141412345678908"
        );
        // A stem segment that is itself "01".
        assert_eq!(
            canon("https://a.b/01/01/09520123456788"),
            "https://id.gs1.org/01/09520123456788"
        );
    }

    #[test]
    fn short_gtins_padded() {
        assert_eq!(
            canon("https://a.b/01/8934567890120"),
            "https://id.gs1.org/01/08934567890120"
        );
        assert_eq!(
            canon("https://a.b/01/614141073467"),
            "https://id.gs1.org/01/00614141073467"
        );
        assert_eq!(
            canon("https://a.b/01/40123455"),
            "https://id.gs1.org/01/00000040123455"
        );
    }

    #[test]
    fn values_decoded_and_reencoded() {
        let dl = DigitalLink::parse("https://a.b/01/09520123456788/21/%41b%2a!c?17=261231&x=%20y")
            .unwrap();
        assert_eq!(dl.qualifier("21"), Some("Ab*!c"));
        assert_eq!(
            dl.canonical(),
            "https://id.gs1.org/01/09520123456788/21/Ab%2A%21c"
        );
        assert_eq!(
            dl.attributes,
            vec![
                ("17".to_string(), "261231".to_string()),
                ("x".to_string(), " y".to_string())
            ]
        );
        assert_eq!(
            dl.ai_attributes().unwrap(),
            vec![AiValue::new("17", "261231").unwrap()]
        );
        assert_eq!(
            dl.to_uri("https://brand.vn/p/"),
            "https://brand.vn/p/01/09520123456788/21/Ab%2A%21c?17=261231&x=%20y"
        );
    }

    #[test]
    fn qualifier_alternatives() {
        canon("https://a.b/01/09520123456788/22/V1/10/L1/21/S1");
        canon("https://a.b/01/09520123456788/22/V1/21/S1");
        canon("https://a.b/01/09520123456788/235/TPX1");
        canon("https://a.b/414/0614141000005/254/1");
        canon("https://a.b/8006/095201234567880102/22/V/10/L/21/S");
    }

    #[test]
    fn errors() {
        assert_eq!(
            DigitalLink::parse("https://a.b/01/09520123456788/21/S1/10/L1"),
            Err(Gs1Error::QualifierOrder {
                key: "01".into(),
                qualifier: "10".into(),
                order: "22, 10, 21 | 235".into()
            })
        );
        assert!(matches!(
            DigitalLink::parse("https://a.b/01/09520123456788/10/L/235/T"),
            Err(Gs1Error::QualifierOrder { .. })
        ));
        assert_eq!(
            DigitalLink::parse("https://a.b/00/106141412345678908/21/1"),
            Err(Gs1Error::QualifierNotAllowed {
                key: "00".into(),
                qualifier: "21".into()
            })
        );
        assert!(matches!(
            DigitalLink::parse("https://a.b/01/09520123456787"),
            Err(Gs1Error::CheckDigit {
                key: "GTIN",
                expected: 8,
                found: 7,
                ..
            })
        ));
        assert!(matches!(
            DigitalLink::parse("https://a.b/01/0952012345678"),
            Err(Gs1Error::CheckDigit { .. })
        ));
        assert!(matches!(
            DigitalLink::parse("https://a.b/01/095201234567888"),
            Err(Gs1Error::Length { found: 15, .. })
        ));
        assert_eq!(
            DigitalLink::parse("https://a.b/01/09520123456788/21/a%2"),
            Err(Gs1Error::PercentEncoding {
                text: "a%2".into(),
                pos: 1
            })
        );
        assert!(matches!(
            DigitalLink::parse("https://a.b/01/09520123456788/21/%C3%28"),
            Err(Gs1Error::PercentEncoding { .. })
        ));
        assert_eq!(
            DigitalLink::parse("https://a.b/01/09520123456788/99/x"),
            Err(Gs1Error::QualifierNotAllowed {
                key: "01".into(),
                qualifier: "99".into()
            })
        );
        assert_eq!(
            DigitalLink::parse("https://a.b/01/09520123456788/9999/x"),
            Err(Gs1Error::UnknownAi("9999".into()))
        );
        assert!(matches!(
            DigitalLink::parse("https://a.b/01/09520123456788/21/"),
            Err(Gs1Error::Length { .. }) | Err(Gs1Error::NotDigitalLink { .. })
        ));
        assert!(matches!(
            DigitalLink::parse("https://a.b/products/shoes"),
            Err(Gs1Error::NotDigitalLink { .. })
        ));
        assert!(matches!(
            DigitalLink::parse("urn:epc:id:sgtin:1.2.3"),
            Err(Gs1Error::NotDigitalLink { .. })
        ));
        // Serial too long for AI 21 (max 20).
        assert!(matches!(
            DigitalLink::parse("https://a.b/01/09520123456788/21/123456789012345678901"),
            Err(Gs1Error::Length { .. })
        ));
        // Characters outside set 82 in a serial.
        assert!(matches!(
            DigitalLink::parse("https://a.b/01/09520123456788/21/a%20b"),
            Err(Gs1Error::InvalidChar { .. })
        ));
    }
}
