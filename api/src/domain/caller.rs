//! Who calls: a verified caller and its role (docs/domain.md §5). Plain data, whichever way it was
//! established (a bearer token, in `auth`), so the layers below the routes can take it; what
//! each role may do is decided in `app::policy`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{CountryCode, StakeholderId};

/// What a caller may do; see docs/domain.md §5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Curates everything, records consent on a State's behalf, reads the audit trail.
    Admin,
    /// A State's focal point: its own State's activities, consent and assistance requests.
    State,
    /// A stakeholder organisation: its own activities and offers.
    Contributor,
    /// A partner database: public data, and the public change feed from its start, with partner
    /// rate limits (the full feed, hidden items too, is `admin`'s).
    Sync,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        ActingRole::from(self).as_str()
    }
}

/// The role a write was made in, as the audit trail and consent records keep it: a token's
/// role, or the operator at the machine (`upr-tc` commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActingRole {
    Admin,
    State,
    Contributor,
    Sync,
    /// Commands run on the server (`upr-tc import`, …), with `admin`'s rights.
    Operator,
}

impl ActingRole {
    pub const ALL: [Self; 5] = [
        Self::Admin,
        Self::State,
        Self::Contributor,
        Self::Sync,
        Self::Operator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::State => "state",
            Self::Contributor => "contributor",
            Self::Sync => "sync",
            Self::Operator => "operator",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl From<Role> for ActingRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => Self::Admin,
            Role::State => Self::State,
            Role::Contributor => Self::Contributor,
            Role::Sync => Self::Sync,
        }
    }
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub subject: String,
    pub role: Role,
    /// For role `state`: the State it speaks for.
    pub state: Option<CountryCode>,
    /// For role `contributor`: its organisation.
    pub stakeholder: Option<StakeholderId>,
    pub issuer: String,
    pub expires_at: DateTime<Utc>,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}
