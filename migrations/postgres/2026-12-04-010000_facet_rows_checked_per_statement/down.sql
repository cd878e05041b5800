DROP TRIGGER recommendation_facets_name_items_inserted ON recommendation_facets;
DROP TRIGGER recommendation_facets_name_items_updated ON recommendation_facets;
DROP TRIGGER recommendations_take_their_facet_rows ON recommendations;
DROP TRIGGER recommendations_named_keep_their_numbers ON recommendations;
DROP TRIGGER stakeholder_facets_name_items_inserted ON stakeholder_facets;
DROP TRIGGER stakeholder_facets_name_items_updated ON stakeholder_facets;
DROP TRIGGER stakeholders_take_their_facet_rows ON stakeholders;
DROP TRIGGER stakeholders_named_keep_their_numbers ON stakeholders;
DROP TRIGGER activity_facets_name_items_inserted ON activity_facets;
DROP TRIGGER activity_facets_name_items_updated ON activity_facets;
DROP TRIGGER activities_take_their_facet_rows ON activities;
DROP TRIGGER activities_named_keep_their_numbers ON activities;
DROP TRIGGER offer_facets_name_items_inserted ON offer_facets;
DROP TRIGGER offer_facets_name_items_updated ON offer_facets;
DROP TRIGGER offers_take_their_facet_rows ON offers;
DROP TRIGGER offers_named_keep_their_numbers ON offers;
DROP TRIGGER assistance_request_facets_name_items_inserted ON assistance_request_facets;
DROP TRIGGER assistance_request_facets_name_items_updated ON assistance_request_facets;
DROP TRIGGER assistance_requests_take_their_facet_rows ON assistance_requests;
DROP TRIGGER assistance_requests_named_keep_their_numbers ON assistance_requests;
DROP FUNCTION facet_rows_name_items();
DROP FUNCTION items_take_their_facet_rows();
DROP FUNCTION items_named_keep_their_numbers();

ALTER TABLE recommendation_facets ADD CONSTRAINT recommendation_facets_recommendation_seq_fkey1
    FOREIGN KEY (recommendation_seq) REFERENCES recommendations (seq) ON DELETE CASCADE;
ALTER TABLE stakeholder_facets ADD CONSTRAINT stakeholder_facets_stakeholder_seq_fkey
    FOREIGN KEY (stakeholder_seq) REFERENCES stakeholders (seq) ON DELETE CASCADE;
ALTER TABLE activity_facets ADD CONSTRAINT activity_facets_activity_seq_fkey
    FOREIGN KEY (activity_seq) REFERENCES activities (seq) ON DELETE CASCADE;
ALTER TABLE offer_facets ADD CONSTRAINT offer_facets_offer_seq_fkey
    FOREIGN KEY (offer_seq) REFERENCES offers (seq) ON DELETE CASCADE;
ALTER TABLE assistance_request_facets
    ADD CONSTRAINT assistance_request_facets_assistance_request_seq_fkey
    FOREIGN KEY (assistance_request_seq) REFERENCES assistance_requests (seq) ON DELETE CASCADE;
