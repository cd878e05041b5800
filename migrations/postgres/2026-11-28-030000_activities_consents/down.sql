DROP TABLE consents;
DROP FUNCTION consents_append_only();
DROP TABLE activity_facets;
DROP TABLE activities;
