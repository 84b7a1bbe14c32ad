//! Decompression of compressed GS1 Digital Links: the path (or its last segment, after
//! uncompressed `ai/value` pairs) is base64url text whose bits hold a sequence of
//! Application Identifiers and values.
//!
//! Layout, per element: the AI as hex digits (two, then one or two more for 3- and 4-digit
//! AIs, 4 bits each); then each run of fixed-length components of one kind: numeric as a
//! binary number of just enough bits for that many digits, non-numeric as a 3-bit encoding
//! indicator and the characters; variable-length components carry their length (enough
//! bits for the maximum) after the indicator (non-numeric) or first (numeric). Encodings:
//! `000` digits as one number, `001` lower-case hex, `010` upper-case hex, `011` base64url
//! characters, `100` 7-bit ASCII. Fewer than 8 bits left are padding. AI prefixes `A`–`F`
//! stand for optimised AI sequences, which this decoder refuses by name.

use crate::ai::{all_ais, AiSpec, Charset, Component};
use crate::dl::AiValue;
use crate::Gs1Error;

const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn err(text: &str, reason: impl Into<String>) -> Gs1Error {
    Gs1Error::NotDigitalLink {
        uri: text.to_string(),
        reason: format!("compressed Digital Link: {}", reason.into()),
    }
}

/// Whether `segment` could be a compressed Digital Link (base64url only, long enough to hold an AI).
pub fn looks_compressed(segment: &str) -> bool {
    segment.len() >= 2 && segment.bytes().all(|b| BASE64URL.contains(&b))
}

struct Bits {
    bits: Vec<bool>,
    pos: usize,
}

impl Bits {
    fn new(text: &str) -> Result<Bits, Gs1Error> {
        let mut bits = Vec::with_capacity(text.len() * 6);
        for (i, c) in text.bytes().enumerate() {
            let v = BASE64URL.iter().position(|&b| b == c).ok_or_else(|| {
                err(
                    text,
                    format!("character {:?} at {i} is not base64url", c as char),
                )
            })?;
            for k in (0..6).rev() {
                bits.push((v >> k) & 1 == 1);
            }
        }
        Ok(Bits { bits, pos: 0 })
    }

    fn left(&self) -> usize {
        self.bits.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Option<u128> {
        if n > 127 || self.left() < n {
            return None;
        }
        let mut v = 0u128;
        for _ in 0..n {
            v = (v << 1) | u128::from(self.bits[self.pos]);
            self.pos += 1;
        }
        Some(v)
    }
}

/// Bits needed for a number of `digits` decimal digits: the least b with 2^b ≥ 10^digits.
fn numeric_bits(digits: usize) -> usize {
    let limit = 10u128.pow(digits as u32);
    (0..128)
        .find(|b| 1u128.checked_shl(*b).is_none_or(|p| p >= limit))
        .unwrap_or(128) as usize
}

/// Bits that hold a length up to `max`.
fn length_bits(max: usize) -> usize {
    (usize::BITS - max.leading_zeros()) as usize
}

/// One encoded field: consecutive fixed-length components of one kind merge into one.
struct Field {
    numeric: bool,
    fixed: bool,
    len: usize,
}

fn fields(spec: &AiSpec) -> Vec<Field> {
    let mut out: Vec<Field> = Vec::new();
    for c in spec.components {
        let numeric = c.charset == Charset::Numeric;
        let fixed = is_fixed(c);
        match out.last_mut() {
            Some(f) if f.fixed && fixed && f.numeric == numeric => f.len += c.max as usize,
            _ => out.push(Field {
                numeric,
                fixed,
                len: c.max as usize,
            }),
        }
    }
    out
}

fn is_fixed(c: &Component) -> bool {
    c.min == c.max && !c.optional
}

/// The AI whose code starts with the two digits read, completed from the stream.
fn read_ai(text: &str, bits: &mut Bits) -> Result<&'static AiSpec, Gs1Error> {
    let hex = |v: u128| char::from_digit(v as u32, 16).unwrap_or('?');
    let a = bits.take(4).ok_or_else(|| err(text, "truncated"))?;
    let b = bits.take(4).ok_or_else(|| err(text, "truncated"))?;
    if a > 9 {
        return Err(err(
            text,
            format!(
                "optimised AI sequence code {}{} is not supported",
                hex(a).to_ascii_uppercase(),
                hex(b).to_ascii_uppercase()
            ),
        ));
    }
    if b > 9 {
        return Err(err(
            text,
            format!("AI prefix {}{} is not two digits", hex(a), hex(b)),
        ));
    }
    let prefix = format!("{a}{b}");
    let ais = all_ais();
    let width = ais
        .iter()
        .filter(|s| s.code.starts_with(&prefix))
        .map(|s| s.code.len())
        .min()
        .ok_or_else(|| Gs1Error::UnknownAi(format!("{prefix}…")))?;
    let mut code = prefix;
    for _ in 2..width {
        let d = bits.take(4).ok_or_else(|| err(text, "truncated AI"))?;
        if d > 9 {
            return Err(err(text, format!("AI {code}{} is not digits", hex(d))));
        }
        code.push(char::from(b'0' + d as u8));
    }
    crate::ai::ai(&code).ok_or(Gs1Error::UnknownAi(code))
}

