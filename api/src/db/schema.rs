//! The tables as diesel sees them: one schema for both engines, in the types they share
//! (`BigInt`, `Integer`, `Bool`, `Text`, `Timestamp`, `Nullable`), as the migrations of
//! `migrations/sqlite` and `migrations/postgres` build them. `TABLES` lists the same, for the
//! test that compares this schema with the database each engine's migrations build
//! (`tests/api/schema.rs`), so the two cannot drift apart.
//!
//! Left out, since they are one engine's own: SQLite's full-text tables (`*_search`, FTS5) and
//! PostgreSQL's `search` columns (`tsvector`, made by the database of the terms written to
//! `search_text`). Only the search module reads them.

/// Declares the tables with `diesel::table!`, and `TABLES`: each table's name and its columns'
/// names and types as written here.
macro_rules! schema {
    ($(
        $table:ident ($($key:ident),+) {
            $($column:ident -> $type:ty,)+
        }
    )+) => {
        $(
            diesel::table! {
                $table ($($key),+) {
                    $($column -> $type,)+
                }
            }
        )+

        /// Every table: its name, and each column's name and diesel type.
        pub const TABLES: &[(&str, &[(&str, &str)])] = &[
            $((stringify!($table), &[$((stringify!($column), stringify!($type))),+])),+
        ];
    };
}

schema! {
    instance (singleton) {
        singleton -> Integer,
        id -> Text,
        created_at -> Timestamp,
        rule_version -> Integer,
        analysis_version -> Integer,
        feed_floor -> BigInt,
    }

    recommendations (seq) {
        seq -> BigInt,
        id -> Text,
        state_under_review -> Text,
        cycle -> Integer,
        session -> Integer,
        response -> Nullable<Text>,
        action_category -> Nullable<Integer>,
        natural_key -> Text,
        search_text -> Text,
        document -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }

    recommendation_facets (code, recommendation_seq) {
        code -> Integer,
        recommendation_seq -> Integer,
    }

    recommendation_facet_values (code) {
        code -> Integer,
        facet -> Text,
        value -> Text,
    }

    stakeholders (seq) {
        seq -> BigInt,
        id -> Text,
        kind -> Text,
        country -> Nullable<Text>,
        natural_key -> Text,
        search_text -> Text,
        document -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        own_state -> Nullable<Text>,
    }

    stakeholder_facets (stakeholder_seq, facet, value) {
        stakeholder_seq -> BigInt,
        facet -> Text,
        value -> Text,
    }

    external_refs (entity, source, external_id) {
        entity -> Text,
        source -> Text,
        external_id -> Text,
        entity_id -> Text,
    }

    audit_log (seq) {
        seq -> BigInt,
        at -> Timestamp,
        actor -> Text,
        role -> Text,
        entity -> Text,
        entity_id -> Text,
        operation -> Text,
        changes -> Nullable<Text>,
    }

    activities (seq) {
        seq -> BigInt,
        id -> Text,
        submitter -> Text,
        submitter_kind -> Text,
        submitter_state -> Nullable<Text>,
        publication -> Text,
        status -> Text,
        modality -> Nullable<Text>,
        good_practice -> Bool,
        peer_to_peer -> Bool,
        active_from -> Nullable<Text>,
        active_to -> Nullable<Text>,
        public -> Bool,
        natural_key -> Text,
        search_text -> Text,
        document -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        budget_currency -> Nullable<Text>,
        budget_amount -> Nullable<Text>,
        submitted_at -> Nullable<Timestamp>,
    }

    activity_facets (activity_seq, facet, value) {
        activity_seq -> BigInt,
        facet -> Text,
        value -> Text,
        public -> Bool,
    }

    consents (seq) {
        seq -> BigInt,
        id -> Text,
        state -> Text,
        decision -> Text,
        scope -> Text,
        target -> Nullable<Text>,
        document -> Text,
        recorded_at -> Timestamp,
        granted_content -> Nullable<Text>,
    }

    changes (seq) {
        seq -> BigInt,
        entity -> Text,
        entity_id -> Text,
        at -> Timestamp,
        op -> Text,
        data -> Nullable<Text>,
        public_op -> Nullable<Text>,
        public_data -> Nullable<Text>,
        item_seq -> Nullable<BigInt>,
    }

    idempotency_keys (caller, key) {
        caller -> Text,
        key -> Text,
        method -> Text,
        path -> Text,
        body_hash -> Nullable<Text>,
        status -> Nullable<Integer>,
        headers -> Nullable<Text>,
        body -> Nullable<Text>,
        created_at -> Timestamp,
        claimed_by -> Nullable<Text>,
    }

    cursor_secret (singleton) {
        singleton -> Integer,
        secret -> Text,
    }

    assistance_requests (seq) {
        seq -> BigInt,
        id -> Text,
        state -> Text,
        status -> Text,
        public -> Bool,
        natural_key -> Text,
        search_text -> Text,
        document -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        opened_at -> Nullable<Timestamp>,
    }

    assistance_request_facets (assistance_request_seq, facet, value) {
        assistance_request_seq -> BigInt,
        facet -> Text,
        value -> Text,
    }

    offers (seq) {
        seq -> BigInt,
        id -> Text,
        stakeholder -> Text,
        status -> Text,
        public -> Bool,
        peer_to_peer -> Bool,
        natural_key -> Text,
        search_text -> Text,
        document -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        opened_at -> Nullable<Timestamp>,
    }

    offer_facets (offer_seq, facet, value) {
        offer_seq -> BigInt,
        facet -> Text,
        value -> Text,
    }

    offer_withheld_citations (activity_id, offer_id) {
        activity_id -> Text,
        offer_id -> Text,
    }

    activity_declined_participants (activity_id, stakeholder_id) {
        activity_id -> Text,
        stakeholder_id -> Text,
        natural_key -> Text,
    }

    interests (seq) {
        seq -> BigInt,
        id -> Text,
        assistance_request -> Text,
        offer -> Text,
        stakeholder -> Text,
        status -> Text,
        message -> Nullable<Text>,
        activity -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(activity_facets -> activities (activity_seq));
diesel::joinable!(assistance_request_facets -> assistance_requests (assistance_request_seq));
diesel::joinable!(offer_facets -> offers (offer_seq));

diesel::allow_tables_to_appear_in_same_query!(
    recommendations,
    recommendation_facets,
    recommendation_facet_values,
    stakeholders,
    stakeholder_facets,
    external_refs,
    activities,
    activity_facets,
    consents,
    assistance_requests,
    assistance_request_facets,
    offers,
    offer_facets,
    offer_withheld_citations,
    activity_declined_participants,
    interests,
);
