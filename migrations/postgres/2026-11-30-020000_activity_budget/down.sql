ALTER TABLE activities DROP CONSTRAINT activities_budget_check;
ALTER TABLE activities DROP COLUMN budget_amount;
ALTER TABLE activities DROP COLUMN budget_currency;
