//! Stakeholders in the document store: their columns, facets and filters.

use super::DbConnection;
use super::activities::Referenced;
use super::activities::verdicts::stored_state;
use super::audit::Actor;
use super::documents::{self, Document, WriteError, holds_former_languages, kept_languages};
use super::stored::unreadable;
use super::table::{Rows, Table, document_table};
use crate::domain::Language;
use crate::domain::Multilingual;
use crate::domain::stakeholder::{
    Stakeholder, StakeholderContent, StakeholderInput, StakeholderKind,
};
use crate::domain::{CountryCode, ExternalRef, Id, StakeholderId, Stored};
use crate::reference::reference;

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub kind: Option<StakeholderKind>,
    pub country: Option<String>,
    pub theme: Option<String>,
    pub language: Option<String>,
    pub region: Option<String>,
}

impl Document for Stakeholder {
    type Input = StakeholderInput;
    type Content = StakeholderContent;
    type Id = StakeholderId;

    const TABLE: Table = Table {
        entity: "stakeholder",
        table: "stakeholders",
        facets: "stakeholder_facets",
        facet_key: "stakeholder_seq",
        facet_values: None,
        search: "stakeholder_search",
        same: "kind, country and name",
        hides_items: false,
        first_shown: None,
    };

    fn new(stored: Stored<StakeholderId>, content: StakeholderContent) -> Self {
        Self { stored, content }
    }

    const CONTENT_LAST: bool = true;

    fn stored(&self) -> &Stored<StakeholderId> {
        &self.stored
    }

    fn content(&self) -> &StakeholderContent {
        &self.content
    }

    fn before_delete(conn: &mut DbConnection, id: StakeholderId) -> Result<(), WriteError> {
        let n = super::activities::references_to(conn, Referenced::Stakeholder(id))?;
        if n > 0 {
            return Err(WriteError::Conflict(format!(
                "{n} activities name this stakeholder as submitter or participant; change them first."
            )));
        }
        let n = super::offers::count_by(conn, id)?;
        if n > 0 {
            return Err(WriteError::Conflict(format!(
                "{n} offers are this stakeholder's; delete them first."
            )));
        }
        Ok(())
    }

    /// The verdicts of its activities depend on whether it is a State's own stakeholder.
    fn after_write(
        &self,
        conn: &mut DbConnection,
        before: Option<&Self>,
    ) -> diesel::QueryResult<()> {
        if let Some(before) = before
            && (before.content.kind != self.content.kind
                || before.content.country != self.content.country)
        {
            super::activities::verdicts::refresh_submitter(conn, self.stored.id)?;
        }
        Ok(())
    }

    /// Without its contact details, which are private.
    fn public_json(&self, full: &str) -> Option<String> {
        if self.content.contact.is_none() {
            return Some(full.to_owned());
        }
        let mut public = self.clone();
        public.content.contact = None;
        Some(documents::to_json(&public))
    }

    fn columns(&self) -> StakeholderColumns {
        StakeholderColumns {
            kind: self.content.kind.as_str().to_owned(),
            country: self.content.country.as_ref().map(|c| c.to_string()),
            own_state: own_state(&self.content).map(|s| s.to_string()),
        }
    }

    fn holds_former_codes(&self) -> bool {
        holds_former_languages(&self.content.languages)
    }

    fn facets(&self) -> Vec<(&'static str, String)> {
        let c = &self.content;
        let mut out = Vec::new();
        out.extend(c.themes.iter().map(|v| ("theme", v.clone())));
        out.extend(kept_languages(&c.languages).map(|v| ("language", v)));
        out.extend(c.regions.iter().map(|v| ("region", v.clone())));
        out
    }

    fn search_texts_of(content: &Self::Content) -> Vec<(Language, &str)> {
        content.search_texts()
    }

    fn refs_of(content: &StakeholderContent) -> &[ExternalRef] {
        &content.external_refs
    }

    fn natural_key(content: &StakeholderContent) -> String {
        content.natural_key()
    }
}

document_table! {
    Stakeholder => stakeholders (stakeholder_facets . stakeholder_seq),
    StakeholderRow, StakeholderColumns {
        kind: String,
        country: Option<String>,
        own_state: Option<String>,
    }
}

/// The State a stakeholder is bound to as its own: kind `state` with its country. Only `admin`
/// sets kind and country, and the database keeps one such stakeholder a State (the unique
/// index on `own_state`), so no one else can make an organisation a State's own.
pub fn own_state(content: &StakeholderContent) -> Option<CountryCode> {
    (content.kind == StakeholderKind::State)
        .then(|| content.country.clone())
        .flatten()
}

/// The State this stakeholder is bound to as its own, if it is.
pub fn bound_state(
    conn: &mut DbConnection,
    id: StakeholderId,
) -> diesel::QueryResult<Option<CountryCode>> {
    use super::schema::stakeholders::dsl;
    use diesel::prelude::*;
    dsl::stakeholders
        .filter(dsl::id.eq(id.to_string()))
        .select(dsl::own_state)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten()
        .as_deref()
        .map(stored_state)
        .transpose()
}

