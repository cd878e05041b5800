DROP TABLE external_refs;
DROP TABLE stakeholder_facets;
DROP TABLE stakeholders;
DROP TABLE recommendation_facets;
DROP TABLE recommendations;
