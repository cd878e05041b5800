DROP TABLE consents;
DROP TABLE activity_search;
DROP TABLE activity_facets;
DROP TABLE activities;
