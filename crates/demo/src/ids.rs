//! GS1 keys with check digits and the two ways senders write them: EPC URNs and
//! GS1 Digital Link URIs. Every check digit comes from [`gs1::check_digit`].

/// How an organisation writes identifiers in the events it sends. Real senders differ,
/// so the demo mixes both and the repository must treat them as the same object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdStyle {
    /// `urn:epc:id:sgtin:…`, `urn:epc:class:lgtin:…` and friends.
    EpcUrn,
    /// `https://id.gs1.org/01/…` and friends.
    DigitalLink,
}

/// The Digital Link host used for every generated Digital Link.
pub const DIGITAL_LINK_BASE: &str = "https://id.gs1.org";

/// Appends the GS1 check digit to `body`.
///
/// Callers build `body` from integers and fixed digit strings, so a non-digit here is a
/// bug in this crate, not bad input.
pub fn with_check_digit(body: &str) -> String {
    let digit = match gs1::check_digit(body) {
        Ok(d) => d,
        Err(e) => panic!("demo identifiers are built from digits only: {e}"),
    };
    let mut out = String::with_capacity(body.len() + 1);
    out.push_str(body);
    out.push(char::from(b'0' + digit));
    out
}

/// A GTIN-13 owned by a company prefix, with indicator digit 0 when written as GTIN-14.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gtin {
    /// The GS1 company prefix.
    pub prefix: String,
    /// The item reference (prefix + item reference = 12 digits).
    pub item_ref: String,
    /// The full GTIN-14 (leading 0, check digit included).
    pub gtin14: String,
}

impl Gtin {
    /// Builds the GTIN of `item_ref` under `prefix`; together they must be 12 digits.
    pub fn new(prefix: &str, item_ref: &str) -> Gtin {
        let gtin14 = with_check_digit(&format!("0{prefix}{item_ref}"));
        Gtin {
            prefix: prefix.to_string(),
            item_ref: item_ref.to_string(),
            gtin14,
        }
    }

    /// The GTIN-13 (GTIN-14 without its leading 0).
    pub fn gtin13(&self) -> &str {
        &self.gtin14[1..]
    }

    /// A lot of this product (LGTIN class).
    pub fn lot(&self, style: IdStyle, lot: &str) -> String {
        match style {
            IdStyle::EpcUrn => format!(
                "urn:epc:class:lgtin:{}.0{}.{lot}",
                self.prefix, self.item_ref
            ),
            IdStyle::DigitalLink => format!("{DIGITAL_LINK_BASE}/01/{}/10/{lot}", self.gtin14),
        }
    }

    /// One serialised instance (SGTIN).
    pub fn serial(&self, style: IdStyle, serial: &str) -> String {
        match style {
            IdStyle::EpcUrn => format!(
                "urn:epc:id:sgtin:{}.0{}.{serial}",
                self.prefix, self.item_ref
            ),
            IdStyle::DigitalLink => format!("{DIGITAL_LINK_BASE}/01/{}/21/{serial}", self.gtin14),
        }
    }

    /// The product class as a whole (all lots and serials): the form master data uses.
    pub fn class(&self, style: IdStyle) -> String {
        match style {
            IdStyle::EpcUrn => format!("urn:epc:idpat:sgtin:{}.0{}.*", self.prefix, self.item_ref),
            IdStyle::DigitalLink => format!("{DIGITAL_LINK_BASE}/01/{}", self.gtin14),
        }
    }
}

/// A GLN: a location reference under a company prefix (together 12 digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gln {
    /// The GS1 company prefix.
    pub prefix: String,
    /// The location reference.
    pub location_ref: String,
    /// The 13-digit GLN.
    pub gln: String,
}

impl Gln {
    /// Builds the GLN of `location_ref` under `prefix`.
    pub fn new(prefix: &str, location_ref: &str) -> Gln {
        let gln = with_check_digit(&format!("{prefix}{location_ref}"));
        Gln {
            prefix: prefix.to_string(),
            location_ref: location_ref.to_string(),
            gln,
        }
    }

