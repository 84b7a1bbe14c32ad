//! The generated AI table: hand-checked facts, and (when the GS1 Barcode Syntax
//! Dictionary is available next to the repository) agreement with every entry of it.

use std::path::PathBuf;

use gs1::ai::{ai, all_ais, validate, Charset};
use gs1::Gs1Error;

#[test]
fn key_facts() {
    let gtin = ai("01").unwrap();
    assert_eq!(gtin.title, "GTIN");
    assert!(gtin.predefined_length && gtin.is_numeric() && gtin.has_check_digit());
    assert_eq!((gtin.min_length(), gtin.max_length()), (14, 14));
    assert_eq!(
        gtin.qualifier_paths(),
        &[&["22", "10", "21"][..], &["235"][..]]
    );
    assert_eq!(gtin.company_prefix_offset(), Some(1));
    assert_eq!(
        ai("8006").unwrap().qualifier_paths(),
        &[&["22", "10", "21"][..]]
    );
    assert_eq!(
        ai("414").unwrap().qualifier_paths(),
        &[&["254"][..], &["7040"][..]]
    );
    assert_eq!(ai("414").unwrap().company_prefix_offset(), Some(0));
    assert_eq!(ai("8003").unwrap().company_prefix_offset(), Some(1));
    assert_eq!(ai("8010").unwrap().qualifier_paths(), &[&["8011"][..]]);
    for code in ["00", "253", "255", "401", "402", "8003", "8013"] {
        let spec = ai(code).unwrap();
        assert!(spec.is_primary_key(), "{code}");
        assert!(spec.qualifier_paths().is_empty(), "{code}");
    }
    for code in ["8017", "8018"] {
        assert_eq!(ai(code).unwrap().qualifier_paths(), &[&["8019"][..]]);
    }
    for code in ["10", "21", "17", "254", "3103", "91"] {
        assert!(!ai(code).unwrap().is_primary_key(), "{code}");
    }
    let lot = ai("10").unwrap();
    assert!(!lot.predefined_length && !lot.is_numeric() && !lot.has_check_digit());
    assert_eq!((lot.min_length(), lot.max_length()), (1, 20));
    assert_eq!(lot.components[0].charset, Charset::Cset82);
    assert_eq!(ai("8010").unwrap().components[0].charset, Charset::Cset39);
    assert_eq!(ai("3103").unwrap().title, "NET WEIGHT (kg)");
    assert_eq!(ai("99").unwrap().title, "INTERNAL");
    assert!(ai("1").is_none() && ai("04").is_none() && ai("9999").is_none() && ai("").is_none());
    assert!(all_ais().windows(2).all(|w| w[0].code < w[1].code));
}

#[test]
fn value_validation() {
    validate("17", "261231").unwrap();
    validate("17", "261200").unwrap();
    validate("3103", "001250").unwrap();
    validate("8006", "040123451234560102").unwrap();
    validate("7003", "2612312359").unwrap();
    validate("8013", "1987654Ad4X4bL5ttr2310c2K").unwrap();
    assert!(matches!(validate("11", "261200"), Ok(())));
    assert!(matches!(
        validate("7006", "261200"),
        Err(Gs1Error::AiRule { .. })
    ));
    assert!(matches!(
        validate("17", "261331"),
        Err(Gs1Error::AiRule { .. })
    ));
    assert!(matches!(
        validate("17", "26123"),
        Err(Gs1Error::Length { found: 5, .. })
    ));
    assert!(matches!(
        validate("17", "2612x1"),
        Err(Gs1Error::NotNumeric { pos: 4, .. })
    ));
    assert!(matches!(
        validate("8006", "040123451234560300"),
        Err(Gs1Error::AiRule { .. })
    ));
    assert!(matches!(
        validate("7003", "2612312460"),
        Err(Gs1Error::AiRule { .. })
    ));
    assert!(matches!(
        validate("8013", "1987654Ad4X4bL5ttr2310c2A"),
        Err(Gs1Error::AiRule { .. })
    ));
    assert!(matches!(
        validate("8011", "0123"),
        Err(Gs1Error::AiRule { .. })
    ));
    assert!(matches!(
        validate("10", "ABC DEF"),
        Err(Gs1Error::InvalidChar {
            pos: 3,
            ch: ' ',
            ..
        })
    ));
    assert!(matches!(validate("10", ""), Err(Gs1Error::Length { .. })));
    assert_eq!(
        validate("9999", "1"),
        Err(Gs1Error::UnknownAi("9999".into()))
    );
}

