//! The RFC 9264 linkset (`application/linkset+json`) of an identifier, with GS1's
//! conventions: relation types are full GS1 Web Vocabulary URIs, the anchor is the
//! canonical Digital Link, and each link type is taken from the most specific level.

use serde_json::{json, Map, Value};

use crate::link::{Level, Link};
use crate::select::most_specific;
use crate::vocab::{expand, DEFAULT_LINK, DEFAULT_LINK_MULTI};

/// The linkset document for `anchor` (the canonical Digital Link that was requested).
pub fn linkset(anchor: &str, links: &[(Level, &Link)]) -> Value {
    let mut context = Map::new();
    context.insert("anchor".into(), json!(anchor));
    let defaults = most_specific(links, |l| l.default);
    if let Some(first) = defaults.first() {
        context.insert(expand(DEFAULT_LINK), json!([target(first)]));
    }
    if defaults.len() > 1 {
        context.insert(
            expand(DEFAULT_LINK_MULTI),
            Value::Array(defaults.iter().map(|l| target(l)).collect()),
        );
    }
    let mut types: Vec<&str> = links.iter().map(|(_, l)| l.link_type.as_str()).collect();
    types.sort_unstable();
    types.dedup();
    for t in types {
        let chosen = most_specific(links, |l| l.link_type == t);
        context.insert(
            expand(t),
            Value::Array(chosen.iter().map(|l| target(l)).collect()),
        );
    }
    json!({ "linkset": [Value::Object(context)] })
}

/// One target object: `href`, `title`, and `hreflang`, `type`, `context` when known.
fn target(link: &Link) -> Value {
    let mut t = Map::new();
    t.insert("href".into(), json!(link.href));
    t.insert("title".into(), json!(link.title));
    if !link.hreflang.is_empty() {
        t.insert("hreflang".into(), json!(link.hreflang));
    }
    if let Some(mt) = &link.media_type {
        t.insert("type".into(), json!(mt));
    }
    if let Some(c) = &link.context {
        t.insert("context".into(), json!([c]));
    }
    Value::Object(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::Scope;

    fn link(id: &str, t: &str, lang: &str, default: bool) -> Link {
        Link {
            id: id.into(),
            scope: Scope::new("https://id.gs1.org/01/09520123456788", None, None).unwrap(),
            link_type: t.into(),
            href: format!("https://b.example/{id}"),
            title: id.into(),
            hreflang: vec![lang.into()],
            media_type: None,
            context: None,
            default,
        }
    }

    #[test]
    fn shape() {
        let vi = link("vi", "gs1:pip", "vi", true);
        let en = link("en", "gs1:pip", "en", true);
        let passport = link("passport", "gs1:pip", "vi", true);
        let epcis = link("epcis", "gs1:epcis", "en", false);
        let links = vec![
            (Level::Key, &vi),
            (Level::Key, &en),
            (Level::BuiltIn, &passport),
            (Level::BuiltIn, &epcis),
        ];
        let doc = linkset("https://id.gs1.org/01/09520123456788", &links);
        let ctx = &doc["linkset"][0];
        assert_eq!(ctx["anchor"], "https://id.gs1.org/01/09520123456788");
        assert_eq!(
            ctx["https://gs1.org/voc/defaultLink"][0]["href"],
            "https://b.example/vi"
        );
        assert_eq!(
            ctx["https://gs1.org/voc/defaultLinkMulti"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        // The built-in pip is hidden by the brand's; the built-in epcis link shows.
        assert_eq!(ctx["https://gs1.org/voc/pip"].as_array().unwrap().len(), 2);
        assert_eq!(ctx["https://gs1.org/voc/epcis"][0]["hreflang"][0], "en");
    }
}
