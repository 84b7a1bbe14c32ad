//! Choosing the link a request resolves to: walk-up from serial to lot to key to the
//! built-in pages, then narrowing by context, language and media type.

use crate::accept::{language_weight, media_weight, Preference};
use crate::link::{Level, Link};
use crate::vocab::{normalise_link_type, DEFAULT_LINK, DEFAULT_LINK_MULTI};

/// What the client asked for, beyond the identifier.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The `linkType` query parameter, as given.
    pub link_type: Option<String>,
    /// The `context` query parameter.
    pub context: Option<String>,
    /// Parsed `Accept-Language`.
    pub languages: Vec<Preference>,
    /// Parsed `Accept`.
    pub media: Vec<Preference>,
}

impl Request {
    /// Whether the client asked for the linkset: `linkType=linkset` or `all`, or an
    /// `Accept` that prefers `application/linkset+json` (or JSON) to HTML.
    pub fn wants_linkset(&self) -> bool {
        if let Some(t) = &self.link_type {
            return t == "linkset" || t == "all";
        }
        let linkset = media_weight(&self.media, "application/linkset+json")
            .into_iter()
            .chain(media_weight_exact(&self.media, "application/json"))
            .fold(None, |best: Option<f32>, q| {
                Some(best.map_or(q, |b| b.max(q)))
            });
        let html = media_weight(&self.media, "text/html");
        matches!((linkset, html), (Some(l), h) if l > 0.0 && l > h.unwrap_or(0.0))
    }
}

/// `application/json` only when named outright, never through `*/*`.
fn media_weight_exact(prefs: &[Preference], mt: &str) -> Option<f32> {
    prefs.iter().find(|p| p.range == mt).map(|p| p.q)
}

/// The outcome of resolution.
#[derive(Debug, PartialEq)]
pub enum Decision<'a> {
    /// Redirect to this link.
    Redirect(&'a Link),
    /// Several links fit equally: let the client choose (HTTP 300).
    Choices(Vec<&'a Link>),
    /// Answer with the linkset.
    Linkset,
    /// No link of the requested type.
    NotFound,
}

/// Decides how to answer `request` given the links that match the identifier, each with
/// the level at which it matched.
pub fn decide<'a>(links: &[(Level, &'a Link)], request: &Request) -> Decision<'a> {
    if request.wants_linkset() {
        return Decision::Linkset;
    }
    let wanted = match request.link_type.as_deref() {
        None => None,
        Some(t) => match normalise_link_type(t) {
            Ok(t) if t == DEFAULT_LINK || t == DEFAULT_LINK_MULTI => None,
            Ok(t) => Some(t),
            Err(_) => return Decision::NotFound,
        },
    };
    let pool = match &wanted {
        None => most_specific(links, |l| l.default),
        Some(t) => most_specific(links, |l| &l.link_type == t),
    };
    let pool = narrow_context(pool, request.context.as_deref());
    let pool = narrow(pool, &request.languages, |prefs, l| {
        best_of(l.hreflang.iter().map(|t| language_weight(prefs, t)))
    });
    let pool = narrow(pool, &request.media, |prefs, l| {
        l.media_type.as_deref().map(|mt| media_weight(prefs, mt))
    });
    match pool.len() {
        0 => Decision::NotFound,
        1 => Decision::Redirect(pool[0]),
        _ => Decision::Choices(pool),
    }
}

/// The links that pass `keep` at the most specific level that has any.
pub fn most_specific<'a>(
    links: &[(Level, &'a Link)],
    keep: impl Fn(&Link) -> bool,
) -> Vec<&'a Link> {
    let level = links
        .iter()
        .filter(|(_, l)| keep(l))
        .map(|(level, _)| *level)
        .min();
    links
        .iter()
        .filter(|(lv, l)| Some(*lv) == level && keep(l))
        .map(|(_, l)| *l)
        .collect()
}

/// Links for the requested context; without one (or none for it), the context-free links.
fn narrow_context<'a>(pool: Vec<&'a Link>, context: Option<&str>) -> Vec<&'a Link> {
    let wants = context.map(Some).into_iter().chain([None]);
    for want in wants {
        let hit: Vec<&Link> = pool
            .iter()
            .copied()
            .filter(|l| l.context.as_deref() == want)
            .collect();
        if !hit.is_empty() {
            return hit;
        }
    }
    pool
}

/// `None` when no value says anything; otherwise the highest weight (a missing weight is "not acceptable").
fn best_of(weights: impl Iterator<Item = Option<f32>>) -> Option<Option<f32>> {
    let mut any = false;
    let mut best: Option<f32> = None;
    for w in weights {
        any = true;
        if let Some(w) = w {
            best = Some(best.map_or(w, |b| b.max(w)));
        }
    }
    any.then_some(best)
}

