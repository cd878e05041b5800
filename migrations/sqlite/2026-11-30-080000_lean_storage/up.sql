-- Each thing stored once:
-- * The full-text terms of an item are kept in its FTS5 entry only; `search_text` stays empty
--   on SQLite (`db::documents::row_of`; PostgreSQL generates its `search` column from it).
--   The catalogue's tables (recommendations and stakeholders, whose items are all public)
--   keep not even that copy: contentless FTS5 tables (`content=''`), whose entries are
--   deleted by rowid (`contentless_delete=1`, SQLite 3.43) and ranked by `rank` (bm25), which
--   reads no content. Tables with hidden items keep the terms in their FTS5 table: their
--   ranking reads the matched text (`db::sql::search`).
-- * The catalogue's facet tables are their primary key (`WITHOUT ROWID`): a row is a few bytes
--   of key, kept once instead of in a rowid table and again in the key's index.
-- * Natural keys are 128 bits of SHA-256 (`digest::natural_key`), not 256: the first half of
--   each, in the row and in its unique index.

DROP TABLE recommendation_search;
CREATE VIRTUAL TABLE recommendation_search USING fts5 (
    body,
    tokenize = 'unicode61 remove_diacritics 2',
    content = '',
    contentless_delete = 1
);
INSERT INTO recommendation_search (rowid, body) SELECT seq, search_text FROM recommendations;

DROP TABLE stakeholder_search;
CREATE VIRTUAL TABLE stakeholder_search USING fts5 (
    body,
    tokenize = 'unicode61 remove_diacritics 2',
    content = '',
    contentless_delete = 1
);
INSERT INTO stakeholder_search (rowid, body) SELECT seq, search_text FROM stakeholders;

CREATE TABLE recommendation_facets_new (
    recommendation_seq INTEGER NOT NULL REFERENCES recommendations (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL CONSTRAINT recommendation_facets_facet_check
        CHECK (facet IN ('recommending_state', 'theme', 'affected_persons', 'sdg_target')),
    value TEXT NOT NULL,
    PRIMARY KEY (recommendation_seq, facet, value)
) WITHOUT ROWID;
INSERT INTO recommendation_facets_new (recommendation_seq, facet, value)
SELECT recommendation_seq, facet, value FROM recommendation_facets;
DROP TABLE recommendation_facets;
ALTER TABLE recommendation_facets_new RENAME TO recommendation_facets;
CREATE INDEX recommendation_facets_lookup
    ON recommendation_facets (facet, value, recommendation_seq);

CREATE TABLE stakeholder_facets_new (
    stakeholder_seq INTEGER NOT NULL REFERENCES stakeholders (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL CONSTRAINT stakeholder_facets_facet_check
        CHECK (facet IN ('theme', 'language', 'region')),
    value TEXT NOT NULL,
    PRIMARY KEY (stakeholder_seq, facet, value)
) WITHOUT ROWID;
INSERT INTO stakeholder_facets_new (stakeholder_seq, facet, value)
SELECT stakeholder_seq, facet, value FROM stakeholder_facets;
DROP TABLE stakeholder_facets;
ALTER TABLE stakeholder_facets_new RENAME TO stakeholder_facets;
CREATE INDEX stakeholder_facets_lookup ON stakeholder_facets (facet, value, stakeholder_seq);

UPDATE recommendations SET search_text = '', natural_key = substr(natural_key, 1, 32);
UPDATE stakeholders SET search_text = '';
UPDATE activities SET search_text = '', natural_key = substr(natural_key, 1, 32);
UPDATE assistance_requests SET search_text = '', natural_key = substr(natural_key, 1, 32);
UPDATE offers SET search_text = '', natural_key = substr(natural_key, 1, 32);
