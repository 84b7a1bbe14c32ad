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

/// `action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `ADD`.
    Add,
    /// `OBSERVE`.
    Observe,
    /// `DELETE`.
    Delete,
}

impl Action {
    /// The value as written in an event.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "ADD",
            Action::Observe => "OBSERVE",
            Action::Delete => "DELETE",
        }
    }

    /// Parses `ADD`, `OBSERVE` or `DELETE`.
    pub fn parse(text: &str) -> Option<Action> {
        match text {
            "ADD" => Some(Action::Add),
            "OBSERVE" => Some(Action::Observe),
            "DELETE" => Some(Action::Delete),
            _ => None,
        }
    }
}

/// A date-time as written, with its instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timestamp<'a> {
    /// The RFC 3339 text.
    pub text: &'a str,
    /// Milliseconds since the Unix epoch.
    pub epoch_ms: i64,
}

/// User extension fields of an object (`prefix:name` → value), in document order.
pub type Extensions<'a> = Vec<(&'a str, &'a serde_json::Value)>;

/// One element of a quantity list.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantityElement<'a> {
    /// `epcClass`.
    pub epc_class: &'a str,
    /// `quantity`.
    pub quantity: Option<f64>,
    /// `uom` (UN/CEFACT Rec 20 code).
    pub uom: Option<&'a str>,
}

/// `persistentDisposition`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PersistentDisposition<'a> {
    /// `set`.
    pub set: Vec<&'a str>,
    /// `unset`.
    pub unset: Vec<&'a str>,
}

/// `readPoint` or `bizLocation`.
#[derive(Debug, Clone, PartialEq)]
pub struct Location<'a> {
    /// `id`.
    pub id: &'a str,
    /// Extension fields next to `id`.
    pub extensions: Extensions<'a>,
}

/// One `bizTransactionList` element.
#[derive(Debug, Clone, PartialEq)]
pub struct BizTransaction<'a> {
    /// `type`, if given.
    pub kind: Option<&'a str>,
    /// `bizTransaction`.
    pub id: &'a str,
}

/// One `sourceList` or `destinationList` element.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDest<'a> {
    /// `type`.
    pub kind: &'a str,
    /// `source` or `destination`.
    pub id: &'a str,
}

/// `sensorMetadata`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SensorMetadata<'a> {
    /// `time`.
    pub time: Option<Timestamp<'a>>,
    /// `startTime`.
    pub start_time: Option<Timestamp<'a>>,
    /// `endTime`.
    pub end_time: Option<Timestamp<'a>>,
    /// `deviceID`.
    pub device_id: Option<&'a str>,
    /// `deviceMetadata`.
    pub device_metadata: Option<&'a str>,
    /// `rawData`.
    pub raw_data: Option<&'a str>,
    /// `dataProcessingMethod`.
    pub data_processing_method: Option<&'a str>,
    /// `bizRules`.
    pub biz_rules: Option<&'a str>,
    /// Extension fields.
    pub extensions: Extensions<'a>,
}

/// One `sensorReport` element.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SensorReport<'a> {
    /// `type` (measurement type).
    pub kind: Option<&'a str>,
    /// `exception` (sensor alert type).
    pub exception: Option<&'a str>,
    /// `deviceID`.
    pub device_id: Option<&'a str>,
    /// `deviceMetadata`.
    pub device_metadata: Option<&'a str>,
    /// `rawData`.
    pub raw_data: Option<&'a str>,
    /// `dataProcessingMethod`.
    pub data_processing_method: Option<&'a str>,
    /// `bizRules`.
    pub biz_rules: Option<&'a str>,
    /// `time`.
    pub time: Option<Timestamp<'a>>,
    /// `microorganism`.
    pub microorganism: Option<&'a str>,
    /// `chemicalSubstance`.
    pub chemical_substance: Option<&'a str>,
    /// `coordinateReferenceSystem`.
    pub coordinate_reference_system: Option<&'a str>,
    /// `component`.
    pub component: Option<&'a str>,
    /// `stringValue`.
    pub string_value: Option<&'a str>,
    /// `booleanValue`.
    pub boolean_value: Option<bool>,
    /// `hexBinaryValue`.
    pub hex_binary_value: Option<&'a str>,
    /// `uriValue`.
    pub uri_value: Option<&'a str>,
    /// `value`.
    pub value: Option<f64>,
    /// `minValue`.
    pub min_value: Option<f64>,
    /// `maxValue`.
    pub max_value: Option<f64>,
    /// `meanValue`.
    pub mean_value: Option<f64>,
    /// `sDev`.
    pub s_dev: Option<f64>,
    /// `percRank`.
    pub perc_rank: Option<f64>,
    /// `percValue`.
    pub perc_value: Option<f64>,
    /// `uom`.
    pub uom: Option<&'a str>,
    /// Extension fields.
    pub extensions: Extensions<'a>,
}

/// One `sensorElementList` element.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SensorElement<'a> {
    /// `sensorMetadata`.
    pub metadata: Option<SensorMetadata<'a>>,
    /// `sensorReport`.
    pub reports: Vec<SensorReport<'a>>,
    /// Extension fields.
    pub extensions: Extensions<'a>,
}

/// `errorDeclaration`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorDeclaration<'a> {
    /// `declarationTime`.
    pub declaration_time: Timestamp<'a>,
    /// `reason`.
    pub reason: Option<&'a str>,
    /// `correctiveEventIDs`.
    pub corrective_event_ids: Vec<&'a str>,
    /// Extension fields.
    pub extensions: Extensions<'a>,
}

