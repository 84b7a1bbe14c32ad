//! The one access policy: who may do what, and which events they see.
//!
//! [`decide`] takes a [`Caller`] and an [`Action`] and answers allow, deny (with the HTTP
//! meaning: not signed in, or not permitted) or, for reads of events, the [`EventScope`]
//! the caller sees in full. Every route asks here; no handler checks roles itself.

use serde::{Deserialize, Serialize};

/// Who the caller is, as far as access is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Nobody signed in.
    Public,
    /// A user (or token) of an organisation.
    Member {
        /// Registry id of the organisation.
        org: String,
        /// Administrator of the organisation (manages its accounts and tokens).
        admin: bool,
        /// The organisation is verified and not suspended.
        active: bool,
    },
    /// An official of a provincial authority.
    ProvincialOfficial {
        /// Province code of the jurisdiction.
        province: String,
    },
    /// An official of a national authority (a ministry).
    NationalOfficial,
    /// A system operator.
    Operator,
}

/// What an API token may be used for (a browser session may do everything its user may).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Scope {
    /// Read events, capture jobs and named queries.
    Read,
    /// Capture events.
    Capture,
    /// Write to the registries (products, organisations, codes).
    Registry,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Capture, Scope::Registry];

    /// The scope's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Capture => "capture",
            Scope::Registry => "registry",
        }
    }

    /// Parses a scope name.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Who.
    pub principal: Principal,
    /// What the credential allows (all scopes for a session).
    pub scopes: Vec<Scope>,
    /// User or token name, for audit and ownership of named queries.
    pub name: String,
}

impl Caller {
    /// The anonymous caller.
    pub fn public() -> Caller {
        Caller {
            principal: Principal::Public,
            scopes: Scope::ALL.to_vec(),
            name: String::new(),
        }
    }

    /// Who owns what this caller creates (named queries): the organisation for members,
    /// the user or token name otherwise.
    pub fn owner_key(&self) -> String {
        match &self.principal {
            Principal::Member { org, .. } => org.clone(),
            _ => self.name.clone(),
        }
    }

    /// The organisation of a member.
    pub fn org(&self) -> Option<&str> {
        match &self.principal {
            Principal::Member { org, .. } => Some(org),
            _ => None,
        }
    }
}

/// Something a caller wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// Query or fetch events.
    ReadEvents,
    /// Capture events (`POST /capture`, `POST /events`).
    CaptureEvents,
    /// List or fetch capture jobs.
    ReadCaptureJobs,
    /// List or fetch named query definitions.
    ReadNamedQueries,
    /// Create a named query.
    CreateNamedQuery,
    /// Delete a named query owned by `owner` (see [`Caller::owner_key`]).
    DeleteNamedQuery {
        /// The query's owner.
        owner: &'a str,
    },
    /// Read the public registries (organisations, products).
    ReadRegistry,
    /// Register a new organisation (it starts unverified).
    RegisterOrganisation,
    /// Verify, reject, suspend or reinstate an organisation registered in `province`, or
    /// issue, suspend or revoke an export code there.
    JudgeOrganisation {
        /// The organisation's province code.
        province: &'a str,
    },
    /// Create, change or delete the products, places and code applications of `org`.
    ManageProducts {
        /// The organisation.
        org: &'a str,
    },
    /// Create or revoke users and API tokens of `org`.
    ManageAccess {
        /// The organisation.
        org: &'a str,
    },
    /// Create accounts of officials and operators.
    ManageAuthorities,
    /// See flagged events and the audit log.
    Oversee,
    /// Read the service's operational metrics (`/metrics`).
    ReadMetrics,
    /// Declare a recall of a lot of a GTIN whose company prefix `brand_owner` holds (`None`
    /// when no registered organisation holds it).
    DeclareRecall {
        /// The organisation holding the GTIN's company prefix.
        brand_owner: Option<&'a str>,
    },
    /// List or read recalls (members see those they declared or are affected by).
    ReadRecalls,
    /// Acknowledge a recall on behalf of the caller's organisation.
    AcknowledgeRecall {
        /// True when the recall affects the caller's organisation.
        affected: bool,
    },
    /// Close a recall declared by `declarer` (the brand owner's organisation; `None` when an
    /// official declared it).
    CloseRecall {
        /// The declaring organisation.
        declarer: Option<&'a str>,
    },
    /// Register or remove the recall webhook of `org`.
    ManageRecallWebhook {
        /// The organisation.
        org: &'a str,
    },
    /// Declare or close a recall reaching as far as `reach`: the jurisdiction of
    /// provincial officials (who may declare at all is [`Action::DeclareRecall`]'s and
    /// [`Action::CloseRecall`]'s business).
    ActOnRecallIn {
        /// Where the recall's lots come from and where they went.
        reach: RecallReach<'a>,
    },
}

