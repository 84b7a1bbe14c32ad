//! The GS1 mod-10 check digit.

use crate::Gs1Error;

/// The GS1 mod-10 check digit for `digits` (the key without its check digit).
pub fn check_digit(digits: &str) -> Result<u8, Gs1Error> {
    let mut sum = 0u32;
    // Weights alternate 3, 1 starting from the digit next to the check digit.
    for (i, c) in digits.chars().rev().enumerate() {
        let d = c.to_digit(10).ok_or_else(|| Gs1Error::NotNumeric {
            what: "check digit input".into(),
            pos: digits.chars().count() - 1 - i,
            ch: c,
        })?;
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    Ok(((10 - sum % 10) % 10) as u8)
}

/// Verifies the last digit of `value` as the check digit of a `key`.
pub fn verify_check_digit(key: &'static str, value: &str) -> Result<(), Gs1Error> {
    if let Some(pos) = value.find(|c: char| !c.is_ascii_digit()) {
        return Err(Gs1Error::NotNumeric {
            what: key.into(),
            pos,
            ch: value[pos..].chars().next().unwrap_or('?'),
        });
    }
    if value.len() < 2 {
        return Err(Gs1Error::Length {
            what: key.into(),
            found: value.len(),
            expected: "at least 2".into(),
        });
    }
    let (body, last) = value.split_at(value.len() - 1);
    let expected = check_digit(body)?;
    let found = last.as_bytes()[0] - b'0';
    if expected == found {
        Ok(())
    } else {
        Err(Gs1Error::CheckDigit {
            key,
            value: value.into(),
            position: value.len(),
            expected,
            found,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_check_digits() {
        // GTIN-13 9520123456788 (GS1 example), GLN 0614141000005, Vietnamese 893 GTIN.
        assert_eq!(check_digit("952012345678").unwrap(), 8);
        assert_eq!(check_digit("0952012345678").unwrap(), 8);
        assert_eq!(check_digit("061414100000").unwrap(), 5);
        assert_eq!(check_digit("0061414107346").unwrap(), 7);
        assert_eq!(check_digit("10614141234567890").unwrap(), 8);
        assert_eq!(check_digit("893456789012").unwrap(), 0);
        assert_eq!(check_digit("").unwrap(), 0);
    }

    #[test]
    fn non_digit_is_named() {
        assert_eq!(
            check_digit("12a4"),
            Err(Gs1Error::NotNumeric {
                what: "check digit input".into(),
                pos: 2,
                ch: 'a'
            })
        );
    }

    #[test]
    fn verify_names_expected_digit() {
        assert!(verify_check_digit("GTIN", "09520123456788").is_ok());
        assert_eq!(
            verify_check_digit("GTIN", "09520123456787"),
            Err(Gs1Error::CheckDigit {
                key: "GTIN",
                value: "09520123456787".into(),
                position: 14,
                expected: 8,
                found: 7
            })
        );
    }
}
