//! Accounts: users (people who sign in) and API tokens (software), each with one role.

use serde::{Deserialize, Serialize};

use crate::model::Organisation;
use crate::policy::{Principal, Scope};

/// The role of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AccountRole {
    /// A member of an organisation.
    Member,
    /// An administrator of an organisation.
    Admin,
    /// An official of a provincial authority.
    ProvincialOfficial,
    /// An official of a national authority.
    NationalOfficial,
    /// A system operator.
    Operator,
}

impl AccountRole {
    /// Every role.
    pub const ALL: [AccountRole; 5] = [
        AccountRole::Member,
        AccountRole::Admin,
        AccountRole::ProvincialOfficial,
        AccountRole::NationalOfficial,
        AccountRole::Operator,
    ];

    /// The role's name (as stored and in the API).
    pub fn as_str(self) -> &'static str {
        match self {
            AccountRole::Member => "member",
            AccountRole::Admin => "admin",
            AccountRole::ProvincialOfficial => "provincialOfficial",
            AccountRole::NationalOfficial => "nationalOfficial",
            AccountRole::Operator => "operator",
        }
    }

    /// Parses a role name.
    pub fn parse(name: &str) -> Option<AccountRole> {
        AccountRole::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// True for roles that belong to an organisation.
    pub fn needs_org(self) -> bool {
        matches!(self, AccountRole::Member | AccountRole::Admin)
    }
}

/// Who an account acts for: its role plus the organisation or province it is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    /// Role.
    pub role: AccountRole,
    /// Organisation (members and administrators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// Province code (provincial officials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
}

impl Binding {
    /// Checks that the role has exactly what it needs (an organisation for members, a
    /// province for provincial officials, nothing else otherwise).
    pub fn check(&self) -> Result<(), String> {
        match (self.role.needs_org(), &self.org, self.role, &self.province) {
            (true, None, _, _) => Err(format!(
                "a {} account needs an organisation",
                self.role.as_str()
            )),
            (false, Some(_), _, _) => Err(format!(
                "a {} account does not belong to an organisation",
                self.role.as_str()
            )),
            (_, _, AccountRole::ProvincialOfficial, None) => {
                Err("a provincial official needs a province".into())
            }
            (_, _, AccountRole::ProvincialOfficial, Some(_)) => Ok(()),
            (_, _, _, Some(_)) => Err(format!("a {} account has no province", self.role.as_str())),
            _ => Ok(()),
        }
    }

    /// The principal this binding stands for, given its organisation's current record
    /// (a member of an unknown organisation is treated as the public).
    pub fn principal(&self, org: Option<&Organisation>) -> Principal {
        match self.role {
            AccountRole::Member | AccountRole::Admin => match org {
                Some(o) => Principal::Member {
                    org: o.id().to_owned(),
                    admin: self.role == AccountRole::Admin,
                    active: o.is_active(),
                },
                None => Principal::Public,
            },
            AccountRole::ProvincialOfficial => Principal::ProvincialOfficial {
                province: self.province.clone().unwrap_or_default(),
            },
            AccountRole::NationalOfficial => Principal::NationalOfficial,
            AccountRole::Operator => Principal::Operator,
        }
    }
}

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Unique login name.
    pub name: String,
    /// PHC string of the password hash (argon2id).
    pub password_hash: String,
    /// Role and binding.
    pub binding: Binding,
    /// When created, epoch ms.
    pub created_ms: i64,
    /// A disabled user cannot sign in.
    pub disabled: bool,
}

/// An API token. Only its SHA-256 is kept: the token itself is shown once, at creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Public identifier (to list and revoke it).
    pub id: String,
    /// A label chosen by its creator.
    pub name: String,
    /// Hex SHA-256 of the secret.
    pub secret_sha256: String,
    /// Role and binding.
    pub binding: Binding,
    /// What it may be used for.
    pub scopes: Vec<Scope>,
    /// Who created it.
    pub created_by: String,
    /// When created, epoch ms.
    pub created_ms: i64,
    /// Expiry, epoch ms.
    pub expires_ms: Option<i64>,
    /// When revoked, epoch ms.
    pub revoked_ms: Option<i64>,
    /// When last used, epoch ms (updated at most once a minute).
    pub last_used_ms: Option<i64>,
}

impl ApiToken {
    /// Why the token cannot be used at `now_ms`, if it cannot.
    pub fn unusable(&self, now_ms: i64) -> Option<&'static str> {
        if self.revoked_ms.is_some() {
            Some("the API token has been revoked")
        } else if self.expires_ms.is_some_and(|e| e <= now_ms) {
            Some("the API token has expired")
        } else {
            None
        }
    }
}

/// One line of the audit log: a write, or a read of non-public data by an authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// When, epoch ms.
    pub at_ms: i64,
    /// User or token name (empty for the public).
    pub actor: String,
    /// The actor's role (`public`, `member`, `provincialOfficial` …).
    pub role: String,
    /// The actor's organisation, if any.
    pub org: Option<String>,
    /// The province the entry belongs to (the actor's organisation's, or the official's), if any.
    pub province: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// HTTP status of the answer.
    pub status: u16,
    /// Where from (client address, or the first `X-Forwarded-For` hop).
    pub source: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_need_the_right_attachments() {
        let b = |role, org: Option<&str>, province: Option<&str>| Binding {
            role,
            org: org.map(Into::into),
            province: province.map(Into::into),
        };
        assert!(b(AccountRole::Member, Some("a"), None).check().is_ok());
        assert!(b(AccountRole::Member, None, None).check().is_err());
        assert!(b(AccountRole::Operator, Some("a"), None).check().is_err());
        assert!(b(AccountRole::ProvincialOfficial, None, Some("33"))
            .check()
            .is_ok());
        assert!(b(AccountRole::ProvincialOfficial, None, None)
            .check()
            .is_err());
        assert!(b(AccountRole::NationalOfficial, None, Some("33"))
            .check()
            .is_err());
        assert!(b(AccountRole::NationalOfficial, None, None).check().is_ok());
    }

    #[test]
    fn revoked_and_expired_tokens_are_unusable() {
        let mut t = ApiToken {
            id: "t".into(),
            name: "n".into(),
            secret_sha256: "00".into(),
            binding: Binding {
                role: AccountRole::Operator,
                org: None,
                province: None,
            },
            scopes: vec![],
            created_by: "x".into(),
            created_ms: 0,
            expires_ms: Some(100),
            revoked_ms: None,
            last_used_ms: None,
        };
        assert_eq!(t.unusable(99), None);
        assert!(t.unusable(100).unwrap().contains("expired"));
        t.revoked_ms = Some(5);
        assert!(t.unusable(0).unwrap().contains("revoked"));
    }
}
