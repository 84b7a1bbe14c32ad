//! GS1 element strings: bracketed `(01)…(10)…` and unbracketed with FNC1 (GS) separators,
//! and their translation to and from Digital Links.

use crate::ai::ai;
use crate::dl::{AiValue, DigitalLink};
use crate::Gs1Error;

/// The ASCII group separator that stands for FNC1 between variable-length fields.
pub const GS: char = '\u{1d}';

/// Parses an element string, bracketed (`(01)09520123456788(10)ABC`; a literal `(` in a
/// value is written `\(`) or unbracketed (AIs run together, variable-length values
/// ended by GS). A leading symbology identifier (`]C1`, `]d2`, `]Q3`, `]e0`) is skipped.
pub fn parse_element_string(text: &str) -> Result<Vec<AiValue>, Gs1Error> {
    let (offset, body) = match text.strip_prefix(']') {
        Some(rest) if rest.len() >= 2 && rest.is_char_boundary(2) => (3, &rest[2..]),
        _ => (0, text),
    };
    let body = body.strip_prefix(GS).unwrap_or(body);
    let elements = if body.starts_with('(') {
        parse_bracketed(body, offset)?
    } else {
        parse_unbracketed(body, offset)?
    };
    if elements.is_empty() {
        return Err(Gs1Error::ElementString {
            pos: offset,
            reason: "no element".into(),
        });
    }
    Ok(elements)
}

fn parse_bracketed(text: &str, offset: usize) -> Result<Vec<AiValue>, Gs1Error> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '(' {
            return Err(Gs1Error::ElementString {
                pos: offset + i,
                reason: "expected `(`".into(),
            });
        }
        let close = chars[i..]
            .iter()
            .position(|c| *c == ')')
            .map(|p| i + p)
            .ok_or_else(|| Gs1Error::ElementString {
                pos: offset + i,
                reason: "unclosed `(`".into(),
            })?;
        let code: String = chars[i + 1..close].iter().collect();
        let mut value = String::new();
        let mut j = close + 1;
        while j < chars.len() && chars[j] != '(' {
            if chars[j] == '\\' && chars.get(j + 1) == Some(&'(') {
                j += 1;
            }
            value.push(chars[j]);
            j += 1;
        }
        out.push(element(&code, &value, offset + i)?);
        i = j;
    }
    Ok(out)
}

fn parse_unbracketed(text: &str, offset: usize) -> Result<Vec<AiValue>, Gs1Error> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let pos = offset + text.len() - rest.len();
        // AIs are prefix-free, so the first 2, 3 or 4 digits that name an AI are the AI.
        let spec = (2..=4)
            .filter_map(|n| rest.get(..n).and_then(ai))
            .next()
            .ok_or_else(|| Gs1Error::ElementString {
                pos,
                reason: format!(
                    "no known AI at {:?}",
                    rest.chars().take(4).collect::<String>()
                ),
            })?;
        let after = &rest[spec.code.len()..];
        let (value, next) = if spec.predefined_length {
            let n = spec.max_length();
            let v = after.get(..n).ok_or_else(|| Gs1Error::ElementString {
                pos,
                reason: format!("AI ({}) needs {n} characters", spec.code),
            })?;
            (v, &after[n..])
        } else {
            match after.find(GS) {
                Some(g) => (&after[..g], &after[g + GS.len_utf8()..]),
                None => (after, ""),
            }
        };
        let next = next.strip_prefix(GS).unwrap_or(next);
        out.push(element(spec.code, value, pos)?);
        rest = next;
    }
    Ok(out)
}

fn element(code: &str, value: &str, pos: usize) -> Result<AiValue, Gs1Error> {
    let spec = ai(code).ok_or_else(|| Gs1Error::UnknownAi(code.into()))?;
    // In an element string a GTIN is always 14 digits: no padding here.
    spec.validate(value).map_err(|e| match e {
        Gs1Error::UnknownAi(_) => Gs1Error::ElementString {
            pos,
            reason: e.to_string(),
        },
        other => other,
    })?;
    Ok(AiValue {
        ai: spec.code,
        value: value.into(),
    })
}

/// Formats elements as a bracketed element string (a `(` in a value is written `\(`).
pub fn format_bracketed(elements: &[AiValue]) -> String {
    elements
        .iter()
        .map(|e| format!("({}){}", e.ai, e.value.replace('(', "\\(")))
        .collect()
}

/// Formats elements as an unbracketed element string: GS after every variable-length
/// value except the last.
pub fn format_unbracketed(elements: &[AiValue]) -> String {
    let mut out = String::new();
    for (i, e) in elements.iter().enumerate() {
        out.push_str(e.ai);
        out.push_str(&e.value);
        let predefined = ai(e.ai).is_some_and(|s| s.predefined_length);
        if !predefined && i + 1 < elements.len() {
            out.push(GS);
        }
    }
    out
}

impl DigitalLink {
    /// Builds a Digital Link from element-string elements: the first primary key found,
    /// the qualifiers of one of its qualifier paths, and every other element as a data attribute.
    pub fn from_elements(elements: &[AiValue]) -> Result<Self, Gs1Error> {
        let primary = elements
            .iter()
            .find(|e| ai(e.ai).is_some_and(|s| s.is_primary_key()))
            .ok_or_else(|| Gs1Error::NotDigitalLink {
                uri: format_bracketed(elements),
                reason: "no primary key AI".into(),
            })?;
        let paths = ai(primary.ai).map(|s| s.qualifier_paths()).unwrap_or(&[]);
        // Pick the qualifier path that covers the most of the elements present.
        let path = paths
            .iter()
            .max_by_key(|p| elements.iter().filter(|e| p.contains(&e.ai)).count())
            .copied()
            .unwrap_or(&[]);
        let qualifiers: Vec<AiValue> = path
            .iter()
            .filter_map(|q| elements.iter().find(|e| e.ai == *q).cloned())
            .collect();
        let mut dl = DigitalLink::new(primary.clone(), qualifiers)?;
        dl.attributes = elements
            .iter()
            .filter(|e| e.ai != primary.ai && !path.contains(&e.ai))
            .map(|e| (e.ai.to_string(), e.value.clone()))
            .collect();
        Ok(dl)
    }

    /// The elements of this Digital Link: primary key, qualifiers, then AI data attributes.
    pub fn to_elements(&self) -> Result<Vec<AiValue>, Gs1Error> {
        let mut out = vec![self.primary.clone()];
        out.extend(self.qualifiers.iter().cloned());
        out.extend(self.ai_attributes()?);
        Ok(out)
    }
}

/// Parses an element string into a Digital Link (see [`DigitalLink::from_elements`]).
pub fn element_string_to_digital_link(text: &str) -> Result<DigitalLink, Gs1Error> {
    DigitalLink::from_elements(&parse_element_string(text)?)
}

/// The bracketed element string of a Digital Link (any domain).
pub fn digital_link_to_element_string(uri: &str) -> Result<String, Gs1Error> {
    Ok(format_bracketed(&DigitalLink::parse(uri)?.to_elements()?))
}
