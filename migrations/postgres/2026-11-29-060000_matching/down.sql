DROP TABLE offer_facets;
DROP TABLE offers;
DROP TABLE assistance_request_facets;
DROP TABLE assistance_requests;