    /// The GLN as a physical location (SGLN, extension 0), for readPoint and bizLocation.
    pub fn location(&self, style: IdStyle) -> String {
        match style {
            IdStyle::EpcUrn => format!("urn:epc:id:sgln:{}.{}.0", self.prefix, self.location_ref),
            IdStyle::DigitalLink => format!("{DIGITAL_LINK_BASE}/414/{}", self.gln),
        }
    }

    /// The GLN as a party (PGLN), for owning_party sources and destinations.
    pub fn party(&self, style: IdStyle) -> String {
        match style {
            IdStyle::EpcUrn => format!("urn:epc:id:pgln:{}.{}", self.prefix, self.location_ref),
            IdStyle::DigitalLink => format!("{DIGITAL_LINK_BASE}/417/{}", self.gln),
        }
    }
}

/// An SSCC (logistic unit, e.g. a pallet): extension digit, company prefix and serial
/// reference, 17 digits, then the check digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sscc {
    /// The GS1 company prefix.
    pub prefix: String,
    /// Extension digit followed by the serial reference.
    pub ext_serial: String,
    /// The 18-digit SSCC.
    pub sscc: String,
}

impl Sscc {
    /// Builds the SSCC; `serial_ref` is zero-padded to fill 17 digits with the prefix.
    pub fn new(prefix: &str, extension: u8, serial_ref: u64) -> Sscc {
        let width = 16usize.saturating_sub(prefix.len());
        let ext_serial = format!("{}{serial_ref:0width$}", extension % 10);
        let sscc = with_check_digit(&format!(
            "{}{}{}",
            &ext_serial[..1],
            prefix,
            &ext_serial[1..]
        ));
        Sscc {
            prefix: prefix.to_string(),
            ext_serial,
            sscc,
        }
    }

    /// The SSCC as an EPC.
    pub fn uri(&self, style: IdStyle) -> String {
        match style {
            IdStyle::EpcUrn => format!("urn:epc:id:sscc:{}.{}", self.prefix, self.ext_serial),
            IdStyle::DigitalLink => format!("{DIGITAL_LINK_BASE}/00/{}", self.sscc),
        }
    }
}

/// A GIAI (individual asset, e.g. a temperature logger) as an EPC.
pub fn giai(style: IdStyle, prefix: &str, asset_ref: &str) -> String {
    match style {
        IdStyle::EpcUrn => format!("urn:epc:id:giai:{prefix}.{asset_ref}"),
        IdStyle::DigitalLink => format!("{DIGITAL_LINK_BASE}/8004/{prefix}{asset_ref}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_gtin_check_digit() {
        // GS1's worked example: GTIN-14 of 0614141.107346 is 10614141073464 (indicator 1);
        // with indicator 0 and item 07346 it is 00614141073467.
        let g = Gtin::new("0614141", "07346");
        assert_eq!(g.gtin14, "00614141073467");
        assert_eq!(
            g.lot(IdStyle::EpcUrn, "L1"),
            "urn:epc:class:lgtin:0614141.007346.L1"
        );
        assert_eq!(
            g.lot(IdStyle::DigitalLink, "L1"),
            "https://id.gs1.org/01/00614141073467/10/L1"
        );
    }

    #[test]
    fn known_sscc_and_gln() {
        // EPC Tag Data Standard example: urn:epc:id:sscc:0614141.1234567890 is SSCC 106141412345678908.
        let s = Sscc::new("0614141", 1, 234_567_890);
        assert_eq!(s.sscc, "106141412345678908");
        assert_eq!(s.uri(IdStyle::EpcUrn), "urn:epc:id:sscc:0614141.1234567890");
        // urn:epc:id:sgln:0614141.12345.0 is GLN 0614141123452.
        let g = Gln::new("0614141", "12345");
        assert_eq!(g.gln, "0614141123452");
        assert_eq!(
            g.location(IdStyle::DigitalLink),
            "https://id.gs1.org/414/0614141123452"
        );
    }
}
