-- An id as `uuid::Uuid::to_string()` writes it (lowercase hexadecimal, hyphenated 8-4-4-4-12),
-- checked without a regular expression: PostgreSQL's took 2.3 µs a value, and every row of the
-- items, the change feed and the audit trail is checked, 14 to 19 ms of each of the three
-- tables' share of a UPR Info import of 5,617 recommendations (docs/benchmarks.md, "Issue 13:
-- what PostgreSQL's rules cost an import"). Now the layout by `LIKE`, then the value read as a
-- `uuid` and written back must be the value itself: 0.75 µs. The same values pass. One that is
-- no UUID at all is refused by the cast's error (`invalid input syntax for type uuid`) instead
-- of the check's. Not `STRICT`, so that PostgreSQL puts the expression in place of the call
-- (it does not for a strict function whose body is not strict): a NULL still passes, as a
-- NULL passes any check.
CREATE OR REPLACE FUNCTION is_canonical_uuid(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT value LIKE '________-____-____-____-____________'
        AND CAST(CAST(value AS uuid) AS text) = value $$;
