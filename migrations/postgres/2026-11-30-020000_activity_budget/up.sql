-- An activity's budget as columns, for the annual report's `budget_by_currency`: the amount as
-- the document writes it (a decimal string, so no precision is lost) and its currency; both or
-- neither. Filled from the documents already stored.
ALTER TABLE activities ADD COLUMN budget_currency TEXT;
ALTER TABLE activities ADD COLUMN budget_amount TEXT;
ALTER TABLE activities ADD CONSTRAINT activities_budget_check
    CHECK ((budget_currency IS NULL) = (budget_amount IS NULL));
UPDATE activities SET
    budget_currency = document::jsonb #>> '{budget,currency}',
    budget_amount = document::jsonb #>> '{budget,amount}'
WHERE document::jsonb #>> '{budget,currency}' IS NOT NULL;
