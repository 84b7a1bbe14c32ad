//! Properties of link choice over random link sets: the answer always has the requested
//! type, comes from the most specific level that has that type, and "not found" means
//! there really is no such link.

use proptest::prelude::*;
use resolver::accept::parse;
use resolver::{decide, Decision, Level, Link, Request, Scope};

const TYPES: &[&str] = &[
    "gs1:pip",
    "gs1:epcis",
    "gs1:recallStatus",
    "gs1:certificationInfo",
];
const LANGS: &[&str] = &["vi", "en", "fr"];
const LEVELS: &[Level] = &[Level::Serial, Level::Lot, Level::Key, Level::BuiltIn];

fn link_strategy() -> impl Strategy<Value = (Level, Link)> {
    (
        0..LEVELS.len(),
        0..TYPES.len(),
        proptest::option::of(0..LANGS.len()),
        any::<bool>(),
        0..1000u32,
    )
        .prop_map(|(lv, t, lang, default, n)| {
            (
                LEVELS[lv],
                Link {
                    id: format!("l{n}"),
                    scope: Scope {
                        key: "https://id.gs1.org/01/09520123456788".into(),
                        lot: None,
                        serials: None,
                    },
                    link_type: TYPES[t].into(),
                    href: format!("https://b.example/{n}"),
                    title: "t".into(),
                    hreflang: lang.map(|l| vec![LANGS[l].to_string()]).unwrap_or_default(),
                    media_type: None,
                    context: None,
                    default,
                },
            )
        })
}

proptest! {
    #[test]
    fn choice_respects_type_and_walk_up(
        links in proptest::collection::vec(link_strategy(), 0..12),
        t in 0..TYPES.len(),
        lang in proptest::option::of(0..LANGS.len()),
    ) {
        let pairs: Vec<(Level, &Link)> = links.iter().map(|(lv, l)| (*lv, l)).collect();
        let wanted = TYPES[t];
        let request = Request {
            link_type: Some(wanted.to_string()),
            languages: lang.map(|l| parse(LANGS[l])).unwrap_or_default(),
            ..Request::default()
        };
        let best = pairs.iter().filter(|(_, l)| l.link_type == wanted).map(|(lv, _)| *lv).min();
        let level_of = |l: &Link| pairs.iter().find(|(_, x)| std::ptr::eq(*x, l)).map(|(lv, _)| *lv);
        match decide(&pairs, &request) {
            Decision::Redirect(l) => {
                prop_assert_eq!(l.link_type.as_str(), wanted);
                prop_assert_eq!(level_of(l), best);
            }
            Decision::Choices(ls) => {
                prop_assert!(ls.len() > 1);
                for l in ls {
                    prop_assert_eq!(l.link_type.as_str(), wanted);
                    prop_assert_eq!(level_of(l), best);
                }
            }
            Decision::NotFound => prop_assert!(best.is_none()),
            Decision::Linkset => prop_assert!(false, "no linkset was asked for"),
        }
    }

    #[test]
    fn default_comes_from_the_most_specific_level_with_a_default(
        links in proptest::collection::vec(link_strategy(), 0..12),
    ) {
        let pairs: Vec<(Level, &Link)> = links.iter().map(|(lv, l)| (*lv, l)).collect();
        let best = pairs.iter().filter(|(_, l)| l.default).map(|(lv, _)| *lv).min();
        match decide(&pairs, &Request::default()) {
            Decision::Redirect(l) => prop_assert!(l.default),
            Decision::Choices(ls) => prop_assert!(ls.iter().all(|l| l.default)),
            Decision::NotFound => prop_assert!(best.is_none()),
            Decision::Linkset => prop_assert!(false),
        }
    }
}
