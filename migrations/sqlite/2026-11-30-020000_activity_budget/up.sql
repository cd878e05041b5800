-- An activity's budget as columns, for the annual report's `budget_by_currency`: the amount as
-- the document writes it (a decimal string, so no precision is lost) and its currency; both or
-- neither. Filled from the documents already stored.
ALTER TABLE activities ADD COLUMN budget_currency TEXT;
ALTER TABLE activities ADD COLUMN budget_amount TEXT;
UPDATE activities SET
    budget_currency = json_extract(document, '$.budget.currency'),
    budget_amount = json_extract(document, '$.budget.amount')
WHERE json_extract(document, '$.budget.currency') IS NOT NULL;
