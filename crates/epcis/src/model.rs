//! The EPCIS 2.0 event model.

use serde::{Deserialize, Serialize};

/// The five EPCIS 2.0 event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// Something happened to one or more objects.
    ObjectEvent,
    /// Objects were physically aggregated into (or removed from) a parent.
    AggregationEvent,
    /// Objects were associated with a business transaction.
    TransactionEvent,
    /// Inputs were consumed and outputs produced.
    TransformationEvent,
    /// Assets were associated with (or dissociated from) a parent.
    AssociationEvent,
}

impl EventType {
    /// All event types in the standard's order.
    pub const ALL: [EventType; 5] = [
        EventType::ObjectEvent,
        EventType::AggregationEvent,
        EventType::TransactionEvent,
        EventType::TransformationEvent,
        EventType::AssociationEvent,
    ];

    /// The type's name as it appears in `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ObjectEvent => "ObjectEvent",
            EventType::AggregationEvent => "AggregationEvent",
            EventType::TransactionEvent => "TransactionEvent",
            EventType::TransformationEvent => "TransformationEvent",
            EventType::AssociationEvent => "AssociationEvent",
        }
    }

    /// Parses a type name.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}
