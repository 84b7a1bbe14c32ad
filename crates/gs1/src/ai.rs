//! Application Identifiers: the spec of each AI and validation of a value against it.

use crate::ai_table::AI_TABLE;
use crate::Gs1Error;

/// Character set of one component of an AI value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// Digits only (`N`).
    Numeric,
    /// GS1 AI encodable character set 82 (`X`).
    Cset82,
    /// GS1 AI encodable character set 39 (`Y`): `#`, `-`, `/`, digits, upper case.
    Cset39,
    /// Base64url alphabet (`Z`), with `=` padding.
    Base64Url,
}

impl Charset {
    /// Whether `c` belongs to the set.
    pub fn contains(self, c: char) -> bool {
        match self {
            Charset::Numeric => c.is_ascii_digit(),
            Charset::Cset82 => c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c),
            Charset::Cset39 => c.is_ascii_digit() || c.is_ascii_uppercase() || "#-/".contains(c),
            Charset::Base64Url => c.is_ascii_alphanumeric() || "-_=".contains(c),
        }
    }

    /// Short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Charset::Numeric => "digits",
            Charset::Cset82 => "GS1 character set 82",
            Charset::Cset39 => "GS1 character set 39",
            Charset::Base64Url => "base64url",
        }
    }
}

/// One component of an AI's data field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    /// Allowed characters.
    pub charset: Charset,
    /// Minimum length (equal to `max` for fixed-length components).
    pub min: u8,
    /// Maximum length.
    pub max: u8,
    /// Whether the component may be absent (only trailing components are).
    pub optional: bool,
    /// Names of the GS1 content rules ("linters") that apply, e.g. `csum`, `yymmd0`.
    pub linters: &'static [&'static str],
}

/// The rules of one Application Identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AiSpec {
    /// The AI code, e.g. `"01"`.
    pub code: &'static str,
    /// The data title, e.g. `"GTIN"`.
    pub title: &'static str,
    /// Pre-defined length AI: no FNC1 separator needed after it in element strings.
    pub predefined_length: bool,
    /// Allowed as a Digital Link data attribute (query string).
    pub dl_data_attribute: bool,
    /// The components of the data field, in order.
    pub components: &'static [Component],
    /// `Some` for Digital Link primary keys: the alternative ordered qualifier
    /// sequences (empty slice: no qualifiers accepted).
    pub dl_primary_key: Option<&'static [&'static [&'static str]]>,
    /// AIs (or `+`-joined groups, `n`-patterns) of which one must accompany this AI.
    pub requires: &'static [&'static str],
    /// AIs (or `n`-patterns) this AI must not be combined with.
    pub excludes: &'static [&'static str],
}

/// The spec of AI `code`, if it exists.
pub fn ai(code: &str) -> Option<&'static AiSpec> {
    // Every Digital Link segment and EPC conversion looks AIs up, so this is a direct
    // index rather than a search over the table's strings.
    let slot = ai_slot(code)?;
    let index = AI_INDEX.get_or_init(build_ai_index);
    match index.get(slot).copied() {
        Some(NO_AI) | None => None,
        Some(i) => AI_TABLE.get(usize::from(i)),
    }
}

/// Marks a slot of [`AI_INDEX`] that no AI occupies.
const NO_AI: u16 = u16::MAX;

/// Position in [`AI_TABLE`] of each possible AI code, by [`ai_slot`].
static AI_INDEX: std::sync::OnceLock<Box<[u16]>> = std::sync::OnceLock::new();

/// A distinct slot for every code of 2 to 4 digits (AI codes are all of that form):
/// 2 digits at 0..100, 3 at 100..1100, 4 at 1100..11100.
fn ai_slot(code: &str) -> Option<usize> {
    let b = code.as_bytes();
    if !(2..=4).contains(&b.len()) || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = b.iter().fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
    Some(match b.len() {
        2 => n,
        3 => 100 + n,
        _ => 1100 + n,
    })
}

fn build_ai_index() -> Box<[u16]> {
    let mut index = vec![NO_AI; 11_100].into_boxed_slice();
    for (i, spec) in AI_TABLE.iter().enumerate() {
        if let (Some(slot), Ok(i)) = (ai_slot(spec.code), u16::try_from(i)) {
            index[slot] = i;
        }
    }
    index
}

/// All AIs, sorted by code.
pub fn all_ais() -> &'static [AiSpec] {
    AI_TABLE
}

/// Validates `value` against AI `code`.
pub fn validate(code: &str, value: &str) -> Result<(), Gs1Error> {
    ai(code)
        .ok_or_else(|| Gs1Error::UnknownAi(code.into()))?
        .validate(value)
}

