//! What the matching function reads in bulk: the open offers (or requests) a caller may see,
//! with what it needs of their stakeholders, in one query; and the track record of many
//! stakeholders at once, from public activities only, grouped in SQL.

use diesel::sql_types::{BigInt, Integer, Text};

use super::{Sql, load};
use crate::db::DbConnection;
use crate::db::assistance_requests::Filter as RequestFilter;
use crate::db::offers::Filter as OfferFilter;

/// An offer that takes part: its id and version, and whether a State makes it (its own
/// stakeholder). Its document is read only when the version is not already at hand.
#[derive(Debug, diesel::QueryableByName)]
pub struct OfferKey {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = Integer)]
    pub by_state: i32,
}

/// The offers `filter` lets through, oldest first.
pub fn offer_keys(
    conn: &mut DbConnection,
    filter: &OfferFilter,
) -> diesel::QueryResult<Vec<OfferKey>> {
    let mut sql = Sql::new(
        conn,
        "SELECT r.id, r.version, CASE WHEN s.own_state IS NULL THEN 0 ELSE 1 END AS by_state \
         FROM offers r JOIN stakeholders s ON s.id = r.stakeholder WHERE 1 = 1",
    );
    filter.apply(&mut sql);
    sql.push(" ORDER BY r.seq");
    load(conn, &sql)
}

#[derive(Debug, diesel::QueryableByName)]
pub struct DocumentOnly {
    #[diesel(sql_type = Text)]
    pub document: String,
}

/// The requests `filter` lets through, oldest first.
pub fn requests(
    conn: &mut DbConnection,
    filter: &RequestFilter,
) -> diesel::QueryResult<Vec<DocumentOnly>> {
    let mut sql = Sql::new(
        conn,
        "SELECT r.document FROM assistance_requests r WHERE 1 = 1",
    );
    filter.apply(&mut sql);
    sql.push(" ORDER BY r.seq");
    load(conn, &sql)
}

/// A stakeholder's public activities on some themes: how many, how many in some States, how
/// many good practices.
#[derive(Debug, diesel::QueryableByName)]
pub struct TrackRow {
    #[diesel(sql_type = Text)]
    pub stakeholder: String,
    #[diesel(sql_type = BigInt)]
    pub on_themes: i64,
    #[diesel(sql_type = BigInt)]
    pub in_states: i64,
    #[diesel(sql_type = BigInt)]
    pub good_practices: i64,
}

/// The track records on `themes` of `stakeholders` (every stakeholder with such an activity
/// when `None`), counting public activities it submitted or took part in; `states` are those
/// that count as the region. Stakeholders with none are left out.
pub fn track_records(
    conn: &mut DbConnection,
    stakeholders: Option<&[String]>,
    themes: &[String],
    states: &[String],
) -> diesel::QueryResult<Vec<TrackRow>> {
    if themes.is_empty() || stakeholders.is_some_and(|s| s.is_empty()) {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    let chunks: Vec<Option<&[String]>> = match stakeholders {
        Some(ids) => ids.chunks(5_000).map(Some).collect(),
        None => vec![None],
    };
    for chunk in chunks {
        let mut sql = Sql::new(
            conn,
            "SELECT s.value AS stakeholder, COUNT(*) AS on_themes, SUM(CASE WHEN EXISTS (SELECT 1 FROM activity_facets p WHERE p.activity_seq = r.seq AND p.facet = 'state' AND p.value IN ",
        );
        sql.text_list(states)
            .push(") THEN 1 ELSE 0 END) AS in_states, SUM(CASE WHEN ")
            .flag("r.good_practice", true)
            .push(" THEN 1 ELSE 0 END) AS good_practices FROM activity_facets s JOIN activities r ON r.seq = s.activity_seq WHERE s.facet = 'stakeholder' AND ")
            .flag("r.public", true);
        // The activities on the themes as a set, as a list's facet filter is
        // (`Table::facet_filter`): read once rather than probed for every row. On SQLite, `+`
        // keeps the set a filter: as an index key it was probed once for every pair of a
        // stakeholder and an activity on the themes (3 s for 2,603 stakeholders at UN scale,
        // 0.14 s without); and each stakeholder's facets are read from those of public
        // activities (`activity_facets_public`: the facets' copy of the verdict only narrows
        // what is read, `r.public` still decides). PostgreSQL plans the first form better.
        if sql.is_sqlite() {
            sql.push(" AND ")
                .flag("s.public", true)
                .push(" AND +s.activity_seq IN");
        } else {
            sql.push(" AND r.seq IN");
        }
        sql.push(" (SELECT t.activity_seq FROM activity_facets t WHERE t.facet = 'theme' AND t.value IN ")
            .text_list(themes)
            .push(")");
        if let Some(ids) = chunk {
            sql.push(" AND s.value IN ").text_list(ids);
        }
        sql.push(" GROUP BY s.value");
        out.extend(load::<TrackRow>(conn, &sql)?);
    }
    Ok(out)
}

/// A theme or State of a public activity of one stakeholder, and whether the activity is a
/// good practice.
#[derive(Debug, diesel::QueryableByName)]
pub struct FactRow {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Integer)]
    pub good_practice: i32,
    #[diesel(sql_type = Text)]
    pub facet: String,
    #[diesel(sql_type = Text)]
    pub value: String,
}

/// The themes and States of the public activities `stakeholder` submitted or took part in.
pub fn activity_facts(
    conn: &mut DbConnection,
    stakeholder: &str,
) -> diesel::QueryResult<Vec<FactRow>> {
    let mut sql = Sql::new(conn, "SELECT r.seq, CASE WHEN ");
    sql.flag("r.good_practice", true)
        .push(" THEN 1 ELSE 0 END AS good_practice, f.facet, f.value FROM activity_facets s JOIN activities r ON r.seq = s.activity_seq JOIN activity_facets f ON f.activity_seq = r.seq AND f.facet IN ('theme', 'state') WHERE s.facet = 'stakeholder' AND s.value = ")
        .text(stakeholder)
        .push(" AND ")
        .flag("r.public", true);
    load(conn, &sql)
}
