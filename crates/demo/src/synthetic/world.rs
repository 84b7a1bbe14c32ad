//! The synthetic economy: companies with 893 prefixes across the 34 provinces, each with a
//! role, an identifier style, a site and a few products.

use rand::rngs::StdRng;
use rand::Rng;

use crate::ids::{Gln, Gtin, IdStyle};
use crate::registry::Role;

/// The 34 provinces in force since 1 July 2025: (code, name).
pub const PROVINCES: [(&str, &str); 34] = [
    ("01", "Hà Nội"),
    ("04", "Cao Bằng"),
    ("08", "Tuyên Quang"),
    ("11", "Điện Biên"),
    ("12", "Lai Châu"),
    ("14", "Sơn La"),
    ("15", "Lào Cai"),
    ("19", "Thái Nguyên"),
    ("20", "Lạng Sơn"),
    ("22", "Quảng Ninh"),
    ("24", "Bắc Ninh"),
    ("25", "Phú Thọ"),
    ("31", "Hải Phòng"),
    ("33", "Hưng Yên"),
    ("37", "Ninh Bình"),
    ("38", "Thanh Hóa"),
    ("40", "Nghệ An"),
    ("42", "Hà Tĩnh"),
    ("44", "Quảng Trị"),
    ("46", "Huế"),
    ("48", "Đà Nẵng"),
    ("51", "Quảng Ngãi"),
    ("52", "Gia Lai"),
    ("56", "Khánh Hòa"),
    ("66", "Đắk Lắk"),
    ("68", "Lâm Đồng"),
    ("75", "Đồng Nai"),
    ("79", "TP. Hồ Chí Minh"),
    ("80", "Tây Ninh"),
    ("82", "Đồng Tháp"),
    ("86", "Vĩnh Long"),
    ("91", "An Giang"),
    ("92", "Cần Thơ"),
    ("96", "Cà Mau"),
];

/// A product group the synthetic chains carry.
#[derive(Debug, Clone, Copy)]
pub struct Category {
    /// Short code used in lot numbers.
    pub code: &'static str,
    /// Vietnamese name.
    pub name_vi: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// Whether it travels frozen with temperature readings.
    pub cold_chain: bool,
    /// Typical farm lot size in kilograms.
    pub lot_kg: u32,
    /// Kilograms of output per kilogram of input at the processor, in percent.
    pub yield_pct: u32,
}

/// The product groups.
pub const CATEGORIES: [Category; 8] = [
    Category {
        code: "CF",
        name_vi: "Cà phê",
        name_en: "Coffee",
        cold_chain: false,
        lot_kg: 2000,
        yield_pct: 82,
    },
    Category {
        code: "GA",
        name_vi: "Gạo",
        name_en: "Rice",
        cold_chain: false,
        lot_kg: 8000,
        yield_pct: 65,
    },
    Category {
        code: "CT",
        name_vi: "Cá tra",
        name_en: "Pangasius",
        cold_chain: true,
        lot_kg: 10000,
        yield_pct: 35,
    },
    Category {
        code: "TO",
        name_vi: "Tôm",
        name_en: "Shrimp",
        cold_chain: true,
        lot_kg: 3000,
        yield_pct: 60,
    },
    Category {
        code: "TL",
        name_vi: "Thanh long",
        name_en: "Dragon fruit",
        cold_chain: false,
        lot_kg: 5000,
        yield_pct: 95,
    },
    Category {
        code: "NH",
        name_vi: "Nhãn",
        name_en: "Longan",
        cold_chain: false,
        lot_kg: 1500,
        yield_pct: 30,
    },
    Category {
        code: "HT",
        name_vi: "Hồ tiêu",
        name_en: "Pepper",
        cold_chain: false,
        lot_kg: 1200,
        yield_pct: 90,
    },
    Category {
        code: "SR",
        name_vi: "Sầu riêng",
        name_en: "Durian",
        cold_chain: false,
        lot_kg: 4000,
        yield_pct: 97,
    },
];

/// A synthetic company.
#[derive(Debug, Clone)]
pub struct Company {
    /// Index in the generator's company list.
    pub index: u32,
    /// GS1 company prefix (893 + six digits).
    pub prefix: String,
    /// Role in the chain.
    pub role: Role,
    /// Province (code, name).
    pub province: (&'static str, &'static str),
    /// How it writes identifiers.
    pub style: IdStyle,
    /// The product group it deals in (index into [`CATEGORIES`]).
    pub category: usize,
    /// Its party identifier (PGLN), in its style.
    pub party: String,
    /// Its site (SGLN), in its style.
    pub site: String,
    /// The product it makes or grows (farms and processors).
    pub product: Gtin,
}

/// The roles in chain order, and the share of companies in each (percent).
const ROLE_SHARES: [(Role, u32); 4] = [
    (Role::Farm, 55),
    (Role::Processor, 12),
    (Role::Distributor, 13),
    (Role::Retailer, 20),
];

/// Builds `n` companies (at least one per role) from `rng`.
pub fn companies(n: usize, rng: &mut StdRng) -> Vec<Company> {
    let n = n.clamp(ROLE_SHARES.len(), 899_999);
    (0..n)
        .map(|i| {
            // The first companies cover every role so that any `n` yields complete chains.
            let role = match ROLE_SHARES.get(i) {
                Some((r, _)) => *r,
                None => pick_role(rng.gen_range(0..100)),
            };
            let prefix = format!("893{:06}", 100_000 + i);
            let style = if rng.gen_bool(0.6) {
                IdStyle::EpcUrn
            } else {
                IdStyle::DigitalLink
            };
            let province = PROVINCES[rng.gen_range(0..PROVINCES.len())];
            let category = rng.gen_range(0..CATEGORIES.len());
            let gln = Gln::new(&prefix, "000");
            let site = Gln::new(&prefix, "001");
            let item = if role == Role::Farm { "001" } else { "101" };
            Company {
                index: i as u32,
                party: gln.party(style),
                site: site.location(style),
                product: Gtin::new(&prefix, item),
                prefix,
                role,
                province,
                style,
                category,
            }
        })
        .collect()
}

fn pick_role(roll: u32) -> Role {
    let mut acc = 0;
    for (role, share) in ROLE_SHARES {
        acc += share;
        if roll < acc {
            return role;
        }
    }
    Role::Retailer
}
