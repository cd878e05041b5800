ALTER TABLE activities DROP COLUMN budget_amount;
ALTER TABLE activities DROP COLUMN budget_currency;