/// The name of a GS1 key for messages: the key's acronym for key AIs, the data title otherwise.
pub fn key_name(code: &str) -> &'static str {
    match code {
        "00" => "SSCC",
        "01" | "02" | "03" => "GTIN",
        "253" => "GDTI",
        "255" => "GCN",
        "401" => "GINC",
        "402" => "GSIN",
        "410" | "411" | "412" | "413" | "414" | "415" | "416" => "GLN",
        "417" => "party GLN",
        "8003" => "GRAI",
        "8004" => "GIAI",
        "8006" | "8026" => "ITIP",
        "8010" => "CPID",
        "8013" => "GMN",
        "8017" => "GSRN-P",
        "8018" => "GSRN",
        _ => ai(code).map(|s| s.title).unwrap_or("AI"),
    }
}

impl AiSpec {
    /// Whether this AI is a Digital Link primary key.
    pub fn is_primary_key(&self) -> bool {
        self.dl_primary_key.is_some()
    }

    /// The alternative ordered qualifier sequences of a primary key (empty when none).
    pub fn qualifier_paths(&self) -> &'static [&'static [&'static str]] {
        self.dl_primary_key.unwrap_or(&[])
    }

    /// Whether any component carries a GS1 mod-10 check digit.
    pub fn has_check_digit(&self) -> bool {
        self.components.iter().any(|c| c.linters.contains(&"csum"))
    }

    /// Whether every component is numeric.
    pub fn is_numeric(&self) -> bool {
        self.components
            .iter()
            .all(|c| c.charset == Charset::Numeric)
    }

    /// Maximum total length of the value.
    pub fn max_length(&self) -> usize {
        self.components.iter().map(|c| c.max as usize).sum()
    }

    /// Minimum total length of the value.
    pub fn min_length(&self) -> usize {
        self.components
            .iter()
            .filter(|c| !c.optional)
            .map(|c| c.min as usize)
            .sum()
    }

    /// Whether the value has one fixed length.
    pub fn is_fixed_length(&self) -> bool {
        self.min_length() == self.max_length()
    }

    /// Offset of the GS1 Company Prefix inside the value, for keys that hold one
    /// (`gcppos1`: 0, `gcppos2`: 1, after the indicator or extension digit).
    pub fn company_prefix_offset(&self) -> Option<usize> {
        let mut offset = 0;
        for c in self.components {
            if c.linters.contains(&"gcppos1") {
                return Some(offset);
            }
            if c.linters.contains(&"gcppos2") {
                return Some(offset + 1);
            }
            offset += c.max as usize;
        }
        None
    }

    fn length_words(&self) -> String {
        let (lo, hi) = (self.min_length(), self.max_length());
        if lo == hi {
            lo.to_string()
        } else {
            format!("{lo} to {hi}")
        }
    }

    /// Validates `value` against the format and content rules of this AI.
    ///
    /// Checked rules: character sets, component lengths, check digits and the
    /// simple content rules (dates, times, zero/non-zero, piece of total, yes/no);
    /// rules needing reference lists (country codes, currencies …) are not checked.
    pub fn validate(&self, value: &str) -> Result<(), Gs1Error> {
        // Positions count characters. Nearly every value is ASCII, where they are byte
        // offsets; only other values get their character offsets collected.
        let offsets: Option<Vec<usize>> = (!value.is_ascii()).then(|| {
            value
                .char_indices()
                .map(|(i, _)| i)
                .chain([value.len()])
                .collect()
        });
        let len = offsets.as_ref().map_or(value.len(), |o| o.len() - 1);
        let byte = |char_pos: usize| {
            offsets.as_ref().map_or(char_pos, |o| {
                o.get(char_pos).copied().unwrap_or(value.len())
            })
        };
        let what = || format!("AI ({})", self.code);
        let length_err = || Gs1Error::Length {
            what: what(),
            found: len,
            expected: self.length_words(),
        };
        let mut pos = 0usize;
        for comp in self.components {
            let left = len - pos;
            if left == 0 && comp.optional {
                break;
            }
            let take = if comp.min == comp.max {
                comp.min as usize
            } else {
                left.min(comp.max as usize)
            };
            if left < take || take < comp.min as usize || take == 0 {
                return Err(length_err());
            }
            let part = value
                .get(byte(pos)..byte(pos + take))
                .ok_or_else(length_err)?;
            if let Some((i, ch)) = part
                .chars()
                .enumerate()
                .find(|(_, ch)| !comp.charset.contains(*ch))
            {
                let err_pos = pos + i;
                return Err(if comp.charset == Charset::Numeric {
                    Gs1Error::NotNumeric {
                        what: what(),
                        pos: err_pos,
                        ch,
                    }
                } else {
                    Gs1Error::InvalidChar {
                        what: what(),
                        pos: err_pos,
                        ch,
                        charset: comp.charset.name(),
                    }
                });
            }
            for linter in comp.linters {
                self.lint(linter, part)?;
            }
            pos += take;
        }
        if pos != len {
            return Err(length_err());
        }
        Ok(())
    }