/// Where a recall's lots come from (their brand owners' provinces) and where they went
/// (the provinces of the places in its scope): what the jurisdiction of a provincial
/// official over the recall is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecallReach<'a> {
    /// Each lot, as people read it (`(01)…(10)…`), with the province its brand owner (the
    /// organisation holding the GTIN's company prefix) is registered in; `None` when no
    /// registered organisation holds the prefix or it has no province.
    pub lots: &'a [(String, Option<String>)],
    /// The province of every place the recall reaches (its affected organisations' sites
    /// and the places nobody registered); `None` where it is not known.
    pub places: &'a [Option<String>],
}

impl RecallReach<'_> {
    /// True when the recall is within the jurisdiction of the officials of `province`:
    /// every lot's brand owner is registered there, or every place the recall reaches is
    /// known to lie there (a recall that reaches nowhere known lies in no province).
    pub fn within(&self, province: &str) -> bool {
        let here = |p: &Option<String>| p.as_deref() == Some(province);
        let made_here = !self.lots.is_empty() && self.lots.iter().all(|(_, p)| here(p));
        let held_here = !self.places.is_empty() && self.places.iter().all(here);
        made_here || held_here
    }

    /// Why the recall is outside `province`: the first lot made elsewhere, and the other
    /// provinces its goods reached.
    fn outside(&self, province: &str) -> String {
        let made = self
            .lots
            .iter()
            .find(|(_, p)| p.as_deref() != Some(province))
            .map(|(lot, p)| match p {
                Some(p) => format!("the brand owner of {lot} is registered in province {p}"),
                None => format!("{lot} has no brand owner registered in a province"),
            })
            .unwrap_or_else(|| "no lot is named".to_owned());
        let mut elsewhere: Vec<String> = self
            .places
            .iter()
            .filter(|p| p.as_deref() != Some(province))
            .map(|p| match p {
                Some(p) => format!("province {p}"),
                None => "places of unknown province".to_owned(),
            })
            .collect();
        elsewhere.sort();
        elsewhere.dedup();
        let held = if self.places.is_empty() {
            "the recall reaches no known place".to_owned()
        } else {
            format!("the goods reached {}", elsewhere.join(", "))
        };
        format!(
            "an official of province {province} declares and closes recalls only of lots whose brand owner is registered in province {province}, or whose goods all lie in province {province}: {made}, and {held}; a national official may act on it"
        )
    }
}

/// Which events a reader sees in full; every other event is shown consumer-safe only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventScope {
    /// Every event.
    All,
    /// The organisation's own events and those of the organisations that named it as a
    /// trading partner (one step up and down the chain).
    Organisation(String),
    /// Events of organisations registered in these provinces.
    Provinces(Vec<String>),
    /// None: consumer-safe data only.
    ConsumerOnly,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// Sign in first (HTTP 401).
    Unauthenticated(String),
    /// Signed in, but not permitted (HTTP 403).
    Forbidden(String),
}

/// The policy's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Go ahead, seeing in full only the events (or capture jobs, flags) of this scope.
    Within(EventScope),
    /// Refused.
    Deny(Denial),
}

impl Decision {
    /// True unless denied.
    pub fn is_allowed(&self) -> bool {
        !matches!(self, Decision::Deny(_))
    }
}

fn unauthenticated(what: &str) -> Decision {
    Decision::Deny(Denial::Unauthenticated(format!("sign in to {what}")))
}

fn forbidden(message: impl Into<String>) -> Decision {
    Decision::Deny(Denial::Forbidden(message.into()))
}

/// The scope an action needs from a token.
fn needed_scope(action: &Action<'_>) -> Option<Scope> {
    match action {
        Action::ReadEvents
        | Action::ReadCaptureJobs
        | Action::ReadNamedQueries
        | Action::CreateNamedQuery
        | Action::DeleteNamedQuery { .. }
        | Action::Oversee
        | Action::ReadMetrics
        | Action::ReadRecalls => Some(Scope::Read),
        Action::CaptureEvents => Some(Scope::Capture),
        Action::RegisterOrganisation
        | Action::JudgeOrganisation { .. }
        | Action::ManageProducts { .. }
        | Action::ManageAccess { .. }
        | Action::ManageAuthorities
        | Action::DeclareRecall { .. }
        | Action::AcknowledgeRecall { .. }
        | Action::CloseRecall { .. }
        | Action::ManageRecallWebhook { .. }
        | Action::ActOnRecallIn { .. } => Some(Scope::Registry),
        Action::ReadRegistry => None,
    }
}

