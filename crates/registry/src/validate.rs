//! Checks on registry input. Each error names the field and what is wrong with it.

use crate::model::{NewOrganisation, Product};

/// A registry record that cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidField {
    /// The JSON member at fault (with index for lists, e.g. `companyPrefixes/1`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> InvalidField {
    InvalidField {
        field: field.into(),
        message: message.into(),
    }
}

/// A registry id: 2 to 64 lower-case letters, digits and inner `-`.
pub fn check_id(field: &str, id: &str) -> Result<(), InvalidField> {
    let ok = (2..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("{id:?} must be 2 to 64 lower-case letters, digits and inner hyphens"),
        ))
    }
}

/// A Vietnamese enterprise / tax code: 10 digits, or 10 digits, `-` and a 3-digit branch
/// number. Abroad, 4 to 32 letters and digits.
pub fn check_tax_code(country: &str, code: &str) -> Result<(), InvalidField> {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let ok = if country == "VN" {
        match code.split_once('-') {
            None => digits(code, 10),
            Some((main, branch)) => digits(main, 10) && digits(branch, 3),
        }
    } else {
        (4..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    if ok {
        Ok(())
    } else if country == "VN" {
        Err(invalid(
            "taxCode",
            format!("{code:?} is not a Vietnamese enterprise code (10 digits, optionally -NNN for a branch)"),
        ))
    } else {
        Err(invalid(
            "taxCode",
            format!("{code:?} must be 4 to 32 letters and digits"),
        ))
    }
}

/// A GS1 company prefix: 6 to 12 digits; prefixes of Vietnamese organisations start with 893.
pub fn check_company_prefix(field: &str, country: &str, prefix: &str) -> Result<(), InvalidField> {
    if !(6..=12).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            field,
            format!("{prefix:?} is not a GS1 company prefix (6 to 12 digits)"),
        ));
    }
    if country == "VN" && !prefix.starts_with("893") {
        return Err(invalid(
            field,
            format!("{prefix:?} is not a Vietnamese GS1 company prefix (893…)"),
        ));
    }
    Ok(())
}

/// A GLN (13 digits, valid check digit), which must lie under one of `prefixes`.
pub fn check_gln(field: &str, gln: &str, prefixes: &[String]) -> Result<(), InvalidField> {
    gs1::keys::validate_gln(gln).map_err(|e| invalid(field, format!("{gln:?}: {e}")))?;
    if !prefixes.iter().any(|p| gln.starts_with(p.as_str())) {
        return Err(invalid(
            field,
            format!("GLN {gln} is not under the organisation's company prefixes"),
        ));
    }
    Ok(())
}

/// An ISO 3166-1 alpha-2 country code (shape only).
pub fn check_country(country: &str) -> Result<(), InvalidField> {
    if country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(invalid(
            "country",
            format!("{country:?} is not an ISO 3166-1 alpha-2 code such as VN"),
        ))
    }
}

/// Checks a registration. `known_province` says whether a province code exists.
pub fn check_organisation(
    org: &NewOrganisation,
    known_province: impl Fn(&str) -> bool,
) -> Result<(), InvalidField> {
    check_id("id", &org.id)?;
    if org.name_vi.trim().is_empty() {
        return Err(invalid("nameVi", "the legal name is required"));
    }
    check_country(&org.country)?;
    check_tax_code(&org.country, &org.tax_code)?;
    if org.country == "VN" {
        if !known_province(&org.province_code) {
            return Err(invalid(
                "provinceCode",
                format!(
                    "{:?} is not the code of one of the 34 provinces in force since 2025-07-01",
                    org.province_code
                ),
            ));
        }
    } else if !org.province_code.is_empty() {
        return Err(invalid(
            "provinceCode",
            "only organisations in Viet Nam have a province code",
        ));
    }
    for (i, p) in org.company_prefixes.iter().enumerate() {
        check_company_prefix(&format!("companyPrefixes/{i}"), &org.country, p)?;
    }
    for (i, gln) in org.glns.iter().enumerate() {
        check_gln(&format!("glns/{i}"), gln, &org.company_prefixes)?;
    }
    Ok(())
}

