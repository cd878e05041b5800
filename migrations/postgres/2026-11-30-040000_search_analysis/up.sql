-- The version of the text analysis (`domain::analysis`: folding, stemming, Chinese in pairs)
-- the stored full-text terms were written with; the service writes them again at start when
-- its analysis is newer (`db::reindex_search`). Version 1 folded case and accents only.
ALTER TABLE instance ADD COLUMN analysis_version INTEGER NOT NULL DEFAULT 1;