/// Keeps the links the client prefers most. `score` gives `None` for a link that makes no
/// claim (acceptable to all, ranked just above nothing), `Some(None)` for one the client
/// did not ask for, `Some(Some(q))` for a weight. When nothing is acceptable the pool is
/// kept whole: a consumer gets some page rather than none.
fn narrow<'a>(
    pool: Vec<&'a Link>,
    prefs: &[Preference],
    score: impl Fn(&[Preference], &Link) -> Option<Option<f32>>,
) -> Vec<&'a Link> {
    if prefs.is_empty() || pool.len() < 2 {
        return pool;
    }
    const NEUTRAL: f32 = 0.0005;
    let scored: Vec<(f32, &Link)> = pool
        .iter()
        .map(|l| {
            let s = match score(prefs, l) {
                None => NEUTRAL,
                Some(None) => 0.0,
                Some(Some(q)) => q,
            };
            (s, *l)
        })
        .collect();
    let best = scored.iter().map(|(s, _)| *s).fold(0.0f32, f32::max);
    if best <= 0.0 {
        return pool;
    }
    scored
        .into_iter()
        .filter(|(s, _)| *s == best)
        .map(|(_, l)| l)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accept::parse;
    use crate::link::Scope;

    fn link(id: &str, link_type: &str, langs: &[&str], default: bool) -> Link {
        Link {
            id: id.into(),
            scope: Scope::new("https://id.gs1.org/01/09520123456788", None, None).unwrap(),
            link_type: link_type.into(),
            href: format!("https://brand.example/{id}"),
            title: id.into(),
            hreflang: langs.iter().map(|s| s.to_string()).collect(),
            media_type: Some("text/html".into()),
            context: None,
            default,
        }
    }

    fn req(link_type: Option<&str>, lang: &str) -> Request {
        Request {
            link_type: link_type.map(str::to_owned),
            languages: parse(lang),
            ..Request::default()
        }
    }

    fn id<'a>(d: &Decision<'a>) -> &'a str {
        match d {
            Decision::Redirect(l) => &l.id,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn walk_up_and_default() {
        let builtin = link("passport", "gs1:pip", &[], true);
        let key_pip = link("key-pip", "gs1:pip", &[], true);
        let lot_recall = link("lot-recall", "gs1:recallStatus", &[], false);
        let serial_pip = link("serial-pip", "gs1:pip", &[], false);
        let links = vec![
            (Level::BuiltIn, &builtin),
            (Level::Key, &key_pip),
            (Level::Lot, &lot_recall),
            (Level::Serial, &serial_pip),
        ];
        // Default: the key's default beats the built-in; the serial's pip is not a default.
        assert_eq!(id(&decide(&links, &req(None, ""))), "key-pip");
        assert_eq!(
            id(&decide(&links, &req(Some("gs1:defaultLink"), ""))),
            "key-pip"
        );
        // A type: the most specific level that has it.
        assert_eq!(id(&decide(&links, &req(Some("pip"), ""))), "serial-pip");
        assert_eq!(
            id(&decide(&links, &req(Some("gs1:recallStatus"), ""))),
            "lot-recall"
        );
        assert_eq!(
            decide(&links, &req(Some("gs1:epcis"), "")),
            Decision::NotFound
        );
        assert_eq!(decide(&links, &req(Some("bogus"), "")), Decision::NotFound);
        // Only the built-in left.
        assert_eq!(id(&decide(&links[..1], &req(None, ""))), "passport");
    }

    #[test]
    fn language_then_media_then_tie() {
        let vi = link("vi", "gs1:pip", &["vi"], true);
        let en = link("en", "gs1:pip", &["en"], true);
        let any = link("any", "gs1:pip", &[], true);
        let links = vec![(Level::Key, &vi), (Level::Key, &en), (Level::Key, &any)];
        assert_eq!(
            id(&decide(&links, &req(None, "vi-VN,vi;q=0.9,en;q=0.8"))),
            "vi"
        );
        assert_eq!(id(&decide(&links, &req(None, "en-GB"))), "en");
        // A language nobody offers: the language-neutral link.
        assert_eq!(id(&decide(&links, &req(None, "fr"))), "any");
        // No preference at all: a tie between three.
        assert!(matches!(decide(&links, &req(None, "")), Decision::Choices(c) if c.len() == 3));

        let mut pdf = link("pdf", "gs1:instructions", &["en"], false);
        pdf.media_type = Some("application/pdf".into());
        let html = link("html", "gs1:instructions", &["en"], false);
        let links = vec![(Level::Key, &pdf), (Level::Key, &html)];
        let mut r = req(Some("gs1:instructions"), "en");
        r.media = parse("application/pdf");
        assert_eq!(id(&decide(&links, &r)), "pdf");
        r.media = parse("text/html,*/*;q=0.8");
        assert_eq!(id(&decide(&links, &r)), "html");
    }

    #[test]
    fn context() {
        let mut trade = link("trade", "gs1:pip", &[], true);
        trade.context = Some("trade".into());
        let consumer = link("consumer", "gs1:pip", &[], true);
        let links = vec![(Level::Key, &trade), (Level::Key, &consumer)];
        let mut r = req(None, "");
        assert_eq!(id(&decide(&links, &r)), "consumer");
        r.context = Some("trade".into());
        assert_eq!(id(&decide(&links, &r)), "trade");
        r.context = Some("other".into());
        assert_eq!(id(&decide(&links, &r)), "consumer");
    }

    #[test]
    fn linkset_requests() {
        let links: Vec<(Level, &Link)> = Vec::new();
        assert_eq!(decide(&links, &req(Some("linkset"), "")), Decision::Linkset);
        assert_eq!(decide(&links, &req(Some("all"), "")), Decision::Linkset);
        let mut r = req(None, "");
        r.media = parse("application/linkset+json");
        assert_eq!(decide(&links, &r), Decision::Linkset);
        r.media = parse("text/html,application/xhtml+xml,*/*;q=0.8");
        assert_eq!(decide(&links, &r), Decision::NotFound);
        r.media = parse("*/*");
        assert!(!r.wants_linkset());
        r.media = parse("application/json");
        assert!(r.wants_linkset());
    }
}
