//! Trace: from one identifier to every input, plot and supplier upstream and every output,
//! shipment and outlet downstream. Pure: the events come from an [`EventSource`], which the
//! store implements over its trace index.
//!
//! - [`record`]: [`EventRecord`], the part of an event that tracing needs, extracted once
//!   at capture and kept compact; [`codec`], its stored binary form.
//! - [`engine`]: the traversal ([`trace`]), bounded by time windows so that a reused pallet
//!   or container does not pull in unrelated goods.
//! - [`graph`]: the result, [`TraceGraph`]: nodes, edges, events, parties and locations,
//!   with [`TraceGraph::retain_events`] as the one place a viewer's policy filters it.
//! - [`fsma`]: the FSMA 204 style sortable spreadsheet (CSV).
//! - [`recall`]: recalls of lots, their forward scope ([`recall::sites`]) and acknowledgements.

pub mod codec;
pub mod engine;
pub mod fsma;
pub mod graph;
pub mod node;
pub mod recall;
pub mod record;
pub mod text;

pub use codec::DecodeError;
pub use engine::{trace, Direction, EventSource, TraceError, TraceRequest};
pub use graph::{Edge, EdgeKind, Node, TraceEvent, TraceGraph};
pub use node::{parse_key, KeyError, NodeKind, NodeRef};
pub use record::{EventRecord, Link, Party, Role, Word};