    fn lint(&self, linter: &str, part: &str) -> Result<(), Gs1Error> {
        let rule = |reason: &str| Gs1Error::AiRule {
            ai: self.code.into(),
            reason: format!("{reason}: {part:?}"),
        };
        let num = |s: &str| s.parse::<u32>().unwrap_or(u32::MAX);
        match linter {
            "csum" => crate::check::verify_check_digit(key_name(self.code), part),
            "zero" if part != "0" => Err(rule("must be 0")),
            "nonzero" if part.bytes().all(|b| b == b'0') => Err(rule("must not be zero")),
            "yesno" if part != "0" && part != "1" => Err(rule("must be 0 or 1")),
            "nozeroprefix" if part.len() > 1 && part.starts_with('0') => {
                Err(rule("must not start with 0"))
            }
            "hasnondigit" if part.bytes().all(|b| b.is_ascii_digit()) => {
                Err(rule("must contain a non-digit"))
            }
            "yymmdd" | "yymmd0" | "yyyymmdd" => {
                let d = if linter == "yyyymmdd" {
                    &part[2..]
                } else {
                    part
                };
                let (mm, dd) = (num(&d[2..4]), num(&d[4..6]));
                let zero_day_ok = linter == "yymmd0" && dd == 0;
                if !(1..=12).contains(&mm) || (!(1..=31).contains(&dd) && !zero_day_ok) {
                    Err(rule("not a valid date"))
                } else {
                    Ok(())
                }
            }
            "hh" if num(part) > 23 => Err(rule("not a valid hour")),
            "mi" | "ss" if num(part) > 59 => Err(rule("not a valid minute/second")),
            "hhmi" if num(&part[..2]) > 23 || num(&part[2..]) > 59 => Err(rule("not a valid time")),
            "pieceoftotal" => {
                let (piece, total) = (num(&part[..2]), num(&part[2..]));
                if piece == 0 || total == 0 || piece > total {
                    Err(rule("piece must be 1 to total"))
                } else {
                    Ok(())
                }
            }
            "csumalpha" => check_alpha_pair(part).map_err(|r| rule(&r)),
            _ => Ok(()),
        }
    }
}

/// The GS1 alphanumeric check character pair (GMN, MUDI): mod 1021 over weighted CSET 82 values.
fn check_alpha_pair(part: &str) -> Result<(), String> {
    const CSET82: &str =
        "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
    const CSET32: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    // Weights are the primes 2, 3, 5 … from the rightmost character leftwards.
    const PRIMES: [u32; 23] = [
        2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83,
    ];
    let bytes = part.as_bytes();
    if bytes.len() < 2 || bytes.len() > 25 {
        return Err("wrong length for a check character pair".into());
    }
    let (body, pair) = bytes.split_at(bytes.len() - 2);
    let weights = PRIMES.iter().take(body.len()).rev();
    let mut sum = 0u32;
    for (b, w) in body.iter().zip(weights) {
        let v = CSET82.find(*b as char).ok_or("character outside set 82")? as u32;
        sum += v * w;
    }
    let sum = sum % 1021;
    let expected = [CSET32[(sum >> 5) as usize], CSET32[(sum & 31) as usize]];
    if pair == expected {
        Ok(())
    } else {
        Err(format!(
            "check character pair should be {}",
            String::from_utf8_lossy(&expected)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_finds_every_ai_and_nothing_else() {
        for spec in AI_TABLE {
            assert_eq!(ai(spec.code).map(|s| s.code), Some(spec.code));
        }
        for other in [
            "", "0", "1", "9", "00000", "0a", "gtin", "٠١", "99999", "+01", "01 ",
        ] {
            assert_eq!(ai(other), None, "{other:?}");
        }
        let searched = |code: &str| AI_TABLE.iter().find(|s| s.code == code);
        for n in 0..10_000 {
            for code in [format!("{n:02}"), format!("{n:03}"), format!("{n:04}")] {
                assert_eq!(ai(&code), searched(&code), "{code}");
            }
        }
    }

    #[test]
    fn positions_count_characters_in_non_ascii_values() {
        let spec = ai("10").unwrap();
        assert!(matches!(
            spec.validate("AB€1"),
            Err(Gs1Error::InvalidChar {
                pos: 2,
                ch: '€',
                ..
            })
        ));
        // Lengths count characters too: "€" is 3 bytes, one character.
        assert!(matches!(
            spec.validate(&format!("{}€", "A".repeat(20))),
            Err(Gs1Error::Length { found: 21, .. })
        ));
        assert!(spec.validate("ABC-123").is_ok());
    }
}
