//! Registries and access, as pure domain logic: who the legal entities, accounts and
//! products are ([`model`]), who may do what ([`policy`]), what the public may see of an
//! event ([`consumer`]), whether an organisation may use an identifier ([`ownership`]),
//! and the checks on registry input ([`validate`]). No I/O: the store keeps these records,
//! the server enforces the decisions.

pub mod accounts;
pub mod admin;
pub mod codes;
pub mod consumer;
pub mod masterdata;
pub mod model;
pub mod ownership;
pub mod places;
pub mod policy;
pub mod validate;

pub use model::{
    Certificate, ChainRole, NewOrganisation, Organisation, Product, ProductGroup, Suspension,
    Verification,
};
pub use policy::{Action, Caller, Decision, Denial, EventScope, Principal, RecallReach, Scope};

/// Facet fields the server adds to every captured event (never sent by clients: client
/// extension fields are always prefixed `ext:`/`ilmd:`/`inner:`, so these cannot be forged
/// or queried through the standard parameters).
pub mod facets {
    /// The organisation that captured the event (its registry id).
    pub const OWNER: &str = "tp:owner";
    /// The province code of the owner, for officials' jurisdiction.
    pub const PROVINCE: &str = "tp:province";
    /// A flag raised at capture (see [`crate::ownership::Flag`]).
    pub const FLAG: &str = "tp:flag";
}
