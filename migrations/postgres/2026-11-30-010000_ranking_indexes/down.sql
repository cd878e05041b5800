DROP INDEX stakeholders_own;
DROP INDEX offers_ranking;
