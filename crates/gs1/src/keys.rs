//! GS1 keys with fixed digit layouts: length and check-digit validation.

use crate::ai::validate;
use crate::check::verify_check_digit;
use crate::Gs1Error;

/// Normalises a GTIN-8, -12, -13 or -14 to 14 digits (leading zeros) after checking its check digit.
pub fn normalize_gtin(gtin: &str) -> Result<String, Gs1Error> {
    if let Some(pos) = gtin.find(|c: char| !c.is_ascii_digit()) {
        return Err(Gs1Error::NotNumeric {
            what: "GTIN".into(),
            pos,
            ch: gtin[pos..].chars().next().unwrap_or('?'),
        });
    }
    if ![8, 12, 13, 14].contains(&gtin.len()) {
        return Err(Gs1Error::Length {
            what: "GTIN".into(),
            found: gtin.len(),
            expected: "8, 12, 13 or 14".into(),
        });
    }
    verify_check_digit("GTIN", gtin)?;
    Ok(format!("{gtin:0>14}"))
}

/// Validates a 13-digit GLN.
pub fn validate_gln(gln: &str) -> Result<(), Gs1Error> {
    validate("414", gln)
}

/// Validates an 18-digit SSCC.
pub fn validate_sscc(sscc: &str) -> Result<(), Gs1Error> {
    validate("00", sscc)
}

/// Validates a GRAI: `0`, 13 digits with check digit, optional serial of up to 16 characters.
pub fn validate_grai(grai: &str) -> Result<(), Gs1Error> {
    validate("8003", grai)
}

/// Validates a GIAI: up to 30 characters of set 82.
pub fn validate_giai(giai: &str) -> Result<(), Gs1Error> {
    validate("8004", giai)
}

/// Validates an 18-digit GSRN (recipient, AI 8018; the provider form 8017 has the same layout).
pub fn validate_gsrn(gsrn: &str) -> Result<(), Gs1Error> {
    validate("8018", gsrn)
}

/// Validates a GDTI: 13 digits with check digit, optional serial of up to 17 characters.
pub fn validate_gdti(gdti: &str) -> Result<(), Gs1Error> {
    validate("253", gdti)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtin_lengths_normalise_to_14() {
        assert_eq!(normalize_gtin("9520123456788").unwrap(), "09520123456788");
        assert_eq!(normalize_gtin("614141073467").unwrap(), "00614141073467");
        assert_eq!(normalize_gtin("40123455").unwrap(), "00000040123455");
        assert_eq!(normalize_gtin("8934567890120").unwrap(), "08934567890120");
        assert_eq!(normalize_gtin("10614141073464").unwrap(), "10614141073464");
    }

    #[test]
    fn gtin_errors() {
        assert_eq!(
            normalize_gtin("9520123456789"),
            Err(Gs1Error::CheckDigit {
                key: "GTIN",
                value: "9520123456789".into(),
                position: 13,
                expected: 8,
                found: 9
            })
        );
        assert!(matches!(
            normalize_gtin("952012345678"),
            Err(Gs1Error::CheckDigit { .. })
        ));
        assert!(matches!(
            normalize_gtin("95201234567"),
            Err(Gs1Error::Length { found: 11, .. })
        ));
        assert!(matches!(
            normalize_gtin("95201234567a8"),
            Err(Gs1Error::NotNumeric { pos: 11, .. })
        ));
    }

    #[test]
    fn other_keys() {
        validate_gln("0614141000005").unwrap();
        validate_gln("8934567000000").unwrap();
        assert!(matches!(
            validate_gln("0614141000006"),
            Err(Gs1Error::CheckDigit {
                key: "GLN",
                expected: 5,
                found: 6,
                ..
            })
        ));
        validate_sscc("106141412345678908").unwrap();
        assert!(matches!(
            validate_sscc("106141412345678907"),
            Err(Gs1Error::CheckDigit {
                key: "SSCC",
                expected: 8,
                ..
            })
        ));
        assert!(matches!(
            validate_sscc("10614141234567890"),
            Err(Gs1Error::Length { .. })
        ));
        validate_grai("00614141123452A1").unwrap();
        validate_grai("00614141123452").unwrap();
        assert!(matches!(
            validate_grai("10614141123452"),
            Err(Gs1Error::AiRule { .. })
        ));
        assert!(matches!(
            validate_grai("00614141123453"),
            Err(Gs1Error::CheckDigit {
                key: "GRAI",
                expected: 2,
                found: 3,
                ..
            })
        ));
        validate_giai("0614141ABC-123/x").unwrap();
        assert!(matches!(
            validate_giai("0614141 A"),
            Err(Gs1Error::InvalidChar { pos: 7, .. })
        ));
        validate_gsrn("061414112345678902").unwrap();
        assert!(matches!(
            validate_gsrn("061414112345678901"),
            Err(Gs1Error::CheckDigit {
                key: "GSRN",
                expected: 2,
                ..
            })
        ));
        validate_gdti("0614141123452DOC-7").unwrap();
        assert!(matches!(
            validate_gdti("0614141123459"),
            Err(Gs1Error::CheckDigit {
                key: "GDTI",
                expected: 2,
                found: 9,
                ..
            })
        ));
    }
}
