//! The GS1-Conformant resolver (Resolver standard 1.2) without HTTP: the links a brand
//! owner publishes for a key, lot or serial range, the walk-up from serial to lot to key,
//! the choice by link type, context, language and media type, and the RFC 9264 linkset.
//!
//! Pure: the server fetches the links and maps a [`Decision`] to a response.

pub mod accept;
mod error;
pub mod link;
pub mod linkset;
pub mod select;
pub mod vocab;

pub use error::ResolverError;
pub use link::{Level, Link, Scope, SerialRange};
pub use select::{decide, Decision, Request};
