//! Numeric values in their hash form: no leading `+`, no leading or trailing zeros,
//! integral values without a fraction (CBV 2.0 §8.9, "quantitative values SHALL NOT
//! have trailing zeros"). The exact spelling follows GS1's reference generator, which
//! reads any decimal numeral as an IEEE double and writes it back in shortest form.

/// The canonical spelling of `text` if it is a decimal numeral, else `None`.
pub(crate) fn canonical_number(text: &str) -> Option<String> {
    if !is_decimal_numeral(text) {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    if !value.is_finite() {
        return None;
    }
    if value.fract() == 0.0 {
        return Some(integer_digits(value));
    }
    Some(shortest_fraction(value))
}

/// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`: what counts as a number.
/// Words that a float parser would also take (`inf`, `NaN`) are text, not quantities.
fn is_decimal_numeral(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int_part)
        && all_digits(frac_part)
        && (!int_part.is_empty() || !frac_part.is_empty());
    let exponent_ok = match exponent {
        None => true,
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            !digits.is_empty() && all_digits(digits)
        }
    };
    mantissa_ok && exponent_ok
}

/// The exact decimal digits of an integral double (`1e20` → `100000000000000000000`;
/// a 19-digit numeral comes back with the rounding a double imposes on it).
fn integer_digits(value: f64) -> String {
    let sign = if value < 0.0 { "-" } else { "" };
    let magnitude = value.abs();
    if magnitude < 1e18 {
        // Exact: every integral double below 1e18 fits an i64.
        let n = magnitude as i64;
        return if n == 0 {
            "0".to_string()
        } else {
            format!("{sign}{n}")
        };
    }
    let bits = magnitude.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32 - 1075;
    let mantissa = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
    // magnitude >= 1e18 > 2^53, so the binary exponent is positive here.
    let mut digits = BigDecimal::from(mantissa);
    for _ in 0..exponent.max(0) {
        digits.double();
    }
    format!("{sign}{digits}")
}

/// Shortest round-trip digits, positional unless the decimal exponent is below -4
/// (then `1.5e-05`, two-digit exponent, as the reference generator writes it).
fn shortest_fraction(value: f64) -> String {
    let scientific = format!("{value:e}");
    let exponent: i32 = scientific
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    if exponent < -4 {
        let mantissa = scientific
            .split_once('e')
            .map_or(scientific.as_str(), |(m, _)| m);
        format!("{mantissa}e-{:02}", -exponent)
    } else {
        format!("{value}")
    }
}

/// A non-negative integer as little-endian base-10^9 limbs, just enough to print a
/// large double exactly.
struct BigDecimal(Vec<u32>);

const LIMB: u64 = 1_000_000_000;

impl From<u64> for BigDecimal {
    fn from(mut n: u64) -> Self {
        let mut limbs = Vec::new();
        while n > 0 {
            limbs.push((n % LIMB) as u32);
            n /= LIMB;
        }
        BigDecimal(limbs)
    }
}

impl BigDecimal {
    fn double(&mut self) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let v = u64::from(*limb) * 2 + carry;
            *limb = (v % LIMB) as u32;
            carry = v / LIMB;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }
}

impl std::fmt::Display for BigDecimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut limbs = self.0.iter().rev();
        match limbs.next() {
            None => write!(f, "0"),
            Some(first) => {
                write!(f, "{first}")?;
                limbs.try_for_each(|limb| write!(f, "{limb:09}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_number as n;

    #[test]
    fn integers_and_decimals() {
        assert_eq!(n("1").as_deref(), Some("1"));
        assert_eq!(n("1.0").as_deref(), Some("1"));
        assert_eq!(n("+007").as_deref(), Some("7"));
        assert_eq!(n("0.3434000").as_deref(), Some("0.3434"));
        assert_eq!(n("-0").as_deref(), Some("0"));
        assert_eq!(n("-2.50").as_deref(), Some("-2.5"));
        assert_eq!(n("12.1").as_deref(), Some("12.1"));
        assert_eq!(n(".5").as_deref(), Some("0.5"));
        assert_eq!(n("5.").as_deref(), Some("5"));
        assert_eq!(n("1e3").as_deref(), Some("1000"));
        assert_eq!(n("0.0001").as_deref(), Some("0.0001"));
        assert_eq!(n("0.00001").as_deref(), Some("1e-05"));
        assert_eq!(n("-1.25E-7").as_deref(), Some("-1.25e-07"));
    }

    #[test]
    fn large_integers_keep_double_rounding() {
        assert_eq!(n("1e20").as_deref(), Some("100000000000000000000"));
        assert_eq!(
            n("340123451111111111").as_deref(),
            Some("340123451111111104")
        );
        assert_eq!(n("4012345111118").as_deref(), Some("4012345111118"));
    }

    #[test]
    fn non_numbers() {
        for text in [
            "",
            "+",
            ".",
            "1.2.3",
            "abc",
            "inf",
            "NaN",
            "1e",
            "2023-10-09",
            "0x10",
            "1 000",
            "1e400",
        ] {
            assert_eq!(n(text), None, "{text}");
        }
    }
}