fn read_digits(text: &str, bits: &mut Bits, n: usize) -> Result<String, Gs1Error> {
    let v = bits
        .take(numeric_bits(n))
        .ok_or_else(|| err(text, "truncated number"))?;
    let s = format!("{v:0n$}");
    if s.len() > n {
        return Err(err(text, format!("number {v} has more than {n} digits")));
    }
    Ok(s)
}

fn read_chars(text: &str, bits: &mut Bits, encoding: u128, n: usize) -> Result<String, Gs1Error> {
    let truncated = || err(text, "truncated value");
    match encoding {
        0 => read_digits(text, bits, n),
        1 | 2 => (0..n)
            .map(|_| {
                let v = bits.take(4).ok_or_else(truncated)? as u32;
                let c = char::from_digit(v, 16).ok_or_else(truncated)?;
                Ok(if encoding == 2 {
                    c.to_ascii_uppercase()
                } else {
                    c
                })
            })
            .collect(),
        3 => (0..n)
            .map(|_| {
                let v = bits.take(6).ok_or_else(truncated)? as usize;
                Ok(char::from(BASE64URL[v]))
            })
            .collect(),
        4 => (0..n)
            .map(|_| Ok(char::from(bits.take(7).ok_or_else(truncated)? as u8)))
            .collect(),
        other => Err(err(text, format!("unknown encoding indicator {other:03b}"))),
    }
}

/// The elements of a compressed Digital Link segment, each validated against its AI.
pub fn decompress(text: &str) -> Result<Vec<AiValue>, Gs1Error> {
    if !looks_compressed(text) {
        return Err(err(text, "not base64url"));
    }
    let mut bits = Bits::new(text)?;
    let mut out = Vec::new();
    while bits.left() >= 8 {
        let spec = read_ai(text, &mut bits)?;
        let mut value = String::new();
        for f in fields(spec) {
            let part = if f.numeric {
                let n = if f.fixed {
                    f.len
                } else {
                    bits.take(length_bits(f.len))
                        .ok_or_else(|| err(text, "truncated length"))? as usize
                };
                if n == 0 {
                    String::new()
                } else {
                    read_digits(text, &mut bits, n)?
                }
            } else {
                let encoding = bits
                    .take(3)
                    .ok_or_else(|| err(text, "truncated encoding"))?;
                let n = if f.fixed {
                    f.len
                } else {
                    bits.take(length_bits(f.len))
                        .ok_or_else(|| err(text, "truncated length"))? as usize
                };
                read_chars(text, &mut bits, encoding, n)?
            };
            value.push_str(&part);
        }
        out.push(AiValue::new(spec.code, &value)?);
    }
    if out.is_empty() {
        return Err(err(text, "no element"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        decompress(text)
            .unwrap()
            .into_iter()
            .map(|e| (e.ai.to_string(), e.value))
            .collect()
    }

    fn p(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, v)| (a.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn bit_budgets() {
        assert_eq!(numeric_bits(14), 47);
        assert_eq!(numeric_bits(13), 44);
        assert_eq!(numeric_bits(1), 4);
        assert_eq!(length_bits(20), 5);
        assert_eq!(length_bits(10), 4);
    }

    #[test]
    fn known_vectors() {
        assert_eq!(pairs("AQnYUc1gmg"), p(&[("01", "05412345000013")]));
        assert_eq!(pairs("AN2yxDhfaiaw"), p(&[("00", "998440410914660971")]));
        assert_eq!(
            pairs("AQnYUc1gmiCNV4JGQhcNT6K6c"),
            p(&[
                ("01", "05412345000013"),
                ("10", "ABC123"),
                ("21", "72292641703")
            ])
        );
        assert_eq!(
            pairs("AQnYUc1gmkax7ipGrOHDPC5YNI8hMz"),
            p(&[("01", "05412345000013"), ("235", "8TFV883a904GH&3")])
        );
        assert_eq!(pairs("JVUqG5hJ5wA"), p(&[("255", "5678409730535")]));
        assert_eq!(
            pairs("QUSaVjC_dHBAVlCrg"),
            p(&[("414", "5060917510004"), ("7040", "5KFX")])
        );
        assert_eq!(pairs("gAMJCAXukTMA"), p(&[("8003", "04965031954585")]));
        // Decodes to ITIP piece 02 of 01, which the AI's own rule refuses.
        assert!(matches!(
            decompress("gAYMBI_bNGwJk"),
            Err(Gs1Error::AiRule { .. })
        ));
        assert_eq!(
            pairs("gBe1ajAd9ATDmAGXPRfk"),
            p(&[("8017", "817019610850151481"), ("8019", "4003812")])
        );
        assert_eq!(pairs("EEarwSM"), p(&[("10", "ABC123")]));
    }

    #[test]
    fn refusals() {
        assert!(decompress("Dock1").is_err());
        assert!(decompress("a%b").is_err());
        // The last GTIN bit flipped: the check digit no longer fits.
        assert!(matches!(
            decompress("AQnYUc1gmA"),
            Err(Gs1Error::CheckDigit { .. })
        ));
        // An optimised sequence code is refused by name.
        let e = decompress("0000").unwrap_err().to_string();
        assert!(e.contains("optimised"), "{e}");
    }
}
