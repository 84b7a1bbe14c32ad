//! EPC pattern URNs (`urn:epc:idpat:…`) as SQL `LIKE` patterns over canonical Digital Links.

use crate::ai::Charset;
use crate::dl::{encode_value, CANONICAL_BASE};
use crate::epc::{digit_key, need_digits, need_prefix, split_urn, unescape, Body, Lead, Tail};
use crate::Gs1Error;

/// Escapes `LIKE` metacharacters with `\`.
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A decoded value as it appears in a canonical Digital Link, `LIKE`-escaped.
fn like_value(value: &str) -> String {
    like_literal(&encode_value(value))
}

/// Translates an `urn:epc:idpat:` pattern (see [`crate::pattern_to_like`]).
pub(crate) fn to_like(pattern: &str) -> Result<String, Gs1Error> {
    let urn = pattern;
    let p = split_urn(urn)?;
    if p.namespace != "idpat" {
        return Err(Gs1Error::InvalidEpcUrn {
            urn: urn.into(),
            reason: "not a pattern URN".into(),
        });
    }
    // TDS patterns wildcard whole components, and only from some component to the end.
    if let Some(first) = p.parts.iter().position(|c| *c == "*") {
        if p.parts[first..].iter().any(|c| *c != "*") {
            return Err(Gs1Error::InvalidEpcUrn {
                urn: urn.into(),
                reason: "a component after `*` must also be `*`".into(),
            });
        }
    }
    let scheme = p.scheme;
    let star = |i: usize| p.parts[i] == "*";
    let mut out = format!("{CANONICAL_BASE}/{}/", scheme.ai);
    let cp = if star(0) {
        None
    } else {
        Some(need_prefix(urn, p.parts[0], scheme.key)?)
    };
    match scheme.body {
        Body::Digits { digits, lead } => {
            // The moved digit (indicator, extension) counts among `digits`; the fixed
            // GRAI zero does not. Every unknown digit, check digit included, is one `_`.
            let moved = usize::from(lead == Lead::Moved);
            let (lead_str, all_unknown) = match lead {
                Lead::None => ("", digits + 1),
                Lead::Moved => ("_", digits),
                Lead::Zero => ("0", digits + 1),
            };
            match cp {
                None => {
                    out.push_str(lead_str);
                    out.push_str(&"_".repeat(all_unknown));
                }
                Some(cp) if star(1) => {
                    if cp.len() + moved > digits {
                        return Err(Gs1Error::CompanyPrefixLength {
                            key: scheme.key,
                            prefix: cp.into(),
                            len: cp.len(),
                        });
                    }
                    out.push_str(lead_str);
                    out.push_str(cp);
                    out.push_str(&"_".repeat(digits + 1 - moved - cp.len()));
                }
                Some(cp) => {
                    let key = digit_key(urn, scheme, cp, p.parts[1], digits, lead)?;
                    out.push_str(&key);
                }
            }
        }
        Body::Free(charset) => match cp {
            None => out.push('%'),
            Some(cp) if star(1) => {
                out.push_str(cp);
                out.push('%');
            }
            Some(cp) => {
                out.push_str(cp);
                out.push_str(&like_value(&unescape(urn, p.parts[1], charset)?));
            }
        },
    }
    let mut next = 2;
    if scheme.pieces {
        for what in ["piece", "total"] {
            if star(next) {
                out.push_str("__");
            } else {
                let d = need_digits(urn, p.parts[next], what)?;
                if d.len() != 2 {
                    return Err(Gs1Error::InvalidEpcUrn {
                        urn: urn.into(),
                        reason: format!("{what} must be 2 digits"),
                    });
                }
                out.push_str(d);
            }
            next += 1;
        }
    }
    match scheme.tail {
        Tail::None => {}
        Tail::Qualifier(ai) => {
            out.push_str(&format!("/{ai}/"));
            if star(next) {
                out.push('%');
            } else {
                out.push_str(&like_value(&unescape(urn, p.parts[next], Charset::Cset82)?));
            }
        }
        Tail::Appended => {
            if star(next) {
                out.push('%');
            } else {
                out.push_str(&like_value(&unescape(urn, p.parts[next], Charset::Cset82)?));
            }
        }
        // An unknown extension matches both the bare GLN and any `/254/…`.
        Tail::Extension if star(next) => out.push('%'),
        Tail::Extension if p.parts[next] == "0" => {}
        Tail::Extension => {
            out.push_str("/254/");
            out.push_str(&like_value(&unescape(urn, p.parts[next], Charset::Cset82)?));
        }
    }
    Ok(out)
}
