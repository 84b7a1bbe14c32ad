//! XML namespaces of EPCIS, and the mapping between XML namespace URIs and the JSON-LD
//! prefixes that stand for them.

use indexmap::IndexMap;

use crate::context::Namespaces;

/// EPCIS 2.0 XML namespace.
pub const EPCIS_2: &str = "urn:epcglobal:epcis:xsd:2";
/// EPCIS 1.x XML namespace (1.0 to 1.2).
pub const EPCIS_1: &str = "urn:epcglobal:epcis:xsd:1";
/// EPCIS 2.0 query namespace.
pub const EPCIS_QUERY_2: &str = "urn:epcglobal:epcis-query:xsd:2";
/// EPCIS 1.x query namespace.
pub const EPCIS_QUERY_1: &str = "urn:epcglobal:epcis-query:xsd:1";
/// EPCIS 1.x master data namespace.
pub const EPCIS_MASTERDATA_1: &str = "urn:epcglobal:epcis-masterdata:xsd:1";
/// EPCIS 2.0 master data namespace.
pub const EPCIS_MASTERDATA_2: &str = "urn:epcglobal:epcis-masterdata:xsd:2";
/// XML Schema instance (`xsi:type`, `xsi:schemaLocation`).
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// XML Schema (the `xsd:` of `xsi:type="xsd:string"` values).
pub const XSD: &str = "http://www.w3.org/2001/XMLSchema";
/// The Standard Business Document Header namespace.
pub const SBDH: &str = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader";
/// The EPCglobal base schema namespace.
pub const EPCGLOBAL: &str = "urn:epcglobal:xsd:1";

/// Namespaces of the standard itself: never user extensions, never JSON-LD prefixes.
pub fn is_standard_namespace(ns: &str) -> bool {
    matches!(
        ns,
        EPCIS_2
            | EPCIS_1
            | EPCIS_QUERY_2
            | EPCIS_QUERY_1
            | EPCIS_MASTERDATA_1
            | EPCIS_MASTERDATA_2
            | XSI
            | XSD
            | SBDH
            | EPCGLOBAL
    )
}

/// Namespace URI ⇄ JSON-LD prefix for one document: the standard EPCIS prefixes, then the
/// document's own declarations, then generated prefixes for namespaces whose XML prefix is
/// already taken by another namespace (or that were the default namespace).
#[derive(Debug, Clone)]
pub(crate) struct Prefixes {
    by_ns: IndexMap<String, String>,
    /// The JSON-LD view (prefix → namespace), standard prefixes included.
    pub namespaces: Namespaces,
    /// Bumped on every change, so callers can share one snapshot until it changes.
    pub generation: u64,
}

impl Prefixes {
    /// The standard prefixes only.
    pub fn new() -> Prefixes {
        let namespaces = Namespaces::standard();
        let by_ns = namespaces
            .prefixes
            .iter()
            .map(|(p, ns)| (ns.clone(), p.clone()))
            .collect();
        Prefixes {
            by_ns,
            namespaces,
            generation: 0,
        }
    }

    /// Takes an `xmlns:prefix="ns"` declaration: the first declaration of a prefix in the
    /// document wins (overriding a standard prefix, as a JSON-LD context would).
    pub fn declare(&mut self, prefix: &str, ns: &str) {
        if is_standard_namespace(ns) || ns.is_empty() {
            return;
        }
        if self.by_ns.get(ns).is_some_and(|p| p == prefix) {
            return;
        }
        let standard = Namespaces::standard();
        let taken_by_document = self
            .namespaces
            .prefixes
            .get(prefix)
            .is_some_and(|bound| bound != ns && standard.prefixes.get(prefix) != Some(bound));
        if taken_by_document {
            return;
        }
        if let Some(old) = self
            .namespaces
            .prefixes
            .insert(prefix.to_string(), ns.to_string())
        {
            self.by_ns.shift_remove(&old);
        }
        self.by_ns.insert(ns.to_string(), prefix.to_string());
        self.generation += 1;
    }

    /// The JSON-LD name (`prefix:local`) of an element or attribute in namespace `ns`.
    pub fn name(&mut self, ns: &str, xml_prefix: Option<&str>, local: &str) -> String {
        if let Some(p) = self.by_ns.get(ns) {
            return format!("{p}:{local}");
        }
        let wanted = xml_prefix.unwrap_or("ns");
        let mut candidate = wanted.to_string();
        let mut n = 1;
        while self.namespaces.prefixes.contains_key(&candidate) {
            candidate = format!("{wanted}{n}");
            n += 1;
        }
        self.namespaces
            .prefixes
            .insert(candidate.clone(), ns.to_string());
        self.by_ns.insert(ns.to_string(), candidate.clone());
        self.generation += 1;
        format!("{candidate}:{local}")
    }

    /// The prefixes this document declared beyond (or differently from) the standard ones.
    pub fn document_prefixes(&self) -> IndexMap<String, String> {
        let standard = Namespaces::standard();
        self.namespaces
            .prefixes
            .iter()
            .filter(|(p, ns)| standard.prefixes.get(*p) != Some(*ns))
            .map(|(p, ns)| (p.clone(), ns.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_and_clashes() {
        let mut p = Prefixes::new();
        p.declare("example", "https://ns.example.com/epcis/");
        p.declare("cbvmda", "urn:epcglobal:cbv:mda");
        p.declare("epcis", EPCIS_2);
        assert_eq!(
            p.name("https://ns.example.com/epcis/", Some("ex"), "f"),
            "example:f"
        );
        assert_eq!(
            p.name("urn:epcglobal:cbv:mda", None, "lotNumber"),
            "cbvmda:lotNumber"
        );
        // A second namespace under a taken prefix gets a fresh one.
        p.declare("example", "https://other.example/");
        assert_eq!(
            p.name("https://other.example/", Some("example"), "g"),
            "example1:g"
        );
        assert_eq!(p.name("urn:default", None, "h"), "ns:h");
        let doc = p.document_prefixes();
        assert_eq!(
            doc.get("cbvmda").map(String::as_str),
            Some("urn:epcglobal:cbv:mda")
        );
        assert!(!doc.contains_key("gs1"));
        assert!(!doc.contains_key("epcis"));
    }
}
