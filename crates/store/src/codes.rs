//! How enums are stored: small integers, stable across versions (they are on disk).

use crate::{AppendMode, JobStatus};
use epcis::EventType;

/// Job status codes.
pub(crate) const STATUS_PENDING: i64 = 0;
/// Running.
pub(crate) const STATUS_RUNNING: i64 = 1;
/// Finished.
pub(crate) const STATUS_FINISHED: i64 = 2;

/// The stored code of an event type.
pub(crate) fn event_type_code(t: EventType) -> i64 {
    match t {
        EventType::ObjectEvent => 1,
        EventType::AggregationEvent => 2,
        EventType::TransactionEvent => 3,
        EventType::TransformationEvent => 4,
        EventType::AssociationEvent => 5,
    }
}

/// The event type of a stored code.
pub(crate) fn event_type_from_code(code: i64) -> Option<EventType> {
    EventType::ALL
        .into_iter()
        .find(|t| event_type_code(*t) == code)
}

/// The stored code of an append mode.
pub(crate) fn mode_code(mode: AppendMode) -> i64 {
    match mode {
        AppendMode::AllOrNothing => 0,
        AppendMode::SkipFailures => 1,
    }
}

/// The append mode of a stored code.
pub(crate) fn mode_from_code(code: i64) -> Option<AppendMode> {
    match code {
        0 => Some(AppendMode::AllOrNothing),
        1 => Some(AppendMode::SkipFailures),
        _ => None,
    }
}

/// The job status of a stored code.
pub(crate) fn status_from_code(code: i64) -> Option<JobStatus> {
    match code {
        STATUS_PENDING => Some(JobStatus::Pending),
        STATUS_RUNNING => Some(JobStatus::Running),
        STATUS_FINISHED => Some(JobStatus::Finished),
        _ => None,
    }
}
