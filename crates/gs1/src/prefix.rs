//! GS1 Company Prefix lookups: a Digital Link does not mark where the company
//! prefix ends inside a key, but an EPC URN must.

/// Looks up the length of the GS1 Company Prefix that starts a key, so that a
/// Digital Link (which does not mark the prefix) can be written as an EPC URN.
///
/// `key_digits` start where the prefix starts: after the indicator digit of a
/// GTIN, the extension digit of an SSCC, the leading `0` of a GRAI; at the
/// first digit of the other keys.
pub trait CompanyPrefixLookup {
    /// Length in digits of the company prefix that `key_digits` starts with, if known.
    fn prefix_len(&self, key_digits: &str) -> Option<usize>;
}

/// A lookup that knows no prefixes: Digital Links stay Digital Links.
pub struct NoPrefixes;

impl CompanyPrefixLookup for NoPrefixes {
    fn prefix_len(&self, _key_digits: &str) -> Option<usize> {
        None
    }
}

/// A lookup over a list of known company prefixes (e.g. the registered members).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaticPrefixes {
    prefixes: Vec<String>,
}

impl StaticPrefixes {
    /// A lookup knowing `prefixes` (digit strings; others are ignored).
    pub fn new<I, S>(prefixes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut prefixes: Vec<String> = prefixes
            .into_iter()
            .map(Into::into)
            .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        // Longest first, so that the most specific prefix wins if two nest.
        prefixes.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        prefixes.dedup();
        StaticPrefixes { prefixes }
    }

    /// Adds one prefix.
    pub fn add(&mut self, prefix: impl Into<String>) {
        let mut all = std::mem::take(&mut self.prefixes);
        all.push(prefix.into());
        *self = StaticPrefixes::new(all);
    }

    /// The known prefixes, longest first.
    pub fn prefixes(&self) -> &[String] {
        &self.prefixes
    }
}

impl CompanyPrefixLookup for StaticPrefixes {
    fn prefix_len(&self, key_digits: &str) -> Option<usize> {
        self.prefixes
            .iter()
            .find(|p| key_digits.starts_with(p.as_str()))
            .map(String::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_known_prefix_wins() {
        let p = StaticPrefixes::new(["893", "8934567", "0614141", "x1"]);
        assert_eq!(p.prefix_len("8934567890123"), Some(7));
        assert_eq!(p.prefix_len("8931111111111"), Some(3));
        assert_eq!(p.prefix_len("0614141073467"), Some(7));
        assert_eq!(p.prefix_len("4012345000000"), None);
        assert_eq!(p.prefixes().len(), 3);
        assert_eq!(NoPrefixes.prefix_len("0614141073467"), None);
    }
}
