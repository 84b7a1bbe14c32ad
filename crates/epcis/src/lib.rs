//! GS1 EPCIS 2.0 and CBV 2.0: the event model, the JSON-LD and XML bindings, validation,
//! the canonical event hash, the facets an event is indexed by, and the
//! SimpleEventQuery parameters turned into a typed [`query::Query`].
//!
//! Pure: no I/O. Errors are typed and say which event, which field and why.

pub mod cbv;
pub mod context;
pub mod convert;
pub mod document;
pub mod facet;
pub mod format;
pub mod hash;
pub mod ids;
pub mod lexical;
pub mod model;
mod path;
pub mod query;
pub mod schedule;
mod validate;
pub mod xml;

pub use document::{
    parse_any_document, parse_any_event, parse_document, parse_event, Document, DocumentError,
    Event, FieldError, Limits,
};
pub use facet::{Facet, FacetValue};
pub use model::EventType;
pub use query::Query;
pub use validate::view_event;
