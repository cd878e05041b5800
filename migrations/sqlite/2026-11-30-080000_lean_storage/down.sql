-- The catalogue's full-text tables keep their terms again and its facet tables a rowid. The
-- terms a contentless table held cannot be read back: the service writes every item's terms
-- again when it starts (`analysis_version` 0 is older than any analysis), `search_text`
-- included. Natural keys stay 128 bits: the 256 bits they were cannot be had back, and the
-- code before this migration, which computes 256, would not recognise an item imported again.
UPDATE instance SET analysis_version = 0;

DROP TABLE recommendation_search;
CREATE VIRTUAL TABLE recommendation_search USING fts5 (
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO recommendation_search (rowid, body) SELECT seq, search_text FROM recommendations;

DROP TABLE stakeholder_search;
CREATE VIRTUAL TABLE stakeholder_search USING fts5 (
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO stakeholder_search (rowid, body) SELECT seq, search_text FROM stakeholders;

CREATE TABLE recommendation_facets_new (
    recommendation_seq INTEGER NOT NULL REFERENCES recommendations (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL CONSTRAINT recommendation_facets_facet_check
        CHECK (facet IN ('recommending_state', 'theme', 'affected_persons', 'sdg_target')),
    value TEXT NOT NULL,
    PRIMARY KEY (recommendation_seq, facet, value)
);
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
);
INSERT INTO stakeholder_facets_new (stakeholder_seq, facet, value)
SELECT stakeholder_seq, facet, value FROM stakeholder_facets;
DROP TABLE stakeholder_facets;
ALTER TABLE stakeholder_facets_new RENAME TO stakeholder_facets;
CREATE INDEX stakeholder_facets_lookup ON stakeholder_facets (facet, value, stakeholder_seq);
