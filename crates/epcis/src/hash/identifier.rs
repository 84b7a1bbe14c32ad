//! GS1 identifiers in their hash form: the *constrained* canonical GS1 Digital Link
//! (CBV 2.0 §8.9 rules 17 and 18). The conversion to a canonical Digital Link is the
//! `gs1` crate's; this module only narrows it to what the hash keeps.

use crate::ids::CanonicalIds;

/// The hash form of `text` if it is a GS1 identifier (EPC URN, EPC class or pattern URN,
/// or Digital Link), else `None`.
#[cfg(test)]
pub(crate) fn canonical_identifier(text: &str) -> Option<String> {
    canonical_identifier_with(text, &CanonicalIds::default())
}

/// [`canonical_identifier`], taking the Digital Link from `ids` when validation kept it.
pub(crate) fn canonical_identifier_with(text: &str, ids: &CanonicalIds) -> Option<String> {
    let converted;
    let canonical: &str = if text.starts_with("urn:epc:id:") || text.starts_with("urn:epc:class:") {
        match ids.digital_link(text) {
            Some(dl) => dl,
            None => {
                converted = gs1::to_digital_link(text).ok()?;
                &converted
            }
        }
    } else if text.starts_with("urn:epc:idpat:") {
        converted = pattern_class(text)?;
        &converted
    } else if text.starts_with("https://") || text.starts_with("http://") {
        let keyed = with_numeric_keys(text);
        match ids.digital_link(&keyed) {
            Some(dl) => dl,
            None => {
                converted = gs1::to_digital_link(&keyed).ok()?;
                &converted
            }
        }
    } else {
        return None;
    };
    constrain(canonical)
}

/// A pattern URN that fixes everything but the serial (`urn:epc:idpat:sgtin:4012345.066666.*`)
/// names a class, whose hash form is the Digital Link of the key alone.
fn pattern_class(text: &str) -> Option<String> {
    let body = text.strip_prefix("urn:epc:idpat:")?.strip_suffix(".*")?;
    if body.contains('*') {
        return None;
    }
    // Convert one member (placeholder serial `0`), then drop the placeholder again: it is
    // either its own `/ai/0` pair or, for keys whose serial is part of the key value
    // (GRAI, GDTI, SGCN), the value's last character.
    let member = gs1::to_digital_link(&format!("urn:epc:id:{body}.0")).ok()?;
    let path = member.strip_prefix(CANONICAL_ROOT)?;
    let segments: Vec<&str> = path.split('/').collect();
    match segments.as_slice() {
        [ai, value] => Some(format!("{CANONICAL_ROOT}{ai}/{}", value.strip_suffix('0')?)),
        [head @ .., _, "0"] if head.len() >= 2 => {
            Some(format!("{CANONICAL_ROOT}{}", head.join("/")))
        }
        _ => None,
    }
}

/// The short key names of GS1 Digital Link 1.0 (`/gtin/…`, `/ser/…`) as numeric AIs,
/// so that older links parse; the canonical form only knows the numbers.
fn with_numeric_keys(uri: &str) -> std::borrow::Cow<'_, str> {
    const SHORT_NAMES: [(&str, &str); 17] = [
        ("gtin", "01"),
        ("itip", "8006"),
        ("cpid", "8010"),
        ("gln", "414"),
        ("party", "417"),
        ("gsrnp", "8017"),
        ("gsrn", "8018"),
        ("gcn", "255"),
        ("sscc", "00"),
        ("gdti", "253"),
        ("ginc", "401"),
        ("gsin", "402"),
        ("grai", "8003"),
        ("giai", "8004"),
        ("cpv", "22"),
        ("lot", "10"),
        ("ser", "21"),
    ];
    let (base, query) = match uri.find(['?', '#']) {
        Some(i) => uri.split_at(i),
        None => (uri, ""),
    };
    let mut segments: Vec<&str> = base.split('/').collect();
    let lookup = |segment: &str| {
        SHORT_NAMES
            .iter()
            .find(|(name, _)| *name == segment)
            .map(|(_, ai)| *ai)
    };
    // After scheme, empty and authority, the first primary key (short or numeric) starts
    // the key/value pairs; only key positions are renamed, never values.
    let is_primary = |segment: &str| {
        let ai = lookup(segment).unwrap_or(segment);
        PRIMARY_KEYS.contains(&ai) && !matches!(segment, "cpv" | "lot" | "ser")
    };
    let Some(first) = (3..segments.len()).find(|&i| is_primary(segments[i])) else {
        return std::borrow::Cow::Borrowed(uri);
    };
    let mut changed = false;
    for i in (first..segments.len()).step_by(2) {
        if let Some(ai) = lookup(segments[i]) {
            segments[i] = ai;
            changed = true;
        }
    }
    if changed {
        std::borrow::Cow::Owned(format!("{}{query}", segments.join("/")))
    } else {
        std::borrow::Cow::Borrowed(uri)
    }
}

/// Which key qualifiers survive for a primary key, most specific first: only the finest
/// level of identification is kept (a serial drops the lot; CPV is always dropped).
fn kept_qualifiers(primary_ai: &str) -> &'static [&'static str] {
    match primary_ai {
        "01" => &["21", "235", "10"],
        "8006" => &["21", "10"],
        "414" => &["254"],
        "8010" => &["8011"],
        _ => &[],
    }
}