/// Decides whether `caller` may do `action`.
pub fn decide(caller: &Caller, action: Action<'_>) -> Decision {
    if let Some(scope) = needed_scope(&action) {
        if !caller.scopes.contains(&scope) {
            return forbidden(format!(
                "this token lacks the {} scope needed here",
                scope.as_str()
            ));
        }
    }
    use Principal as P;
    let p = &caller.principal;
    match action {
        Action::ReadRegistry | Action::RegisterOrganisation => Decision::Allow,
        Action::ReadEvents => Decision::Within(match p {
            P::Public => EventScope::ConsumerOnly,
            P::Member { org, .. } => EventScope::Organisation(org.clone()),
            P::ProvincialOfficial { province } => EventScope::Provinces(vec![province.clone()]),
            P::NationalOfficial | P::Operator => EventScope::All,
        }),
        Action::CaptureEvents => match p {
            P::Public => unauthenticated("capture events"),
            P::Member { active: true, .. } => Decision::Allow,
            P::Member { org, .. } => forbidden(format!(
                "organisation {org} is not verified or is suspended: it cannot capture events"
            )),
            _ => forbidden("only members of an organisation capture events; events belong to the capturing organisation"),
        },
        Action::ReadCaptureJobs => match p {
            P::Public => unauthenticated("see capture jobs"),
            P::Member { org, .. } => Decision::Within(EventScope::Organisation(org.clone())),
            P::NationalOfficial | P::Operator => Decision::Within(EventScope::All),
            P::ProvincialOfficial { .. } => {
                forbidden("capture jobs are seen by their organisation and national officials")
            }
        },
        Action::ReadNamedQueries | Action::CreateNamedQuery => match p {
            P::Public => unauthenticated("use named queries"),
            _ => Decision::Allow,
        },
        Action::DeleteNamedQuery { owner } => match p {
            P::Public => unauthenticated("delete named queries"),
            P::Operator => Decision::Allow,
            _ if caller.owner_key() == owner => Decision::Allow,
            _ => forbidden("only the owner of a named query may delete it"),
        },
        Action::JudgeOrganisation { province } => match p {
            P::Public => unauthenticated("verify or suspend organisations"),
            P::NationalOfficial | P::Operator => Decision::Allow,
            P::ProvincialOfficial { province: own } if own == province => Decision::Allow,
            P::ProvincialOfficial { province: own } => forbidden(format!(
                "an official of province {own} cannot act on an organisation of province {province}"
            )),
            P::Member { .. } => forbidden("only officials verify or suspend organisations"),
        },
        Action::ManageProducts { org } => match p {
            P::Public => unauthenticated("manage products"),
            P::Operator => Decision::Allow,
            P::Member { org: own, active, .. } if own == org => {
                if *active {
                    Decision::Allow
                } else {
                    forbidden(format!("organisation {org} is not verified or is suspended"))
                }
            }
            _ => forbidden(format!("only members of {org} manage its products")),
        },
        Action::ManageAccess { org } => match p {
            P::Public => unauthenticated("manage accounts and tokens"),
            P::Operator => Decision::Allow,
            P::Member {
                org: own,
                admin: true,
                ..
            } if own == org => Decision::Allow,
            P::Member { org: own, .. } if own == org => {
                forbidden(format!("only administrators of {org} manage its accounts and tokens"))
            }
            _ => forbidden(format!("only administrators of {org} manage its accounts and tokens")),
        },
        Action::ManageAuthorities => match p {
            P::Public => unauthenticated("manage official accounts"),
            P::Operator => Decision::Allow,
            _ => forbidden("only operators create official and operator accounts"),
        },
        Action::Oversee => match p {
            P::Public => unauthenticated("see flagged events and the audit log"),
            P::ProvincialOfficial { province } => {
                Decision::Within(EventScope::Provinces(vec![province.clone()]))
            }
            P::NationalOfficial | P::Operator => Decision::Within(EventScope::All),
            P::Member { .. } => forbidden("only officials see flagged events and the audit log"),
        },
        Action::ReadMetrics => match p {
            P::Public => unauthenticated("read the metrics"),
            P::Operator => Decision::Allow,
            _ => forbidden("only operators read the metrics"),
        },
        Action::DeclareRecall { brand_owner } => match p {
            P::Public => unauthenticated("declare a recall"),
            P::ProvincialOfficial { .. } | P::NationalOfficial | P::Operator => Decision::Allow,
            P::Member { org, active, .. } if Some(org.as_str()) == brand_owner => {
                if *active {
                    Decision::Allow
                } else {
                    forbidden(format!("organisation {org} is not verified or is suspended"))
                }
            }
            P::Member { org, .. } => forbidden(match brand_owner {
                Some(owner) => format!(
                    "{org} is not the brand owner: the GTIN's company prefix is {owner}'s; only officials and the brand owner declare recalls"
                ),
                None => format!(
                    "{org} is not the brand owner: no registered organisation holds the GTIN's company prefix; only officials may recall it"
                ),
            }),
        },
        Action::ReadRecalls => match p {
            P::Public => unauthenticated("see recalls"),
            P::Member { org, .. } => Decision::Within(EventScope::Organisation(org.clone())),
            P::ProvincialOfficial { .. } | P::NationalOfficial | P::Operator => {
                Decision::Within(EventScope::All)
            }
        },
        Action::AcknowledgeRecall { affected } => match p {
            P::Public => unauthenticated("acknowledge a recall"),
            P::Member { .. } if affected => Decision::Allow,
            P::Member { org, .. } => forbidden(format!(
                "the recall does not affect {org}: only affected organisations acknowledge it"
            )),
            _ => forbidden("only members of affected organisations acknowledge a recall"),
        },
        Action::CloseRecall { declarer } => match p {
            P::Public => unauthenticated("close a recall"),
            P::ProvincialOfficial { .. } | P::NationalOfficial | P::Operator => Decision::Allow,
            P::Member { org, .. } if Some(org.as_str()) == declarer => Decision::Allow,
            P::Member { .. } => {
                forbidden("only officials and the brand owner who declared a recall close it")
            }
        },
        Action::ManageRecallWebhook { org } => match p {
            P::Public => unauthenticated("manage recall webhooks"),
            P::Operator => Decision::Allow,
            P::Member {
                org: own,
                admin: true,
                ..
            } if own == org => Decision::Allow,
            _ => forbidden(format!("only administrators of {org} manage its recall webhook")),
        },
        Action::ActOnRecallIn { reach } => match p {
            P::Public => unauthenticated("declare or close a recall"),
            // Members are held to their own lots by DeclareRecall and CloseRecall.
            P::Member { .. } | P::NationalOfficial | P::Operator => Decision::Allow,
            P::ProvincialOfficial { province } if reach.within(province) => Decision::Allow,
            P::ProvincialOfficial { province } => forbidden(reach.outside(province)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(principal: Principal) -> Caller {
        Caller {
            principal,
            scopes: Scope::ALL.to_vec(),
            name: "u".into(),
        }
    }

    fn member(org: &str, admin: bool, active: bool) -> Caller {
        caller(Principal::Member {
            org: org.into(),
            admin,
            active,
        })
    }

    /// Short code of a decision for the table: A allow, W within, 401, 403.
    fn code(d: &Decision) -> &'static str {
        match d {
            Decision::Allow => "A",
            Decision::Within(_) => "W",
            Decision::Deny(Denial::Unauthenticated(_)) => "401",
            Decision::Deny(Denial::Forbidden(_)) => "403",
        }
    }

    #[test]
    fn the_whole_table() {
        let callers = [
            ("public", caller(Principal::Public)),
            ("member", member("a", false, true)),
            ("admin", member("a", true, true)),
            ("suspended", member("a", true, false)),
            ("other-admin", member("b", true, true)),
            (
                "official-33",
                caller(Principal::ProvincialOfficial {
                    province: "33".into(),
                }),
            ),
            (
                "official-01",
                caller(Principal::ProvincialOfficial {
                    province: "01".into(),
                }),
            ),
            ("national", caller(Principal::NationalOfficial)),
            ("operator", caller(Principal::Operator)),
        ];
        let actions: [(&str, Action<'_>); 13] = [
            ("read", Action::ReadEvents),
            ("capture", Action::CaptureEvents),
            ("jobs", Action::ReadCaptureJobs),
            ("queries", Action::ReadNamedQueries),
            ("create-query", Action::CreateNamedQuery),
            ("delete-query-a", Action::DeleteNamedQuery { owner: "a" }),
            ("registry", Action::ReadRegistry),
            ("register", Action::RegisterOrganisation),
            ("judge-33", Action::JudgeOrganisation { province: "33" }),
            ("products-a", Action::ManageProducts { org: "a" }),
            ("access-a", Action::ManageAccess { org: "a" }),
            ("oversee", Action::Oversee),
            ("metrics", Action::ReadMetrics),
        ];
        #[rustfmt::skip]
        let expected: [[&str; 13]; 9] = [
            // read capture jobs  queries create delete registry register judge products access oversee metrics
            ["W", "401", "401", "401", "401", "401", "A", "A", "401", "401", "401", "401", "401"], // public
            ["W", "A",   "W",   "A",   "A",   "A",   "A", "A", "403", "A",   "403", "403", "403"], // member
            ["W", "A",   "W",   "A",   "A",   "A",   "A", "A", "403", "A",   "A",   "403", "403"], // admin
            ["W", "403", "W",   "A",   "A",   "A",   "A", "A", "403", "403", "A",   "403", "403"], // suspended
            ["W", "A",   "W",   "A",   "A",   "403", "A", "A", "403", "403", "403", "403", "403"], // other-admin
            ["W", "403", "403", "A",   "A",   "403", "A", "A", "A",   "403", "403", "W",   "403"], // official-33
            ["W", "403", "403", "A",   "A",   "403", "A", "A", "403", "403", "403", "W",   "403"], // official-01
            ["W", "403", "W",   "A",   "A",   "403", "A", "A", "A",   "403", "403", "W",   "403"], // national
            ["W", "403", "W",   "A",   "A",   "A",   "A", "A", "A",   "A",   "A",   "W",   "A"],   // operator
        ];
        for (row, (cname, c)) in callers.iter().enumerate() {
            for (col, (aname, a)) in actions.iter().enumerate() {
                assert_eq!(
                    code(&decide(c, *a)),
                    expected[row][col],
                    "{cname} × {aname}"
                );
            }
        }
    }

    #[test]
    fn recalls_are_declared_by_officials_and_brand_owners() {
        let official = caller(Principal::ProvincialOfficial {
            province: "33".into(),
        });
        let declare = |c: &Caller, owner: Option<&str>| {
            code(&decide(c, Action::DeclareRecall { brand_owner: owner }))
        };
        assert_eq!(declare(&caller(Principal::Public), Some("a")), "401");
        assert_eq!(declare(&official, None), "A");
        assert_eq!(
            declare(&caller(Principal::NationalOfficial), Some("a")),
            "A"
        );
        assert_eq!(declare(&member("a", false, true), Some("a")), "A");
        assert_eq!(declare(&member("a", false, false), Some("a")), "403");
        assert_eq!(declare(&member("b", true, true), Some("a")), "403");
        assert_eq!(declare(&member("a", true, true), None), "403");
        let ack = |c: &Caller, affected| code(&decide(c, Action::AcknowledgeRecall { affected }));
        assert_eq!(ack(&member("a", false, true), true), "A");
        assert_eq!(ack(&member("a", false, true), false), "403");
        assert_eq!(ack(&official, true), "403");
        let close =
            |c: &Caller, d: Option<&str>| code(&decide(c, Action::CloseRecall { declarer: d }));
        assert_eq!(close(&official, Some("a")), "A");
        assert_eq!(close(&member("a", false, true), Some("a")), "A");
        assert_eq!(close(&member("b", true, true), Some("a")), "403");
        assert_eq!(close(&member("a", true, true), None), "403");
        assert_eq!(
            decide(&member("a", false, true), Action::ReadRecalls),
            Decision::Within(EventScope::Organisation("a".into()))
        );
        assert_eq!(
            code(&decide(&caller(Principal::Public), Action::ReadRecalls)),
            "401"
        );
        let hook = |c: &Caller| code(&decide(c, Action::ManageRecallWebhook { org: "a" }));
        assert_eq!(hook(&member("a", true, true)), "A");
        assert_eq!(hook(&member("a", false, true)), "403");
        assert_eq!(hook(&member("b", true, true)), "403");
    }

    #[test]
    fn provincial_officials_recall_within_their_province() {
        let official = |p: &str| caller(Principal::ProvincialOfficial { province: p.into() });
        let lot = |p: Option<&str>| ("(01)08931234000011(10)L1".to_owned(), p.map(str::to_owned));
        let places = |ps: &[Option<&str>]| -> Vec<Option<String>> {
            ps.iter().map(|p| p.map(str::to_owned)).collect()
        };
        let decide_on = |c: &Caller, lots: &[(String, Option<String>)], at: &[Option<String>]| {
            decide(
                c,
                Action::ActOnRecallIn {
                    reach: RecallReach { lots, places: at },
                },
            )
        };
        // Made in 01, sold in 01 and 79: 01's officials act, 79's do not.
        let lots = [lot(Some("01"))];
        let at = places(&[Some("01"), Some("79")]);
        assert_eq!(code(&decide_on(&official("01"), &lots, &at)), "A");
        let Decision::Deny(Denial::Forbidden(why)) = decide_on(&official("79"), &lots, &at) else {
            panic!("79 acted on 01's recall")
        };
        assert!(why.contains("official of province 79"), "{why}");
        assert!(why.contains("registered in province 01"), "{why}");
        assert!(why.contains("reached province 01"), "{why}");
        // Made in 01, every place in 79: both act.
        let at = places(&[Some("79"), Some("79")]);
        assert_eq!(code(&decide_on(&official("79"), &lots, &at)), "A");
        assert_eq!(code(&decide_on(&official("01"), &lots, &at)), "A");
        // A place of unknown province is not proven to lie in 79.
        let at = places(&[Some("79"), None]);
        let Decision::Deny(Denial::Forbidden(why)) = decide_on(&official("79"), &lots, &at) else {
            panic!("a place of unknown province counted as 79's")
        };
        assert!(why.contains("unknown province"), "{why}");
        // Every lot must be made in the province for the brand-owner rule.
        let two = [lot(Some("01")), lot(None)];
        let at = places(&[Some("79")]);
        assert_eq!(code(&decide_on(&official("01"), &two, &at)), "403");
        assert_eq!(code(&decide_on(&official("79"), &two, &at)), "A");
        // Reaching nowhere known lies in no province.
        assert_eq!(code(&decide_on(&official("79"), &[lot(None)], &[])), "403");
        // National officials, operators and members (held to their lots elsewhere) pass;
        // the public is asked to sign in; a token needs the registry scope.
        for c in [
            caller(Principal::NationalOfficial),
            caller(Principal::Operator),
            member("a", false, true),
        ] {
            assert_eq!(code(&decide_on(&c, &two, &at)), "A");
        }
        assert_eq!(
            code(&decide_on(&caller(Principal::Public), &two, &at)),
            "401"
        );
        let mut read_only = official("79");
        read_only.scopes = vec![Scope::Read];
        assert_eq!(code(&decide_on(&read_only, &lots, &at)), "403");
    }

    #[test]
    fn read_scopes_follow_the_role() {
        assert_eq!(
            decide(&caller(Principal::Public), Action::ReadEvents),
            Decision::Within(EventScope::ConsumerOnly)
        );
        assert_eq!(
            decide(&member("a", false, false), Action::ReadEvents),
            Decision::Within(EventScope::Organisation("a".into()))
        );
        assert_eq!(
            decide(
                &caller(Principal::ProvincialOfficial {
                    province: "33".into()
                }),
                Action::ReadEvents
            ),
            Decision::Within(EventScope::Provinces(vec!["33".into()]))
        );
        assert_eq!(
            decide(&caller(Principal::NationalOfficial), Action::ReadEvents),
            Decision::Within(EventScope::All)
        );
    }

    #[test]
    fn token_scopes_limit_every_role() {
        let mut read_only = caller(Principal::Operator);
        read_only.scopes = vec![Scope::Read];
        assert!(decide(&read_only, Action::ReadEvents).is_allowed());
        assert!(!decide(&read_only, Action::ManageAuthorities).is_allowed());
        let mut capture_only = member("a", true, true);
        capture_only.scopes = vec![Scope::Capture];
        assert!(decide(&capture_only, Action::CaptureEvents).is_allowed());
        assert!(matches!(
            decide(&capture_only, Action::ReadEvents),
            Decision::Deny(Denial::Forbidden(m)) if m.contains("read scope")
        ));
        assert!(!decide(&capture_only, Action::ManageProducts { org: "a" }).is_allowed());
        // Reading the public registries needs no scope.
        assert!(decide(&capture_only, Action::ReadRegistry).is_allowed());
    }
}
