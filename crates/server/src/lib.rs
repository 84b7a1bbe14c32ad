//! The traceport HTTP service: axum routes for the EPCIS 2.0 REST API.
//! HTTP lives only here; handlers are thin over `epcis` (parse, validate) and `store`.