/// The AIs of GS1 primary keys that may start a Digital Link path.
const PRIMARY_KEYS: [&str; 14] = [
    "00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8017",
    "8018",
];

const CANONICAL_ROOT: &str = "https://id.gs1.org/";

/// Strips the query string and fragment and keeps the primary key plus at most one
/// qualifier; `None` if `dl` is not a canonical Digital Link.
fn constrain(dl: &str) -> Option<String> {
    let without_query = dl.split(['?', '#']).next().unwrap_or(dl);
    let path = without_query.strip_prefix(CANONICAL_ROOT)?;
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    if !segments.len().is_multiple_of(2) {
        return None;
    }
    let (primary_ai, primary_value) = (*segments.first()?, *segments.get(1)?);
    let qualifiers = segments.get(2..).unwrap_or_default();
    let qualifier = kept_qualifiers(primary_ai).iter().find_map(|wanted| {
        qualifiers
            .chunks_exact(2)
            .find(|pair| pair[0] == *wanted)
            .map(|pair| (pair[0], pair[1]))
    });
    // One buffer: this runs for every identifier of every hashed event.
    let mut out = String::with_capacity(without_query.len());
    out.push_str(CANONICAL_ROOT);
    out.push_str(primary_ai);
    out.push('/');
    out.push_str(primary_value);
    if let Some((ai, value)) = qualifier {
        out.push('/');
        out.push_str(ai);
        out.push('/');
        out.push_str(value);
    }
    // The hash keeps `'` literal (a sub-delimiter, legal in a path segment) where the
    // canonical Digital Link escapes it.
    if out.contains("%27") {
        out = out.replace("%27", "'");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{canonical_identifier, constrain, with_numeric_keys};

    /// Facts from GS1's `epclist_normalisation` and `epcisDocWithAllGS1Keys` vectors.
    #[test]
    fn identifiers_in_hash_form() {
        let cases = [
            (
                "urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()",
                "https://id.gs1.org/01/80614141123458/21/6789%2F%26%25%22%21%3F%28%29",
            ),
            (
                "urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB",
                "https://id.gs1.org/01/01234567987651/235/51qIgY%29%3C%26Jp3%2Aj7'SDB",
            ),
            (
                "urn:epc:id:grai:4012345.00022.334455",
                "https://id.gs1.org/8003/04012345000221334455",
            ),
            (
                "urn:epc:id:sgln:4012345.00005.0",
                "https://id.gs1.org/414/4012345000054",
            ),
            (
                "urn:epc:class:lgtin:4012345.012345.Lot987",
                "https://id.gs1.org/01/04012345123456/10/Lot987",
            ),
            (
                "https://example.com/gtin/09780345418913/21/765tz?abc=211121",
                "https://id.gs1.org/01/09780345418913/21/765tz",
            ),
            (
                "https://id.gs1.org/gtin/09780345418913",
                "https://id.gs1.org/01/09780345418913",
            ),
            (
                "urn:epc:idpat:sgtin:4054739.099914.*",
                "https://id.gs1.org/01/04054739999148",
            ),
            (
                "urn:epc:idpat:grai:4012345.66666.*",
                "https://id.gs1.org/8003/04012345666663",
            ),
            (
                "urn:epc:idpat:cpi:4012345.ABC.*",
                "https://id.gs1.org/8010/4012345ABC",
            ),
            (
                "urn:epc:idpat:itip:4012345.012345.01.02.*",
                "https://id.gs1.org/8006/040123451234560102",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                canonical_identifier(input).as_deref(),
                Some(expected),
                "{input}"
            );
        }
        for other in [
            "urn:epcglobal:cbv:bt:0614141073467:1152",
            "geo:50.9,6.9",
            "https://example.com/page",
            "urn:epc:idpat:sgtin:4054739.*.*",
        ] {
            assert_eq!(canonical_identifier(other), None, "{other}");
        }
    }

    #[test]
    fn short_key_names_become_numbers() {
        assert_eq!(
            with_numeric_keys("https://example.com/gtin/09780345418913/ser/lot?x=1"),
            "https://example.com/01/09780345418913/21/lot?x=1"
        );
        assert_eq!(
            with_numeric_keys("https://id.gs1.org/01/1/21/gtin"),
            "https://id.gs1.org/01/1/21/gtin"
        );
    }

    #[test]
    fn keeps_only_the_finest_level() {
        assert_eq!(
            constrain("https://id.gs1.org/01/09780345418913/10/LOT1/21/765tz?abc=1").as_deref(),
            Some("https://id.gs1.org/01/09780345418913/21/765tz")
        );
        assert_eq!(
            constrain("https://id.gs1.org/01/09780345418913/22/CPV/10/L1").as_deref(),
            Some("https://id.gs1.org/01/09780345418913/10/L1")
        );
        assert_eq!(
            constrain("https://id.gs1.org/414/4012345000054/254/122").as_deref(),
            Some("https://id.gs1.org/414/4012345000054/254/122")
        );
        assert_eq!(
            constrain("https://id.gs1.org/00/340123451111111111").as_deref(),
            Some("https://id.gs1.org/00/340123451111111111")
        );
    }

    #[test]
    fn refuses_non_canonical() {
        assert_eq!(constrain("https://example.com/01/09780345418913"), None);
        assert_eq!(constrain("https://id.gs1.org/01"), None);
    }
}
