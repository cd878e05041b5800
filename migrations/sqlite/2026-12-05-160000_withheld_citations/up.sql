-- The activities an offer cited that stopped being public (a State withdrew or refused its
-- consent, or the activity changed): an offer is public and tells only of public activities,
-- so the citation is taken out of the offer and kept here, and given back to the offer when the
-- activity is public again (`db::offers::withhold`, `db::offers::give_back`). A citation goes
-- with its activity or its offer when either is deleted.
CREATE TABLE offer_withheld_citations (
    activity_id TEXT NOT NULL CONSTRAINT offer_withheld_citations_activity_id_fkey
        REFERENCES activities (id) ON DELETE CASCADE,
    offer_id TEXT NOT NULL CONSTRAINT offer_withheld_citations_offer_id_fkey
        REFERENCES offers (id) ON DELETE CASCADE,
    PRIMARY KEY (activity_id, offer_id)
);
CREATE INDEX offer_withheld_citations_offer ON offer_withheld_citations (offer_id);