/// The dictionary, if this checkout has the shared reference data beside it.
fn dictionary() -> Option<String> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    [
        PathBuf::from("/work/shared/gs1/gs1-syntax-dictionary.txt"),
        repo.join("../shared/gs1/gs1-syntax-dictionary.txt"),
    ]
    .iter()
    .find_map(|p| std::fs::read_to_string(p).ok())
}

#[test]
fn table_agrees_with_dictionary() {
    let Some(text) = dictionary() else {
        eprintln!("GS1 syntax dictionary not present: skipped");
        return;
    };
    let mut seen = 0;
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (body, title) = line.split_once('#').unwrap_or((line, ""));
        let mut tokens = body.split_whitespace().peekable();
        let range = tokens.next().unwrap();
        let flags = match tokens.peek() {
            Some(t) if t.chars().all(|c| "*?!".contains(c)) => tokens.next().unwrap(),
            _ => "",
        };
        let (comps, attrs): (Vec<&str>, Vec<&str>) = tokens.partition(|t| {
            let t = t.trim_start_matches('[');
            t.len() > 1
                && "NXYZ".contains(&t[..1])
                && t[1..].starts_with(|c: char| c.is_ascii_digit() || c == '.')
        });
        let (lo, hi) = range.split_once('-').unwrap_or((range, range));
        let width = lo.len();
        for n in lo.parse::<u32>().unwrap()..=hi.parse::<u32>().unwrap() {
            let code = format!("{n:0width$}");
            let spec = ai(&code).unwrap_or_else(|| panic!("AI {code} missing"));
            seen += 1;
            assert_eq!(spec.title, title.trim(), "{code}");
            assert_eq!(spec.predefined_length, flags.contains('*'), "{code}");
            assert_eq!(spec.dl_data_attribute, flags.contains('?'), "{code}");
            assert_eq!(spec.components.len(), comps.len(), "{code}");
            for (c, text) in spec.components.iter().zip(&comps) {
                let mut parts = text.split(',');
                let fmt = parts.next().unwrap();
                assert_eq!(c.optional, fmt.starts_with('['), "{code}");
                let fmt = fmt.trim_matches(|ch| ch == '[' || ch == ']');
                let (variable, len) = match fmt[1..].strip_prefix("..") {
                    Some(l) => (true, l),
                    None => (false, &fmt[1..]),
                };
                let len: u8 = len.parse().unwrap();
                assert_eq!(
                    (c.min, c.max),
                    (if variable { 1 } else { len }, len),
                    "{code}"
                );
                assert_eq!(c.linters, parts.collect::<Vec<_>>().as_slice(), "{code}");
            }
            let dlpkey = attrs.iter().find_map(|a| {
                a.strip_prefix("dlpkey")
                    .map(|rest| rest.trim_start_matches('='))
            });
            match dlpkey {
                None => assert!(!spec.is_primary_key(), "{code}"),
                Some(paths) => {
                    let want: Vec<Vec<&str>> = if paths.is_empty() {
                        vec![]
                    } else {
                        paths.split('|').map(|p| p.split(',').collect()).collect()
                    };
                    let have: Vec<Vec<&str>> =
                        spec.qualifier_paths().iter().map(|p| p.to_vec()).collect();
                    assert!(spec.is_primary_key(), "{code}");
                    assert_eq!(have, want, "{code}");
                }
            }
        }
    }
    assert_eq!(seen, all_ais().len(), "table has AIs the dictionary lacks");
}
