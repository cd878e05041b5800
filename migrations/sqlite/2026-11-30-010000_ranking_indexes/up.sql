-- What matching reads of every open offer on each ranking (`db::sql::matching::offer_keys`):
-- its id, version and stakeholder, in order, and whether that stakeholder is a State's own.
-- Covering indexes answer it without reading the documents, which come before `version` and
-- `own_state` in their rows.
CREATE INDEX offers_ranking ON offers (status, seq, public, id, version, stakeholder);
CREATE INDEX stakeholders_own ON stakeholders (id, own_state);