/// Fields every event type may carry.
#[derive(Debug, Clone, PartialEq)]
pub struct CommonFields<'a> {
    /// `eventTime`.
    pub event_time: Timestamp<'a>,
    /// `recordTime`.
    pub record_time: Option<Timestamp<'a>>,
    /// `eventTimeZoneOffset`.
    pub event_time_zone_offset: &'a str,
    /// `eventID`.
    pub event_id: Option<&'a str>,
    /// `certificationInfo` (one or many).
    pub certification_info: Vec<&'a str>,
    /// `errorDeclaration`.
    pub error_declaration: Option<ErrorDeclaration<'a>>,
    /// `bizStep`.
    pub biz_step: Option<&'a str>,
    /// `disposition`.
    pub disposition: Option<&'a str>,
    /// `persistentDisposition`.
    pub persistent_disposition: Option<PersistentDisposition<'a>>,
    /// `readPoint`.
    pub read_point: Option<Location<'a>>,
    /// `bizLocation`.
    pub biz_location: Option<Location<'a>>,
    /// `bizTransactionList`.
    pub biz_transactions: Vec<BizTransaction<'a>>,
    /// `sourceList`.
    pub sources: Vec<SourceDest<'a>>,
    /// `destinationList`.
    pub destinations: Vec<SourceDest<'a>>,
    /// `sensorElementList`.
    pub sensor_elements: Vec<SensorElement<'a>>,
    /// Top-level extension fields.
    pub extensions: Extensions<'a>,
}

/// `ObjectEvent`-specific fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectEvent<'a> {
    /// `action`.
    pub action: Action,
    /// `epcList`.
    pub epc_list: Vec<&'a str>,
    /// `quantityList`.
    pub quantity_list: Vec<QuantityElement<'a>>,
    /// `ilmd`.
    pub ilmd: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

/// `AggregationEvent`-specific fields.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregationEvent<'a> {
    /// `action`.
    pub action: Action,
    /// `parentID`.
    pub parent_id: Option<&'a str>,
    /// `childEPCs`.
    pub child_epcs: Vec<&'a str>,
    /// `childQuantityList`.
    pub child_quantity_list: Vec<QuantityElement<'a>>,
}

/// `TransactionEvent`-specific fields (its `bizTransactionList` is in [`CommonFields`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionEvent<'a> {
    /// `action`.
    pub action: Action,
    /// `parentID`.
    pub parent_id: Option<&'a str>,
    /// `epcList`.
    pub epc_list: Vec<&'a str>,
    /// `quantityList`.
    pub quantity_list: Vec<QuantityElement<'a>>,
}

/// `TransformationEvent`-specific fields.
#[derive(Debug, Clone, PartialEq)]
pub struct TransformationEvent<'a> {
    /// `inputEPCList`.
    pub input_epc_list: Vec<&'a str>,
    /// `inputQuantityList`.
    pub input_quantity_list: Vec<QuantityElement<'a>>,
    /// `outputEPCList`.
    pub output_epc_list: Vec<&'a str>,
    /// `outputQuantityList`.
    pub output_quantity_list: Vec<QuantityElement<'a>>,
    /// `transformationID`.
    pub transformation_id: Option<&'a str>,
    /// `ilmd`.
    pub ilmd: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

/// `AssociationEvent`-specific fields.
#[derive(Debug, Clone, PartialEq)]
pub struct AssociationEvent<'a> {
    /// `action`.
    pub action: Action,
    /// `parentID` (required).
    pub parent_id: &'a str,
    /// `childEPCs`.
    pub child_epcs: Vec<&'a str>,
    /// `childQuantityList`.
    pub child_quantity_list: Vec<QuantityElement<'a>>,
}

/// The type-specific part of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum EventBody<'a> {
    /// An `ObjectEvent`.
    Object(ObjectEvent<'a>),
    /// An `AggregationEvent`.
    Aggregation(AggregationEvent<'a>),
    /// A `TransactionEvent`.
    Transaction(TransactionEvent<'a>),
    /// A `TransformationEvent`.
    Transformation(TransformationEvent<'a>),
    /// An `AssociationEvent`.
    Association(AssociationEvent<'a>),
}

/// A typed view of a validated event, borrowing from its JSON-LD object.
#[derive(Debug, Clone, PartialEq)]
pub struct EventView<'a> {
    /// Fields shared by all types.
    pub common: CommonFields<'a>,
    /// The type-specific fields.
    pub body: EventBody<'a>,
}

impl EventView<'_> {
    /// The event type.
    pub fn event_type(&self) -> EventType {
        match self.body {
            EventBody::Object(_) => EventType::ObjectEvent,
            EventBody::Aggregation(_) => EventType::AggregationEvent,
            EventBody::Transaction(_) => EventType::TransactionEvent,
            EventBody::Transformation(_) => EventType::TransformationEvent,
            EventBody::Association(_) => EventType::AssociationEvent,
        }
    }

    /// `action`, for the types that have one.
    pub fn action(&self) -> Option<Action> {
        match &self.body {
            EventBody::Object(e) => Some(e.action),
            EventBody::Aggregation(e) => Some(e.action),
            EventBody::Transaction(e) => Some(e.action),
            EventBody::Association(e) => Some(e.action),
            EventBody::Transformation(_) => None,
        }
    }
}
