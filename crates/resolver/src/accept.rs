//! `Accept` and `Accept-Language` header values as weighted preference lists.

/// One preference: a lower-cased range (`vi`, `en-gb`, `*`, `text/html`, `text/*`) and its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Preference {
    /// The range, lower case.
    pub range: String,
    /// The `q` weight, 0 to 1.
    pub q: f32,
}

/// Parses a comma-separated list of ranges with optional `;q=` weights. Malformed
/// weights count as 1 (a client's typo should not cost the consumer the page);
/// ranges with `q=0` are kept so they can exclude.
pub fn parse(header: &str) -> Vec<Preference> {
    header
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let range = parts.next()?.trim().to_ascii_lowercase();
            if range.is_empty() {
                return None;
            }
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|v| v.trim().parse::<f32>().ok())
                .map_or(1.0, |q| q.clamp(0.0, 1.0));
            Some(Preference { range, q })
        })
        .collect()
}

/// How much the client wants language `tag`: the weight of the most specific range that
/// matches it (`en` matches `en-gb`, `*` matches all), or `None`.
pub fn language_weight(prefs: &[Preference], tag: &str) -> Option<f32> {
    let tag = tag.to_ascii_lowercase();
    prefs
        .iter()
        .filter(|p| {
            p.range == "*"
                || p.range == tag
                || tag
                    .strip_prefix(p.range.as_str())
                    .is_some_and(|rest| rest.starts_with('-'))
                || p.range
                    .strip_prefix(tag.as_str())
                    .is_some_and(|rest| rest.starts_with('-'))
        })
        .max_by_key(|p| specificity(&p.range, &tag))
        .map(|p| p.q)
}

/// How much the client wants media type `mt` (`text/html` ⊂ `text/*` ⊂ `*/*`), or `None`.
pub fn media_weight(prefs: &[Preference], mt: &str) -> Option<f32> {
    let mt = mt.to_ascii_lowercase();
    let major = mt.split('/').next().unwrap_or("");
    prefs
        .iter()
        .filter_map(|p| {
            let rank = if p.range == mt {
                3
            } else if p.range.strip_suffix("/*") == Some(major) {
                2
            } else if p.range == "*/*" {
                1
            } else {
                return None;
            };
            Some((rank, p.q))
        })
        .max_by_key(|(rank, _)| *rank)
        .map(|(_, q)| q)
}

fn specificity(range: &str, tag: &str) -> usize {
    if range == "*" {
        0
    } else if range == tag {
        usize::MAX
    } else {
        range.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights() {
        let prefs = parse("vi-VN, vi;q=0.9, en;q=0.5 ,*;q=0.1, fr;q=0");
        assert_eq!(language_weight(&prefs, "vi"), Some(0.9));
        assert_eq!(language_weight(&prefs, "vi-VN"), Some(1.0));
        assert_eq!(language_weight(&prefs, "en-GB"), Some(0.5));
        assert_eq!(language_weight(&prefs, "de"), Some(0.1));
        assert_eq!(language_weight(&prefs, "fr"), Some(0.0));
        assert_eq!(language_weight(&parse("en"), "vi"), None);
        assert_eq!(language_weight(&parse("en-US;q=x"), "en"), Some(1.0));

        let accept = parse("application/json;q=0.8, text/*;q=0.5, */*;q=0.1");
        assert_eq!(media_weight(&accept, "application/json"), Some(0.8));
        assert_eq!(media_weight(&accept, "text/html"), Some(0.5));
        assert_eq!(media_weight(&accept, "image/png"), Some(0.1));
        assert_eq!(media_weight(&parse("text/html"), "image/png"), None);
    }
}
