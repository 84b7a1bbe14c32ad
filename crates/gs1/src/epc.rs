//! EPC URNs (GS1 EPC Tag Data Standard): pure identities `urn:epc:id:…`, the
//! `urn:epc:class:lgtin:…` class, the GTIN-level class pattern
//! `urn:epc:idpat:sgtin:CP.IIR.*`, and their translation to and from Digital Links.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use crate::ai::Charset;
use crate::check::check_digit;
use crate::dl::{AiValue, DigitalLink};
use crate::prefix::CompanyPrefixLookup;
use crate::Gs1Error;

/// Characters TDS requires to be %-escaped inside URN components.
const URN_ESCAPE: &AsciiSet = &CONTROLS
    .add(b'"')
    .add(b'%')
    .add(b'&')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'#');

/// Where the company prefix sits in a digit key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lead {
    /// The key starts with the company prefix.
    None,
    /// The first digit of the URN's second component (indicator, extension) leads the key.
    Moved,
    /// The key starts with a fixed `0` (GRAI).
    Zero,
}

/// How the part after the company prefix is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    /// Digits: `digits` from the company prefix to just before the check digit.
    Digits { digits: usize, lead: Lead },
    /// Free text of a character set, straight after the prefix.
    Free(Charset),
}

/// What the last URN component (if any) becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tail {
    /// No further component.
    None,
    /// A Digital Link qualifier with this AI.
    Qualifier(&'static str),
    /// Appended to the key's own value (GRAI, GDTI, SGCN serials).
    Appended,
    /// The SGLN extension: `0` means none, otherwise AI 254.
    Extension,
}

/// One EPC scheme and its GS1 key layout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scheme {
    /// Scheme name in the URN.
    pub name: &'static str,
    /// URN namespace: `id` or `class`.
    pub namespace: &'static str,
    /// The primary key AI.
    pub ai: &'static str,
    /// Key name for messages.
    pub key: &'static str,
    /// The component after the company prefix.
    pub body: Body,
    /// ITIP's piece and total components (two digits each).
    pub pieces: bool,
    /// The last component.
    pub tail: Tail,
}

const fn digits(digits: usize, lead: Lead) -> Body {
    Body::Digits { digits, lead }
}

const fn scheme(
    name: &'static str,
    namespace: &'static str,
    ai: &'static str,
    key: &'static str,
    body: Body,
    tail: Tail,
) -> Scheme {
    Scheme {
        name,
        namespace,
        ai,
        key,
        body,
        pieces: false,
        tail,
    }
}

/// Every supported scheme.
pub(crate) static SCHEMES: &[Scheme] = &[
    scheme(
        "sgtin",
        "id",
        "01",
        "GTIN",
        digits(13, Lead::Moved),
        Tail::Qualifier("21"),
    ),
    scheme(
        "lgtin",
        "class",
        "01",
        "GTIN",
        digits(13, Lead::Moved),
        Tail::Qualifier("10"),
    ),
    scheme(
        "upui",
        "id",
        "01",
        "GTIN",
        digits(13, Lead::Moved),
        Tail::Qualifier("235"),
    ),
    scheme(
        "sscc",
        "id",
        "00",
        "SSCC",
        digits(17, Lead::Moved),
        Tail::None,
    ),
    scheme(
        "sgln",
        "id",
        "414",
        "GLN",
        digits(12, Lead::None),
        Tail::Extension,
    ),
    scheme(
        "pgln",
        "id",
        "417",
        "party GLN",
        digits(12, Lead::None),
        Tail::None,
    ),
    scheme(
        "grai",
        "id",
        "8003",
        "GRAI",
        digits(12, Lead::Zero),
        Tail::Appended,
    ),
    scheme(
        "giai",
        "id",
        "8004",
        "GIAI",
        Body::Free(Charset::Cset82),
        Tail::None,
    ),
    scheme(
        "gsrn",
        "id",
        "8018",
        "GSRN",
        digits(17, Lead::None),
        Tail::None,
    ),
    scheme(
        "gsrnp",
        "id",
        "8017",
        "GSRN-P",
        digits(17, Lead::None),
        Tail::None,
    ),
    scheme(
        "gdti",
        "id",
        "253",
        "GDTI",
        digits(12, Lead::None),
        Tail::Appended,
    ),
    scheme(
        "sgcn",
        "id",
        "255",
        "GCN",
        digits(12, Lead::None),
        Tail::Appended,
    ),
    scheme(
        "ginc",
        "id",
        "401",
        "GINC",
        Body::Free(Charset::Cset82),
        Tail::None,
    ),
    scheme(
        "gsin",
        "id",
        "402",
        "GSIN",
        digits(16, Lead::None),
        Tail::None,
    ),
    scheme(
        "cpi",
        "id",
        "8010",
        "CPID",
        Body::Free(Charset::Cset39),
        Tail::Qualifier("8011"),
    ),
    Scheme {
        name: "itip",
        namespace: "id",
        ai: "8006",
        key: "ITIP",
        body: digits(13, Lead::Moved),
        pieces: true,
        tail: Tail::Qualifier("21"),
    },
];