/// Checks a product and returns its GTIN padded to 14 digits. `prefixes` are the owner's.
pub fn check_product(product: &Product, prefixes: &[String]) -> Result<String, InvalidField> {
    let gtin = gs1::keys::normalize_gtin(&product.gtin)
        .map_err(|e| invalid("gtin", format!("{:?}: {e}", product.gtin)))?;
    if !prefixes.iter().any(|p| gtin[1..].starts_with(p.as_str())) {
        return Err(invalid(
            "gtin",
            format!(
                "GTIN {gtin} is not under the company prefixes of {}",
                product.owner
            ),
        ));
    }
    if product.name_vi.trim().is_empty() {
        return Err(invalid("nameVi", "the Vietnamese name is required"));
    }
    for (i, url) in product.images.iter().enumerate() {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(invalid(
                format!("images/{i}"),
                format!("{url:?} is not an http(s) URL"),
            ));
        }
    }
    for (i, c) in product.certificates.iter().enumerate() {
        if c.scheme.trim().is_empty() {
            return Err(invalid(
                format!("certificates/{i}/scheme"),
                "the scheme or standard (e.g. VietGAP) is required",
            ));
        }
        if let Some(date) = c.valid_until.as_deref().filter(|d| !is_date(d)) {
            return Err(invalid(
                format!("certificates/{i}/validUntil"),
                format!("{date:?} is not a date (YYYY-MM-DD)"),
            ));
        }
    }
    Ok(gtin)
}

/// True for a calendar date written `YYYY-MM-DD`.
pub fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return false;
    }
    let number = |r: std::ops::Range<usize>| text[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProductGroup;

    fn org() -> NewOrganisation {
        NewOrganisation {
            id: "longan-coop".into(),
            name_vi: "Hợp tác xã Nhãn lồng Tiên Lữ".into(),
            name_en: "Tien Lu Longan Cooperative".into(),
            tax_code: "0901234561".into(),
            company_prefixes: vec!["893601001".into()],
            glns: vec!["8936010010000".into()],
            address: String::new(),
            province_code: "33".into(),
            country: "VN".into(),
            roles: vec![],
        }
    }

    fn field_of(r: Result<(), InvalidField>) -> String {
        r.err().map(|e| e.field).unwrap_or_default()
    }

    #[test]
    fn good_registration_passes() {
        assert_eq!(check_organisation(&org(), |p| p == "33"), Ok(()));
    }

    #[test]
    fn each_bad_field_is_named() {
        let known = |p: &str| p == "33";
        let mut o = org();
        o.tax_code = "12345".into();
        assert_eq!(field_of(check_organisation(&o, known)), "taxCode");
        let mut o = org();
        o.province_code = "99".into();
        assert_eq!(field_of(check_organisation(&o, known)), "provinceCode");
        let mut o = org();
        o.company_prefixes = vec!["4012345".into()];
        assert_eq!(field_of(check_organisation(&o, known)), "companyPrefixes/0");
        let mut o = org();
        o.glns = vec!["8936010010001".into()];
        let e = check_organisation(&o, known).unwrap_err();
        assert_eq!(e.field, "glns/0");
        assert!(e.message.contains("check digit"), "{e}");
        let mut o = org();
        o.glns = vec!["8936020010007".into()];
        assert_eq!(field_of(check_organisation(&o, known)), "glns/0");
        let mut o = org();
        o.id = "Bad Id".into();
        assert_eq!(field_of(check_organisation(&o, known)), "id");
    }

    #[test]
    fn products_must_be_under_own_prefix() {
        let mut p = Product {
            gtin: "8936010011014".into(),
            owner: "longan-coop".into(),
            name_vi: "Nhãn".into(),
            name_en: String::new(),
            description_vi: String::new(),
            description_en: String::new(),
            images: vec![],
            brand: String::new(),
            group: ProductGroup::Other,
            category: "fruit".into(),
            net_content: String::new(),
            shelf_life_days: None,
            standards: vec![],
            certificates: vec![],
        };
        let prefixes = vec!["893601001".to_string()];
        assert_eq!(check_product(&p, &prefixes), Ok("08936010011014".into()));
        p.gtin = "8936010011015".into();
        assert!(check_product(&p, &prefixes)
            .unwrap_err()
            .message
            .contains("check digit"));
        p.gtin = "8936020011011".into();
        let e = check_product(&p, &prefixes).unwrap_err();
        assert!(e.message.contains("not under"), "{e}");
        p.gtin = "8936010011014".into();
        p.certificates = vec![crate::model::Certificate {
            scheme: "VietGAP".into(),
            number: "VG-33-001".into(),
            issuer: String::new(),
            valid_until: Some("2026-02-29".into()),
        }];
        let e = check_product(&p, &prefixes).unwrap_err();
        assert_eq!(e.field, "certificates/0/validUntil", "{e}");
        p.certificates[0].valid_until = Some("2028-02-29".into());
        assert!(check_product(&p, &prefixes).is_ok());
        p.certificates[0].scheme = " ".into();
        assert_eq!(
            check_product(&p, &prefixes).unwrap_err().field,
            "certificates/0/scheme"
        );
    }

    #[test]
    fn dates_are_calendar_dates() {
        for good in ["2025-07-01", "2024-02-29", "2000-02-29", "1999-12-31"] {
            assert!(is_date(good), "{good}");
        }
        for bad in [
            "2025-7-01",
            "2025-13-01",
            "2025-04-31",
            "1900-02-29",
            "2025-00-10",
            "20250701",
            "2025-07-01T00",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }
}
