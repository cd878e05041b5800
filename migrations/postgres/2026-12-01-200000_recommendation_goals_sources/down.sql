DELETE FROM recommendation_facets WHERE facet IN ('sdg_goal', 'source');
ALTER TABLE recommendation_facets DROP CONSTRAINT recommendation_facets_facet_check;
ALTER TABLE recommendation_facets
    ADD CONSTRAINT recommendation_facets_facet_check
        CHECK (facet IN ('recommending_state', 'theme', 'affected_persons', 'sdg_target'));