/// The scheme named `name`.
pub(crate) fn scheme_named(name: &str) -> Option<&'static Scheme> {
    SCHEMES.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// An EPC URN split into its namespace (`id`, `class`, `idpat`), scheme and components.
pub(crate) struct UrnParts<'a> {
    pub namespace: String,
    pub scheme: &'static Scheme,
    pub parts: Vec<&'a str>,
}

/// Splits `urn:epc:{namespace}:{scheme}:{a.b.c}`.
pub(crate) fn split_urn(urn: &str) -> Result<UrnParts<'_>, Gs1Error> {
    let bad = |reason: &str| invalid(urn, reason);
    let rest = urn
        .get(..8)
        .filter(|h| h.eq_ignore_ascii_case("urn:epc:"))
        .map(|_| &urn[8..])
        .ok_or_else(|| Gs1Error::NotGs1(urn.into()))?;
    let mut fields = rest.splitn(3, ':');
    let namespace = fields.next().unwrap_or("").to_ascii_lowercase();
    let scheme_name = fields.next().ok_or_else(|| bad("no scheme"))?;
    let body = fields.next().ok_or_else(|| bad("no components"))?;
    let scheme = scheme_named(scheme_name)
        .ok_or_else(|| Gs1Error::UnsupportedScheme(format!("{namespace}:{scheme_name}")))?;
    let expected_ns = match namespace.as_str() {
        "idpat" => scheme.namespace == "id" || scheme.name == "lgtin",
        ns => ns == scheme.namespace,
    };
    if !expected_ns {
        return Err(Gs1Error::UnsupportedScheme(format!(
            "{namespace}:{scheme_name}"
        )));
    }
    let expected = 2 + if scheme.pieces { 2 } else { 0 } + usize::from(scheme.tail != Tail::None);
    // `.` is a legal character of the last component (serials, GIAI references).
    let parts: Vec<&str> = body.splitn(expected, '.').collect();
    if parts.len() != expected {
        return Err(bad(&format!(
            "{} components, expected {expected}",
            parts.len()
        )));
    }
    Ok(UrnParts {
        namespace,
        scheme,
        parts,
    })
}

fn invalid(urn: &str, reason: &str) -> Gs1Error {
    Gs1Error::InvalidEpcUrn {
        urn: urn.into(),
        reason: reason.into(),
    }
}

/// Checks a component is all digits.
pub(crate) fn need_digits<'a>(urn: &str, part: &'a str, what: &str) -> Result<&'a str, Gs1Error> {
    match part.find(|c: char| !c.is_ascii_digit()) {
        None => Ok(part),
        Some(pos) => Err(invalid(
            urn,
            &format!("{what} {part:?}: not a digit at position {pos}"),
        )),
    }
}

/// Checks a company prefix: 6 to 12 digits (TDS).
pub(crate) fn need_prefix<'a>(
    urn: &str,
    cp: &'a str,
    key: &'static str,
) -> Result<&'a str, Gs1Error> {
    need_digits(urn, cp, "company prefix")?;
    if !(6..=12).contains(&cp.len()) {
        return Err(Gs1Error::CompanyPrefixLength {
            key,
            prefix: cp.into(),
            len: cp.len(),
        });
    }
    Ok(cp)
}

