-- Recommendations are found by SDG goal and by the source they came from (issue 15: OHCHR's
-- matrices give goals, and a recommendation records its sources): two more facet names, and
-- the facets of what is stored already.
ALTER TABLE recommendation_facets DROP CONSTRAINT recommendation_facets_facet_check;
ALTER TABLE recommendation_facets
    ADD CONSTRAINT recommendation_facets_facet_check
        CHECK (facet IN ('recommending_state', 'theme', 'affected_persons', 'sdg_target',
                         'sdg_goal', 'source'));
INSERT INTO recommendation_facets (recommendation_seq, facet, value)
SELECT r.seq, 'sdg_goal', g.value
FROM recommendations r, jsonb_array_elements_text(r.document::jsonb -> 'sdg_goals') g(value)
WHERE jsonb_typeof(r.document::jsonb -> 'sdg_goals') = 'array'
ON CONFLICT DO NOTHING;
INSERT INTO recommendation_facets (recommendation_seq, facet, value)
SELECT r.seq, 'source', s.value
FROM recommendations r, jsonb_array_elements_text(r.document::jsonb -> 'sources') s(value)
WHERE jsonb_typeof(r.document::jsonb -> 'sources') = 'array'
ON CONFLICT DO NOTHING;
