-- The activities an offer cited that stopped being public (a State withdrew or refused its
-- consent, or the activity changed): an offer is public and tells only of public activities,
-- so the citation is taken out of the offer and kept here, and given back to the offer when the
-- activity is public again (`db::offers::withhold`, `db::offers::give_back`). A citation of an
-- activity that is deleted is dropped with it.
CREATE TABLE offer_withheld_citations (
    activity_id TEXT NOT NULL,
    offer_id TEXT NOT NULL,
    PRIMARY KEY (activity_id, offer_id)
);