/// The key digits (with check digit) from a company prefix and the second component.
pub(crate) fn digit_key(
    urn: &str,
    scheme: &Scheme,
    cp: &str,
    reference: &str,
    total: usize,
    lead: Lead,
) -> Result<String, Gs1Error> {
    need_digits(urn, reference, "reference")?;
    if cp.len() + reference.len() != total || (lead == Lead::Moved && reference.is_empty()) {
        return Err(invalid(
            urn,
            &format!(
                "company prefix and reference have {} digits together, the {} needs {total}",
                cp.len() + reference.len(),
                scheme.key
            ),
        ));
    }
    let body = match lead {
        Lead::None => format!("{cp}{reference}"),
        Lead::Moved => format!("{}{cp}{}", &reference[..1], &reference[1..]),
        Lead::Zero => format!("0{cp}{reference}"),
    };
    // GRAI's leading zero is outside the checked digits.
    let checked = if lead == Lead::Zero {
        &body[1..]
    } else {
        &body[..]
    };
    Ok(format!("{body}{}", check_digit(checked)?))
}

/// Decodes TDS %-escapes in a component and checks its characters.
pub(crate) fn unescape(urn: &str, part: &str, charset: Charset) -> Result<String, Gs1Error> {
    if part.is_empty() {
        return Err(invalid(urn, "empty component"));
    }
    let text = crate::dl::percent_decode_strict(part)?;
    if let Some((pos, ch)) = text.char_indices().find(|(_, c)| !charset.contains(*c)) {
        return Err(Gs1Error::InvalidChar {
            what: format!("EPC URN component {part:?}"),
            pos,
            ch,
            charset: charset.name(),
        });
    }
    Ok(text)
}

/// Escapes a value for a URN component.
pub(crate) fn escape(value: &str) -> String {
    utf8_percent_encode(value, URN_ESCAPE).to_string()
}

/// Converts an EPC URN (pure identity, `lgtin` class, or GTIN-level `idpat:sgtin:CP.IIR.*`)
/// to a Digital Link.
pub fn urn_to_digital_link(urn: &str) -> Result<DigitalLink, Gs1Error> {
    let UrnParts {
        namespace,
        scheme,
        parts,
    } = split_urn(urn)?;
    let class_pattern = namespace == "idpat";
    if class_pattern && !(scheme.name == "sgtin" && parts[2] == "*") {
        return Err(invalid(
            urn,
            "only the GTIN class pattern CP.IIR.* names one identifier",
        ));
    }
    let cp = need_prefix(urn, parts[0], scheme.key)?;
    let mut value = match scheme.body {
        Body::Digits { digits, lead } => digit_key(urn, scheme, cp, parts[1], digits, lead)?,
        Body::Free(charset) => format!("{cp}{}", unescape(urn, parts[1], charset)?),
    };
    let mut next = 2;
    if scheme.pieces {
        for what in ["piece", "total"] {
            let p = need_digits(urn, parts[next], what)?;
            if p.len() != 2 {
                return Err(invalid(urn, &format!("{what} must be 2 digits")));
            }
            value.push_str(p);
            next += 1;
        }
    }
    let mut qualifiers = Vec::new();
    match scheme.tail {
        Tail::None => {}
        _ if class_pattern => {}
        Tail::Qualifier(ai) => {
            let charset = if ai == "8011" {
                Charset::Numeric
            } else {
                Charset::Cset82
            };
            qualifiers.push(AiValue::new(ai, &unescape(urn, parts[next], charset)?)?);
        }
        Tail::Appended => value.push_str(&unescape(urn, parts[next], Charset::Cset82)?),
        Tail::Extension => {
            if parts[next] != "0" {
                let ext = unescape(urn, parts[next], Charset::Cset82)?;
                qualifiers.push(AiValue::new("254", &ext)?);
            }
        }
    }
    DigitalLink::new(AiValue::new(scheme.ai, &value)?, qualifiers)
}

