//! The JSON-LD `@context` of a document: which prefixes stand for which namespaces,
//! needed to expand user extension names (`example:myField`) for the hash and the XML binding.

use indexmap::IndexMap;
use serde_json::Value;

/// The prefixes the standard EPCIS 2.0 context declares; every EPCIS JSON-LD document
/// has them, whether or not its own `@context` repeats them.
const STANDARD_PREFIXES: [(&str, &str); 8] = [
    ("epcis", "https://ref.gs1.org/epcis/"),
    ("cbv", "https://ref.gs1.org/cbv/"),
    ("cbvmda", "urn:epcglobal:cbv:mda:"),
    ("gs1", "https://gs1.org/voc/"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("dcterms", "http://purl.org/dc/terms/"),
];

/// Whether `prefix` is one of the standard EPCIS context's prefixes.
pub fn is_standard_prefix(prefix: &str) -> bool {
    STANDARD_PREFIXES.iter().any(|(p, _)| *p == prefix)
}

/// Prefix → namespace URI, from a document's `@context` (plus the standard ones).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Namespaces {
    /// The map, in the order the context declared it.
    pub prefixes: IndexMap<String, String>,
    /// True when the prefixes come from XML namespace declarations: they name elements, and a
    /// value such as `example:x` is then plain text, not a compact IRI.
    pub from_xml: bool,
}

impl Namespaces {
    /// The prefixes of the standard EPCIS context alone.
    pub fn standard() -> Namespaces {
        let prefixes = STANDARD_PREFIXES
            .iter()
            .map(|(p, ns)| ((*p).to_string(), (*ns).to_string()))
            .collect();
        Namespaces {
            prefixes,
            from_xml: false,
        }
    }

    /// The prefixes of the standard EPCIS context, built once: code run for every event
    /// compares against them without allocating its own copy.
    pub fn standard_shared() -> &'static Namespaces {
        static STANDARD: std::sync::OnceLock<Namespaces> = std::sync::OnceLock::new();
        STANDARD.get_or_init(Namespaces::standard)
    }

    /// Reads the prefix declarations of an `@context` value (string, object or array).
    ///
    /// The standard EPCIS prefixes come first; a document may redeclare them (later
    /// declarations win, as in JSON-LD). Remote contexts (string URLs) are not fetched:
    /// the only one EPCIS documents rely on is the standard context, whose prefixes are
    /// built in.
    pub fn from_context(context: &Value) -> Namespaces {
        let mut namespaces = Namespaces::standard();
        namespaces.add_context(context);
        namespaces
    }

    /// Adds the prefix declarations of a further `@context` value (later ones win).
    pub fn add_context(&mut self, context: &Value) {
        match context {
            Value::Array(items) => items.iter().for_each(|item| self.add_context(item)),
            Value::Object(map) => {
                for (term, definition) in map {
                    if term.starts_with('@') {
                        continue;
                    }
                    if let Some(namespace) = prefix_target(definition) {
                        self.prefixes.insert(term.clone(), namespace.to_string());
                    }
                }
            }
            _ => {}
        }
    }

    /// Expands `prefix:local` to `{namespace}local`-style parts: `(namespace, local)`, if the prefix is known.
    pub fn expand<'a>(&'a self, name: &'a str) -> Option<(&'a str, &'a str)> {
        let (prefix, local) = name.split_once(':')?;
        self.prefixes.get(prefix).map(|ns| (ns.as_str(), local))
    }
}

/// The namespace a term definition declares, if it is a prefix: a plain IRI string, or an
/// expanded definition `{"@id": iri}` (JSON-LD 1.1 `@prefix` style).
fn prefix_target(definition: &Value) -> Option<&str> {
    let iri = match definition {
        Value::String(s) => s.as_str(),
        Value::Object(map) => map.get("@id")?.as_str()?,
        _ => return None,
    };
    // A term mapped to a keyword (`"id": "@id"`) or a CURIE of another term is no namespace.
    (iri.contains(':') && !iri.starts_with('@')).then_some(iri)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn standard_prefixes_are_always_there() {
        let ns = Namespaces::from_context(&json!(
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
        ));
        assert_eq!(
            ns.expand("gs1:Temperature"),
            Some(("https://gs1.org/voc/", "Temperature"))
        );
        assert_eq!(
            ns.expand("cbvmda:lotNumber"),
            Some(("urn:epcglobal:cbv:mda:", "lotNumber"))
        );
        assert_eq!(ns.expand("example:x"), None);
    }

    #[test]
    fn reads_objects_and_arrays_and_later_wins() {
        let ns = Namespaces::from_context(&json!([
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            {"example": "https://ns.example.com/epcis/", "@vocab": "https://ignored/"},
            {"gs1": "https://ref.gs1.org/voc/", "ext": {"@id": "https://ext.example/", "@prefix": true}},
            {"alias": "@id", "notAnIri": "plain"}
        ]));
        assert_eq!(
            ns.expand("example:f"),
            Some(("https://ns.example.com/epcis/", "f"))
        );
        assert_eq!(ns.expand("gs1:x"), Some(("https://ref.gs1.org/voc/", "x")));
        assert_eq!(ns.expand("ext:y"), Some(("https://ext.example/", "y")));
        assert_eq!(ns.expand("alias:z"), None);
        assert_eq!(ns.expand("notAnIri:z"), None);
        assert!(!ns.prefixes.contains_key("@vocab"));
    }

    #[test]
    fn garbage_context_gives_standard_only() {
        assert_eq!(Namespaces::from_context(&json!(42)), Namespaces::standard());
        assert_eq!(
            Namespaces::from_context(&Value::Null),
            Namespaces::standard()
        );
    }
}
