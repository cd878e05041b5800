-- Recommendations are found by SDG goal and by the source they came from (issue 15: OHCHR's
-- matrices give goals, and a recommendation records its sources): two more facet names, and
-- the facets of what is stored already.
CREATE TABLE recommendation_facets_new (
    recommendation_seq INTEGER NOT NULL REFERENCES recommendations (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL CONSTRAINT recommendation_facets_facet_check
        CHECK (facet IN ('recommending_state', 'theme', 'affected_persons', 'sdg_target',
                         'sdg_goal', 'source')),
    value TEXT NOT NULL,
    PRIMARY KEY (recommendation_seq, facet, value)
) WITHOUT ROWID;
INSERT INTO recommendation_facets_new (recommendation_seq, facet, value)
SELECT recommendation_seq, facet, value FROM recommendation_facets;
INSERT OR IGNORE INTO recommendation_facets_new (recommendation_seq, facet, value)
SELECT r.seq, 'sdg_goal', g.value FROM recommendations r, json_each(r.document, '$.sdg_goals') g
WHERE json_type(r.document, '$.sdg_goals') = 'array';
INSERT OR IGNORE INTO recommendation_facets_new (recommendation_seq, facet, value)
SELECT r.seq, 'source', s.value FROM recommendations r, json_each(r.document, '$.sources') s
WHERE json_type(r.document, '$.sources') = 'array';
DROP TABLE recommendation_facets;
ALTER TABLE recommendation_facets_new RENAME TO recommendation_facets;
CREATE INDEX recommendation_facets_lookup
    ON recommendation_facets (facet, value, recommendation_seq);
