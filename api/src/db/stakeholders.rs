//! Stakeholders in the document store: their columns, facets and filters.

use super::documents::{Document, Table};
use super::query::{Sql, Value};
use crate::domain::stakeholder::{Stakeholder, StakeholderInput, StakeholderKind};
use crate::domain::{ExternalRef, Stored, normalise_text};

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub kind: Option<StakeholderKind>,
    pub country: Option<String>,
    pub theme: Option<String>,
    pub language: Option<String>,
    pub region: Option<String>,
}

impl Filter {
    pub fn apply(&self, sql: &mut Sql) {
        if let Some(kind) = self.kind {
            sql.push(" AND r.kind = ").text(kind.as_str());
        }
        if let Some(country) = &self.country {
            sql.push(" AND r.country = ").text(country.clone());
        }
        let t = &Stakeholder::TABLE;
        t.facet_filter(sql, "theme", self.theme.as_deref());
        t.facet_filter(sql, "language", self.language.as_deref());
        t.facet_filter(sql, "region", self.region.as_deref());
    }
}

impl Document for Stakeholder {
    type Content = StakeholderInput;

    const TABLE: Table = Table {
        entity: "stakeholder",
        table: "stakeholders",
        facets: "stakeholder_facets",
        facet_key: "stakeholder_seq",
        search: "stakeholder_search",
    };

    fn new(stored: Stored, content: StakeholderInput) -> Self {
        Self { stored, content }
    }

    fn stored(&self) -> &Stored {
        &self.stored
    }

    fn content(&self) -> &StakeholderInput {
        &self.content
    }

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("kind", Value::Text(self.content.kind.as_str().into())),
            (
                "country",
                self.content
                    .country
                    .clone()
                    .map_or(Value::Null, Value::Text),
            ),
        ]
    }

    fn facets(&self) -> Vec<(&'static str, String)> {
        let c = &self.content;
        let mut out = Vec::new();
        out.extend(c.themes.iter().map(|v| ("theme", v.clone())));
        out.extend(c.languages.iter().map(|v| ("language", v.clone())));
        out.extend(c.regions.iter().map(|v| ("region", v.clone())));
        out
    }

    fn search_text(&self) -> String {
        self.content.search_text()
    }

    fn refs_of(content: &StakeholderInput) -> &[ExternalRef] {
        &content.external_refs
    }

    /// Kind, country and name: the same organisation registered twice is one.
    fn natural_key(content: &StakeholderInput) -> Option<String> {
        let name = content
            .name
            .texts()
            .next()
            .map(|(_, t)| normalise_text(t))
            .unwrap_or_default();
        Some(format!(
            "{}|{}|{name}",
            content.kind.as_str(),
            content.country.as_deref().unwrap_or("")
        ))
    }
}