/// The State's own stakeholder, if it is registered.
pub fn find_state_stakeholder(
    conn: &mut DbConnection,
    state: &CountryCode,
) -> diesel::QueryResult<Option<StakeholderId>> {
    use super::schema::stakeholders::dsl;
    use diesel::prelude::*;
    dsl::stakeholders
        .filter(dsl::own_state.eq(state.as_str()))
        .select(dsl::id)
        .first::<String>(conn)
        .optional()?
        .map(|id| {
            id.parse()
                .map_err(|e| unreadable(format!("stakeholder id `{id}`: {e}")))
        })
        .transpose()
}

/// The State's own stakeholder, which a `state` token submits as; registered on first use, named as the reference data names the country.
pub fn state_stakeholder(
    conn: &mut DbConnection,
    actor: &Actor,
    state: &CountryCode,
) -> Result<StakeholderId, WriteError> {
    if let Some(id) = find_state_stakeholder(conn, state)? {
        return Ok(id);
    }
    let name = reference()
        .country(state.as_str())
        .map(|c| c.short_name.clone())
        .unwrap_or_else(|| Multilingual {
            en: Some(state.to_string()),
            ..Default::default()
        });
    let content = StakeholderContent {
        kind: StakeholderKind::State,
        name,
        acronym: None,
        country: Some(state.clone()),
        nhri_accreditation: None,
        website: None,
        contact: None,
        themes: vec![],
        languages: vec![],
        regions: vec![],
        external_refs: vec![],
    };
    let created: Stakeholder = documents::insert(conn, actor, content, StakeholderId::new_v7())?;
    Ok(created.stored.id)
}

/// The stored stakeholders among `ids` (unknown ids are left out), by id: one query for up to
/// 500 ids, so an export page of activities reads the organisations it names at once.
pub fn get_many(
    conn: &mut DbConnection,
    ids: impl IntoIterator<Item = StakeholderId>,
) -> diesel::QueryResult<std::collections::HashMap<StakeholderId, Stakeholder>> {
    let mut ids: Vec<String> = ids.into_iter().map(|id| id.to_string()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut found = std::collections::HashMap::with_capacity(ids.len());
    for row in Stakeholder::find_rows(conn, &ids)? {
        let s: Stakeholder = documents::parse(&row)?;
        found.insert(s.stored.id, s);
    }
    Ok(found)
}

/// Which of `names` another stakeholder than `id` bears, in any language, or one a reader
/// cannot tell from it (`domain::look_alike_keys`): each name's language with the first
/// stakeholder found. Only those of `country`, or of none (an international organisation's
/// name is its own everywhere), are read: Senegal's and France's parliaments are both the
/// `Assemblée nationale`, and many States' commissions share a name. Asked only of names a
/// principal other than `admin` gives anew (`app::stakeholders::not_borne_by_others`).
pub fn names_borne_by_others(
    conn: &mut DbConnection,
    id: StakeholderId,
    country: Option<&CountryCode>,
    names: &[(Language, &str)],
) -> diesel::QueryResult<Vec<(Language, StakeholderId)>> {
    use super::schema::stakeholders::dsl;
    use diesel::prelude::*;
    #[derive(serde::Deserialize)]
    struct Named {
        name: Multilingual,
    }
    if names.is_empty() {
        return Ok(vec![]);
    }
    let wanted: Vec<(Language, [String; 2])> = names
        .iter()
        .map(|&(language, text)| (language, crate::domain::look_alike_keys(text)))
        .collect();
    let mut borne: Vec<(Language, StakeholderId)> = Vec::new();
    let others = dsl::stakeholders.filter(dsl::id.ne(id.to_string()));
    let rows: Vec<(String, String)> = match country {
        Some(country) => others
            .filter(dsl::country.eq(country.as_str()).or(dsl::country.is_null()))
            .select((dsl::id, dsl::document))
            .load(conn)?,
        None => others
            .filter(dsl::country.is_null())
            .select((dsl::id, dsl::document))
            .load(conn)?,
    };
    for (other, document) in rows {
        let named: Named = serde_json::from_str(&document)
            .map_err(|e| unreadable(format!("stakeholder `{other}`: {e}")))?;
        for (_, text) in named.name.texts() {
            let keys = crate::domain::look_alike_keys(text);
            for (language, key) in &wanted {
                if borne.iter().any(|(l, _)| l == language) {
                    continue;
                }
                if key.iter().any(|k| !k.is_empty() && keys.contains(k)) {
                    let other = other
                        .parse()
                        .map_err(|e| unreadable(format!("stakeholder id `{other}`: {e}")))?;
                    borne.push((*language, other));
                }
            }
        }
    }
    borne.sort_by_key(|(language, _)| *language);
    Ok(borne)
}
