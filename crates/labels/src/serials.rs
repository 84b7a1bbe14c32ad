//! Serial numbers for anti-counterfeiting: random, so that knowing some serials tells
//! nothing about others.

use rand::{CryptoRng, Rng};

/// Characters of a serial: digits and upper-case letters without look-alikes (0/O, 1/I),
/// all in GS1 character set 82 and safe in a URI path without escaping.
pub const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// `count` distinct serials of `len` characters (5 bits each; 12 characters give 60 bits)
/// from a cryptographic random source.
pub fn random_serials<R: Rng + CryptoRng>(rng: &mut R, count: usize, len: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(count);
    let mut seen = std::collections::HashSet::with_capacity(count);
    while out.len() < count {
        let s: String = (0..len)
            .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
            .collect();
        if seen.insert(s.clone()) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_valid_and_spread() {
        let serials = random_serials(&mut rand::thread_rng(), 2_000, 12);
        assert_eq!(serials.len(), 2_000);
        let set: std::collections::HashSet<_> = serials.iter().collect();
        assert_eq!(set.len(), 2_000);
        for s in &serials {
            assert_eq!(s.len(), 12);
            gs1::AiValue::new("21", s).unwrap();
        }
        // Every position uses (nearly) the whole alphabet: no counter hides in them.
        for pos in 0..12 {
            let used: std::collections::HashSet<u8> =
                serials.iter().map(|s| s.as_bytes()[pos]).collect();
            assert!(
                used.len() >= 30,
                "position {pos} uses {} characters",
                used.len()
            );
        }
    }
}
