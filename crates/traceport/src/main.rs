//! The `traceport` binary: CLI, configuration and wiring.
fn main() {}
