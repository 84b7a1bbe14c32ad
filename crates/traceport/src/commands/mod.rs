//! One module per command.

pub mod accounts;
pub mod admin;
pub mod convert;
pub mod demo;
pub mod generate;
pub mod import;
pub mod query;
pub mod serve;
pub mod trace;
