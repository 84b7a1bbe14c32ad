//! GS1 EPCIS 2.0 and CBV 2.0: the event model, the JSON-LD binding, validation,
//! the canonical event hash, the facets an event is indexed by, and the
//! SimpleEventQuery parameters turned into a typed [`query::Query`].
//!
//! Pure: no I/O. Errors are typed and say which event, which field and why.

pub mod cbv;
pub mod context;
pub mod document;
pub mod facet;
pub mod format;
pub mod hash;
pub mod lexical;
pub mod model;
mod path;
pub mod query;
mod validate;

pub use document::{
    parse_document, parse_event, Document, DocumentError, Event, FieldError, Limits,
};
pub use facet::{Facet, FacetValue};
pub use model::EventType;
pub use query::Query;
