//! Demo data and the synthetic generator: EPCIS 2.0 JSON-LD documents for realistic
//! Vietnamese supply chains. Pure: produces documents, writes nothing.
//!
//! - [`demo_documents`]: a small, fixed data set (Hưng Yên longan, Đắk Lắk coffee,
//!   An Giang pangasius) with master data, for demos and end-to-end tests;
//!   [`demo_lots`] names its key identifiers.
//! - [`organisations`], [`products`], [`locations`]: the registries behind it.
//! - [`synthetic`]: a seeded generator of national-scale data for benchmarks.

mod dataset;
pub mod document;
mod event;
pub mod ids;
pub mod registry;
pub mod synthetic;

pub use dataset::{demo_documents, demo_lots, DemoLot, DemoLots};
pub use registry::{
    locations, organisations, products, Location, LocationKind, Organisation, Product, Role,
};