/// The scheme and URN namespace a Digital Link maps to, if any.
fn scheme_for(dl: &DigitalLink) -> Result<(&'static Scheme, &'static str), Gs1Error> {
    let quals: Vec<&str> = dl.qualifiers.iter().map(|q| q.ai).collect();
    let no_epc = || Gs1Error::NoEpcForm {
        what: format!("Digital Link {}", dl.canonical()),
    };
    let name = match (dl.primary.ai, quals.as_slice()) {
        ("01", []) => return Ok((scheme_named("sgtin").ok_or_else(no_epc)?, "idpat")),
        ("01", ["21"]) => "sgtin",
        ("01", ["10"]) => "lgtin",
        ("01", ["235"]) => "upui",
        ("414", [] | ["254"]) => "sgln",
        ("8006", ["21"]) => "itip",
        ("8010", ["8011"]) => "cpi",
        (ai, []) => SCHEMES
            .iter()
            .find(|s| s.ai == ai && s.tail != Tail::Qualifier("21"))
            .map(|s| s.name)
            .ok_or_else(no_epc)?,
        _ => return Err(no_epc()),
    };
    let scheme = scheme_named(name).ok_or_else(no_epc)?;
    Ok((scheme, scheme.namespace))
}

/// Converts a Digital Link to an EPC URN, splitting keys at the company prefix from `prefixes`.
pub fn digital_link_to_urn(
    dl: &DigitalLink,
    prefixes: &dyn CompanyPrefixLookup,
) -> Result<String, Gs1Error> {
    let (scheme, namespace) = scheme_for(dl)?;
    let value = dl.primary.value.as_str();
    let start = match scheme.body {
        Body::Digits {
            lead: Lead::Moved | Lead::Zero,
            ..
        } => 1,
        _ => 0,
    };
    // The fields are public, so a hand-built Digital Link may break the key layout:
    // every slice below is checked rather than trusted.
    let piece = |a: usize, b: usize| {
        value.get(a..b).ok_or_else(|| Gs1Error::Length {
            what: scheme.key.into(),
            found: value.len(),
            expected: format!("at least {b}"),
        })
    };
    let key_digits = piece(start, value.len())?;
    let unknown = || Gs1Error::UnknownCompanyPrefix {
        key: scheme.key,
        digits: value.into(),
    };
    let n = prefixes.prefix_len(key_digits).ok_or_else(unknown)?;
    let cp = key_digits.get(..n).ok_or_else(unknown)?;
    if !(6..=12).contains(&n) || !cp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Gs1Error::CompanyPrefixLength {
            key: scheme.key,
            prefix: cp.into(),
            len: n,
        });
    }
    let mut parts = vec![cp.to_string()];
    let mut rest_at = start + n;
    match scheme.body {
        Body::Digits { digits, lead } => {
            // The moved digit is counted in `digits`; GRAI's fixed zero is not.
            let end = digits + usize::from(lead == Lead::Zero);
            if rest_at > end {
                return Err(Gs1Error::CompanyPrefixLength {
                    key: scheme.key,
                    prefix: cp.into(),
                    len: n,
                });
            }
            let reference = piece(rest_at, end)?;
            parts.push(match lead {
                Lead::Moved => format!("{}{reference}", piece(0, 1)?),
                _ => reference.to_string(),
            });
            rest_at = end + 1;
        }
        Body::Free(_) => {
            if rest_at >= value.len() {
                return Err(Gs1Error::NoEpcForm {
                    what: format!("{} {value} without reference", scheme.key),
                });
            }
            parts.push(escape(piece(rest_at, value.len())?));
            rest_at = value.len();
        }
    }
    if scheme.pieces {
        parts.push(piece(rest_at, rest_at + 2)?.to_string());
        parts.push(piece(rest_at + 2, rest_at + 4)?.to_string());
    }
    match scheme.tail {
        Tail::None => {}
        _ if namespace == "idpat" => parts.push("*".into()),
        Tail::Qualifier(ai) => parts.push(escape(dl.qualifier(ai).unwrap_or_default())),
        Tail::Appended => {
            let serial = value.get(rest_at..).unwrap_or_default();
            if serial.is_empty() {
                return Err(Gs1Error::NoEpcForm {
                    what: format!("{} {value} without serial", scheme.key),
                });
            }
            parts.push(escape(serial));
        }
        Tail::Extension => parts.push(dl.qualifier("254").map_or_else(|| "0".into(), escape)),
    }
    Ok(format!(
        "urn:epc:{namespace}:{}:{}",
        scheme.name,
        parts.join(".")
    ))
}
